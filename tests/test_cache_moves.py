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


def test_the_cache_keeps_three_generations_of_bodies_and_nothing_it_did_not_write(
    site: Callable[..., Config],
) -> None:
    """A change of settings makes a new generation of rendered bodies; the old ones go."""
    config = site({f"a{n}.md": article_text(f"Report {n}", countries="[UZ]") for n in range(3)})
    html = config.path("cache") / "html"
    html.mkdir(parents=True)
    legacy = html / "ab"  # entries where an older newsgen kept them, read by no build now
    legacy.mkdir()
    (legacy / f"ab{'0' * 62}.html").write_text("<p>old</p>")
    foreign = html / "notes.txt"
    foreign.write_text("someone's")
    # Named as the cache names its folders, but holding what it never writes: kept.
    lookalike = html / "cd"
    lookalike.mkdir()
    (lookalike / "notes.txt").write_text("someone's")
    generation_lookalike = html / ("e" * 16)
    (generation_lookalike / "ee").mkdir(parents=True)
    (generation_lookalike / "ee" / "draft.md").write_text("someone's")
    os.utime(generation_lookalike, ns=(0, 0))  # the oldest of all
    made: list[set[str]] = []
    for title in ("One", "Two", "Three", "Four"):
        (config.root / "newsgen.yaml").write_text(f"title: {title}\n")
        again, _ = load_config(config.root)
        before = {p.name for p in html.iterdir()}
        build(again)
        made.append({p.name for p in html.iterdir()} - before)
        (made_now,) = made[-1]
        used = 1_700_000_000_000_000_000 + len(made) * 86_400_000_000_000  # one a day, in order
        os.utime(html / made_now, ns=(used, used))
        assert len(list((html / made_now).rglob("*.html"))) == 3
    generations = {p.name for p in html.iterdir() if p.is_dir()} - {"cd", "e" * 16}
    assert generations == made[1] | made[2] | made[3]  # the first is gone, the legacy too
    assert foreign.read_text() == "someone's"
    assert (lookalike / "notes.txt").is_file()
    assert (generation_lookalike / "ee" / "draft.md").is_file()
    # Back to the second settings: its bodies are still there, and it becomes the newest.
    (config.root / "newsgen.yaml").write_text("title: Two\n")
    again, _ = load_config(config.root)
    build(again)
    assert {p.name for p in html.iterdir() if p.is_dir()} - {"cd", "e" * 16} == generations
    (second,) = made[1]
    assert (html / second).stat().st_mtime_ns > used
