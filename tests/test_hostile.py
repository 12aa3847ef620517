"""Hostile inputs and unlucky file systems: each probe that once broke a build, kept as a test.

Probes about exhaustion or hangs run the build in a child process with a memory
limit and a timeout, so that a regression fails the test instead of the machine.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import newsgen
from newsgen.cli import main
from newsgen.config import Config

from .conftest import article_text, make_site, snapshot

_PACKAGE_ROOT = Path(newsgen.__file__).resolve().parent.parent
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def run_newsgen(
    root: Path, *args: str, memory_mib: int = 1024, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`newsgen --root root ARGS` in a child process, bounded in address space and time."""

    def limit() -> None:
        size = memory_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    env = {**os.environ, "PYTHONPATH": str(_PACKAGE_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "newsgen.cli", "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        env=env,
        check=False,
    )


def _build(root: Path, *args: str) -> int:
    return main(["--root", str(root), "build", *args])


def _fm(*lines: str, body: str = "Body.\n") -> str:
    return "---\n" + "\n".join(lines) + "\n---\n" + body


BASE = ("title: T", "date: 2021-10-14", "source: S")


# --- 2. links that point to nothing -----------------------------------------------------------


def test_a_dangling_link_among_articles_is_an_error_not_a_crash(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text("First")})
    os.symlink("nowhere.md", config.path("source") / "b.md")

    assert _build(config.root) == 1

    err = capsys.readouterr().err
    assert "articles/b.md: this link points to nothing: nowhere.md" in err
    assert "Traceback" not in err


def test_an_editor_lock_link_is_ignored(site: Callable[..., Config]) -> None:
    # Emacs's lock file for an unsaved buffer: a dangling link named .#name.md.
    config = site({"a.md": article_text("First")})
    os.symlink("user@host.1234:1700000000", config.path("source") / ".#a.md")

    assert _build(config.root) == 0
    assert (config.path("output") / "articles" / "first.html").is_file()


def test_a_dangling_link_in_static_is_an_error_not_a_crash(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text("First")})
    os.symlink("gone.css", config.path("static") / "extra.css")

    assert _build(config.root) == 1

    err = capsys.readouterr().err
    assert "static/extra.css: this link points to nothing: gone.css" in err
    assert "Traceback" not in err


# --- 4. exhaustion and hangs --------------------------------------------------------------------

_ALIAS_BOMB = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
)


def test_a_yaml_alias_bomb_in_front_matter_is_refused_quickly(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_site(root, {"bomb.md": _fm(*BASE, _ALIAS_BOMB)})

    done = run_newsgen(root, "build", memory_mib=768, timeout=60)

    assert done.returncode == 1, done.stderr
    assert re.search(r"articles/bomb.md:\d+: YAML aliases \(\*name\) are not allowed", done.stderr)


def test_a_yaml_alias_bomb_in_the_settings_is_refused_quickly(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_site(root, {"a.md": article_text("First")})
    (root / "newsgen.yaml").write_text(f"title: x\n{_ALIAS_BOMB}\n")

    done = run_newsgen(root, "build", memory_mib=768, timeout=60)

    assert done.returncode == 1, done.stderr
    assert re.search(r"newsgen.yaml:\d+: YAML aliases \(\*name\) are not allowed", done.stderr)


def test_symlink_loops_among_the_inputs_end(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_site(root, {"a.md": article_text("First")})
    # Two loops in one folder: a walk that follows links meets 2 ** depth paths.
    os.symlink(".", root / "articles" / "again")
    os.symlink(".", root / "articles" / "more")
    os.symlink("..", root / "static" / "up")  # back up to the project, which holds static/

    done = run_newsgen(root, "build", timeout=60)

    assert done.returncode == 0, done.stderr
    assert (root / "_site" / "articles" / "first.html").is_file()


def test_a_link_to_the_root_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_site(root, {"a.md": article_text("First")})
    os.symlink("/", root / "articles" / "everything")

    done = run_newsgen(root, "build", timeout=60)

    assert done.returncode == 1
    assert "articles/everything: this link points outside project/: /" in done.stderr


def test_a_pipe_named_like_an_article_never_blocks_the_build(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_site(root, {"a.md": article_text("First")})
    os.mkfifo(root / "articles" / "p.md")

    done = run_newsgen(root, "build", timeout=60)

    assert done.returncode == 1
    assert "articles/p.md: this is not a regular file" in done.stderr


# --- 5. unreadable folders -----------------------------------------------------------------------


def test_an_unreadable_folder_is_an_error_not_a_gap(
    site: Callable[..., Config],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = site({"a.md": article_text("First"), "2021/b.md": article_text("Second")})
    assert _build(config.root) == 0
    before = snapshot(config.path("output"))
    locked = str(config.path("source") / "2021")
    scandir = os.scandir

    def refusing(path: object = ".") -> object:
        # chmod cannot lock out root, so the refusal is simulated where the folder is read.
        if os.fspath(path) == locked:  # type: ignore[call-overload]
            raise PermissionError(13, "Permission denied", locked)
        return scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", refusing)
    (config.path("source") / "a.md").write_text(article_text("First, changed"))

    assert _build(config.root) == 1

    err = capsys.readouterr().err
    assert "articles/2021: cannot read this folder: Permission denied" in err
    assert snapshot(config.path("output")) == before


# --- 7. characters no page or feed can carry ------------------------------------------------


_CONTROL_MESSAGE = "the text holds the control character U+"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_fm("title: Bell \x07 here", *BASE[1:]), f"2: {_CONTROL_MESSAGE}0007"),
        (_fm(*BASE, body="A noncharacter \uffff in it.\n"), f"6: {_CONTROL_MESSAGE}FFFF"),
        (_fm(*BASE, body="word " * 2000 + "\n\nlate\x00NUL\n"), "8: this is not a text file"),
        (_fm('title: "An escaped \\x01 control"', *BASE[1:]), f"2: {_CONTROL_MESSAGE}0001"),
        (_fm(*BASE, 'tags: [fine, "\\u0085 next line"]'), f"5: {_CONTROL_MESSAGE}0085"),
        (_fm(*BASE, 'summary: "NUL \\0 escaped"'), f"5: {_CONTROL_MESSAGE}0000"),
    ],
    ids=["raw-title", "noncharacter-body", "nul-after-8k", "escaped-x01", "escaped-c1", "yaml-nul"],
)
def test_control_characters_are_refused_with_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    root = tmp_path / "project"
    make_site(root, {"bad.md": text})

    assert _build(root) == 1

    err = capsys.readouterr().err
    assert f"articles/bad.md:{expected}" in err
    assert not (root / "_site").exists()


def test_control_characters_in_the_settings_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    make_site(root, {"a.md": article_text()})
    (root / "newsgen.yaml").write_text('description: ok\ntitle: "An \\x1b site"\n')

    assert _build(root) == 1

    err = capsys.readouterr().err
    assert "newsgen.yaml:2: the text holds the control character U+001B" in err
    assert not (root / "_site").exists()


def test_character_references_to_control_characters_never_reach_a_page(
    site: Callable[..., Config],
) -> None:
    body = "Bell &#7; and &#x1; and &#xFFFF; and &#0; and &#128; here.\n"
    config = site({"a.md": article_text("First", body=body)})

    assert _build(config.root) == 0

    output = config.path("output")
    for url, data in snapshot(output).items():
        assert not _CONTROL.search(data.decode("utf-8")), url
    assert "Bell" in (output / "articles" / "first.html").read_text()


# --- 9. names too long for the file system -----------------------------------------------------


def test_a_slug_too_long_for_a_file_name_is_refused_at_load(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": _fm(*BASE, "slug: " + "a" * 300)})

    assert _build(config.root) == 1

    err = capsys.readouterr().err
    assert "articles/a.md:5: 'slug' is 300 characters long; at most 100 fit" in err
    assert "Traceback" not in err


# --- 14. language tags --------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ['"en.<script>x"', "en@x", "root"])
def test_junk_language_tags_are_refused(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], tag: str
) -> None:
    config = site({"a.md": _fm(*BASE, f"language: {tag}")})

    assert _build(config.root) == 1

    assert "articles/a.md:5: " in capsys.readouterr().err
