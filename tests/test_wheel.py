"""The built wheel, installed into a fresh virtual environment outside the checkout, starts
and builds an archive with the theme it carries."""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import newsgen
from newsgen import urls
from newsgen.config import load_config
from newsgen.linkcheck import check_folder
from newsgen.pipeline import load_archive

from .conftest import PROJECT

# What a build of the wheel need not see: version control, environments, caches, outputs.
_NOT_SOURCES = shutil.ignore_patterns(
    ".*", "build", "dist", "node_modules", "_site", "test-artifacts", "*.egg-info", "__pycache__"
)


@dataclass(frozen=True)
class Installed:
    """newsgen installed from its wheel into a virtual environment of its own."""

    venv: Path
    wheel: Path
    env: dict[str, str]

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run the installed newsgen command in a folder."""
        return subprocess.run(
            [str(self.venv / "bin" / "newsgen"), *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def python(self, code: str, cwd: Path) -> str:
        """What a line of Python prints in the environment."""
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """Build the wheel from a clean copy of the project's files, and install it (once)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "newsgen-source"
    # A clean copy: a build/ folder left in the checkout could slip stale files into the wheel.
    shutil.copytree(PROJECT, source, ignore=_NOT_SOURCES)
    # Neither the build nor the installed newsgen may find the checkout's code.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    pip = [sys.executable, "-m", "pip", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--wheel-dir", str(work / "dist"), str(source)],
        env=env,
        check=True,
        timeout=600,
    )
    (wheel,) = (work / "dist").glob("newsgen-*.whl")
    environment = work / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(environment)
    subprocess.run(
        [str(environment / "bin" / "python"), "-m", "pip", "--quiet", "install", str(wheel)],
        env=env,
        check=True,
        timeout=600,
    )
    yield Installed(environment, wheel, env)


def test_the_installed_newsgen_is_the_wheels_with_the_theme_inside(
    installed: Installed, tmp_path: Path
) -> None:
    done = installed.run("--version", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"newsgen {newsgen.__version__}\n",
        "",
    )
    assert installed.wheel.name == f"newsgen-{newsgen.__version__}-py3-none-any.whl"
    where = installed.python(
        "import importlib.metadata, newsgen.theme as t; "
        "print(importlib.metadata.version('newsgen'), t.theme_folder('templates'), "
        "t.theme_folder('static'))",
        cwd=tmp_path,
    ).split()
    site_packages = installed.venv.resolve()
    assert where[0] == newsgen.__version__
    for folder, part in zip(where[1:], ("templates", "static"), strict=True):
        packaged = Path(folder)
        assert packaged.is_relative_to(site_packages), folder
        assert _files(packaged) == _files(PROJECT / part)


def test_init_new_and_build_from_the_installed_wheel(installed: Installed, tmp_path: Path) -> None:
    project = tmp_path / "my-archive"
    done = installed.run("init", str(project), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    before = set((project / "articles").iterdir())
    done = installed.run(
        "new", "Tashkent hosts <talks>", "--date", "2020-01-02", "--country", "Uzbekistan",
        "--country", "Kasachstan", cwd=project,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (new_file,) = set((project / "articles").iterdir()) - before

    done = installed.run("build", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Built "), done.stdout
    done = installed.run("check", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr

    site = project / "_site"
    assert check_folder(site) == []
    assert (site / "static" / "style.css").read_bytes() == (
        PROJECT / "static/style.css"
    ).read_bytes()
    # The pages are where this checkout's code says they are, showing what they should.
    config, _ = load_config(project)
    archive, _ = load_archive(config, use_cache=False)
    (article,) = [a for a in archive.articles if a.path == new_file]
    page = urls.article_url(article)
    assert "<h1>Tashkent hosts &lt;talks&gt;</h1>" in _text(site / page)
    assert sorted(article.countries) == ["KZ", "UZ"]
    for code in article.countries:
        country_page = urls.country_url(code)
        assert page in _links(site, country_page), country_page
        assert country_page in _links(site, page)
    assert len(archive.articles) == 2  # the example and the new one
    for other in archive.articles:
        assert urls.article_url(other) in _links(site, urls.INDEX)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _links(site: Path, page: str) -> set[str]:
    """The pages of the site one page links to, as site paths."""
    hrefs = re.findall(r'href="([^"#?]+)', _text(site / page))
    return {posixpath.normpath(posixpath.join(posixpath.dirname(page), h)) for h in hrefs}
