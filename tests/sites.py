"""Built sites shared by the checks that look at output as readers and machines do."""

from __future__ import annotations

import shutil
from pathlib import Path

from newsgen.config import load_config
from newsgen.pipeline import build

PROJECT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "site"


def build_real(folder: Path) -> Path:
    """The project's own articles/, built into folder."""
    config, _ = load_config(PROJECT, {"output": folder, "cache": folder.parent / "cache-real"})
    build(config)
    return folder


def build_fixture(folder: Path) -> Path:
    """tests/fixtures/site (which has a base URL) with the real templates, built into folder."""
    root = folder.parent / "fixture-project"
    if not root.exists():
        shutil.copytree(FIXTURE, root)
        for name in ("templates", "static"):
            shutil.copytree(PROJECT / name, root / name)
    config, _ = load_config(root, {"output": folder})
    build(config)
    return folder
