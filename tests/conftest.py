"""Shared helpers: tiny sites made from a dict of file texts in tmp_path."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from newsgen.config import Config, load_config

PROJECT = Path(__file__).resolve().parent.parent


def article_text(
    title: str = "A title",
    date: str = "2021-10-14",
    source: str = "A Source",
    body: str = "The first paragraph.\n\nThe second paragraph.\n",
    **fields: str,
) -> str:
    """An article file's text; extra fields are given as raw YAML values."""
    lines = [f"title: {title}", f"date: {date}", f"source: {source}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def make_site(root: Path, articles: Mapping[str, str], settings: str | None = None) -> Config:
    """A project folder with the real templates and static files, and the given articles."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("templates", "static"):
        if not (root / name).exists():
            shutil.copytree(PROJECT / name, root / name)
    source = root / "articles"
    source.mkdir(exist_ok=True)
    for name, text in articles.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8")
    if settings is not None:
        (root / "newsgen.yaml").write_text(settings, encoding="utf-8")
    config, _ = load_config(root)
    return config


@pytest.fixture
def site(tmp_path: Path) -> Callable[..., Config]:
    """Make a tiny site in tmp_path: site({"a.md": text, ...})."""

    def make(articles: Mapping[str, str], settings: str | None = None) -> Config:
        return make_site(tmp_path / "project", articles, settings)

    return make


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder, path → bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
