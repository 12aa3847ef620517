"""The build step that puts the default theme into the wheel; everything else is in pyproject.toml.

The repository's templates/ and static/ are the theme's only source. A wheel (or a
plain `pip install .`) carries a copy of them as newsgen/theme/templates and
newsgen/theme/static, made here at build time. An editable install needs no copy:
newsgen.theme reads them in the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
THEME_PARTS = ("templates", "static")


class BuildPyWithTheme(build_py):
    """build_py, then the theme's folders copied into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for part in THEME_PARTS:
            target = Path(self.build_lib) / "newsgen" / "theme" / part
            if target.exists():
                shutil.rmtree(target)  # a file deleted from the theme must not linger in a rebuild
            shutil.copytree(ROOT / part, target, ignore=shutil.ignore_patterns(".*"))


setup(cmdclass={"build_py": BuildPyWithTheme})
