"""The cache stays good when the project moves: another folder, another machine, fresh times."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newsgen import load
from newsgen.config import Config, load_config
from newsgen.pipeline import build

from .conftest import article_text


def test_a_moved_project_reuses_its_records_and_renders_nothing(
    site: Callable[..., Config], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site({f"a{n}.md": article_text(f"Report {n}", countries="[UZ]") for n in range(3)})
    build(config)
    moved = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(config.root, moved)
    for path in moved.rglob("*"):  # a fresh checkout: every file has a new time
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    parsed: list[Path] = []
    real = load.parse_article

    def counting(path: Path, text: str, config: Config) -> Any:
        parsed.append(path)
        return real(path, text, config)

    monkeypatch.setattr(load, "parse_article", counting)

    again, _ = load_config(moved)
    report = build(again)

    assert parsed == []  # every record was found by the hash of its file
    assert report.rendered == 0 and report.written == []
