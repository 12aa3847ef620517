"""Compiled templates kept in the cache folder: used when sound, compiled again when not."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2.bccache
import pytest

from newsgen import render
from newsgen.config import Config
from newsgen.pipeline import build, render_all

from .conftest import article_text, snapshot


def _kept(config: Config) -> list[Path]:
    return sorted((config.path("cache") / render.COMPILED_FOLDER).glob("*.cache"))


def test_a_build_keeps_its_compiled_templates_and_the_next_one_compiles_none(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site({"a.md": article_text("First", countries="[UZ]")})
    build(config)
    kept = _kept(config)
    assert kept and all(p.name.startswith(render._compiled_generation()) for p in kept)

    compiled: list[str] = []
    real = render._Environment.compile

    def counting(self: Any, source: Any, name: str | None = None, *args: Any) -> Any:
        compiled.append(str(name))
        return real(self, source, name, *args)

    monkeypatch.setattr(render._Environment, "compile", counting)
    (config.root / "articles" / "b.md").write_text(article_text("Second", countries="[UZ]"))
    report = build(config)

    assert report.rendered > 0
    assert compiled == []  # every template the pages used came from the cache folder


def test_damaged_compiled_templates_are_compiled_again(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("First", countries="[UZ]")})
    build(config)
    kept = _kept(config)
    magic = jinja2.bccache.bc_magic  # Jinja's own header, then what is not a checksum
    damaged = [b"\x00garbage" * 7, magic + b"\x80\x04garbage", magic, b""]
    for index, path in enumerate(kept):  # and a file cut in half
        data = path.read_bytes()
        path.write_bytes([*damaged, data[: len(data) // 2]][index % 5])
    (config.root / "articles" / "b.md").write_text(article_text("Second", countries="[KZ]"))

    build(config)

    on_disk = snapshot(config.path("output"))
    del on_disk[".newsgen-manifest.json"]
    assert on_disk == render_all(config)  # rendered with no cache at all


def test_an_edited_template_is_compiled_again(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("First", countries="[UZ]")})
    own = config.root / "templates" / "robots.txt"
    own.parent.mkdir(exist_ok=True)
    own.write_text("User-agent: *\nDisallow: /one/\n")
    build(config)
    # The same size, and the same time: only the source itself tells the two apart.
    stat = own.stat()
    own.write_text("User-agent: *\nDisallow: /two/\n")
    os.utime(own, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    build(config)

    assert "/two/" in (config.path("output") / "robots.txt").read_text()


def test_templates_of_another_generation_go_and_other_files_stay(
    site: Callable[..., Config],
) -> None:
    config = site({"a.md": article_text("First", countries="[UZ]")})
    folder = config.path("cache") / render.COMPILED_FOLDER
    folder.mkdir(parents=True)
    older = folder / f"{'0' * 16}-{'a' * 40}.cache"
    older.write_bytes(b"an older newsgen's")
    foreign = folder / "notes.txt"
    foreign.write_text("someone's")

    build(config)

    assert not older.exists()
    assert foreign.read_text() == "someone's"
    assert _kept(config)
