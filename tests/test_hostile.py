"""Hostile inputs and unlucky file systems: each probe that once broke a build, kept as a test.

Probes about exhaustion or hangs run the build in a child process with a memory
limit and a timeout, so that a regression fails the test instead of the machine.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import newsgen
from newsgen.cli import main
from newsgen.config import Config
from newsgen.pipeline import build

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
    assert (config.path("output") / "articles/2021/10/14-first.html").is_file()


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
    assert (root / "_site" / "articles/2021/10/14-first.html").is_file()


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
        if url.endswith((".html", ".xml", ".json", ".txt")):
            assert not _CONTROL.search(data.decode("utf-8")), url
    assert "Bell" in (output / "articles/2021/10/14-first.html").read_text()


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


# --- helpers for the output folder -------------------------------------------------------------


def _leftovers(output: Path) -> list[str]:
    """Anything a build left beside the output folder: staging folders, old builds, locks."""
    return sorted(p.name for p in output.parent.glob(f".{output.name}.*"))


def _matches_manifest(output: Path) -> None:
    """Every file the manifest lists is there, with the bytes it lists."""
    from newsgen.write import read_manifest

    manifest = read_manifest(output)
    assert manifest is not None
    for url, entry in manifest.items():
        data = (output / url).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry.sha256, url
        assert len(data) == entry.size, url


@pytest.fixture
def enforced_permissions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Folder write permission enforced as the kernel enforces it for anyone but root.

    Where the tests run as root, chmod stops nothing; the calls that change a folder's
    entries are then refused here as they would be for the folder's owner.
    """
    if os.geteuid() != 0:
        return

    def check(path: Any, dir_fd: int | None = None) -> None:
        name = os.fspath(path)
        if dir_fd is not None and not os.path.isabs(name):
            mode = os.fstat(dir_fd).st_mode
        else:
            mode = os.stat(os.path.dirname(os.path.abspath(name))).st_mode
        if not mode & stat.S_IWUSR:
            raise PermissionError(errno.EACCES, "Permission denied", name)

    def guard(name: str, *checked: int, creating: bool = False) -> None:
        real = getattr(os, name)

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not creating or (args[1] & os.O_CREAT and not os.path.exists(args[0])):
                for index in checked:
                    check(args[index], kwargs.get("dir_fd"))
            return real(*args, **kwargs)

        monkeypatch.setattr(os, name, guarded)

    for name in ("mkdir", "unlink", "remove", "rmdir"):
        guard(name, 0)
    for name in ("rename", "replace"):
        guard(name, 0, 1)
    guard("link", 1)
    guard("symlink", 1)
    guard("open", 0, creating=True)


# --- 1. overlapping builds ---------------------------------------------------------------------


def test_a_second_build_waits_for_the_first_and_says_so(site: Callable[..., Config]) -> None:
    from newsgen.write import lock_output

    config = site({"a.md": article_text("First")})
    output = config.path("output")
    with lock_output(output):  # a build in this process holds the folder
        child = subprocess.Popen(
            [sys.executable, "-m", "newsgen.cli", "--root", str(config.root), "build"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(_PACKAGE_ROOT)},
        )
        assert child.stderr is not None
        line = child.stderr.readline()  # it waits, and says so, while the lock is held
        assert child.poll() is None
        assert not output.exists()
    _, err = child.communicate(timeout=120)

    assert re.fullmatch(
        r"_site: warning: another build \(process \d+\) is writing this folder; "
        r"waiting for it to finish\n",
        line,
    )
    assert child.returncode == 0, err
    assert (output / "articles/2021/10/14-first.html").is_file()
    assert _leftovers(output) == []


def test_with_no_wait_a_second_build_fails_clearly(site: Callable[..., Config]) -> None:
    from newsgen.write import lock_output

    config = site({"a.md": article_text("First")})
    output = config.path("output")
    with lock_output(output):
        done = run_newsgen(config.root, "build", "--no-wait", timeout=60)

    assert done.returncode == 3
    assert re.fullmatch(
        r"_site: another build \(process \d+\) is writing this folder "
        r"\(try again when it has finished\)\n",
        done.stderr,
    )
    assert not output.exists()


def test_a_missing_page_is_never_trusted_by_the_no_change_shortcut(
    site: Callable[..., Config],
) -> None:
    config = site({"a.md": article_text("First"), "b.md": article_text("Second")})
    assert _build(config.root) == 0
    output = config.path("output")
    whole = snapshot(output)
    (output / "index.html").unlink()
    (output / "articles/2021/10/14-first.html").write_text("damaged")

    assert _build(config.root) == 0

    assert snapshot(output) == whole


def test_a_missing_page_is_restored_when_other_inputs_changed_too(
    site: Callable[..., Config],
) -> None:
    config = site({"a.md": article_text("First"), "b.md": article_text("Second")})
    assert _build(config.root) == 0
    output = config.path("output")
    (output / "articles/2021/10/14-first.html").unlink()
    (config.path("source") / "c.md").write_text(article_text("Third"))

    assert _build(config.root) == 0

    assert (output / "articles/2021/10/14-first.html").is_file()
    _matches_manifest(output)


def test_recovery_removes_only_what_a_dead_build_left(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("First")})
    assert _build(config.root) == 0
    output = config.path("output")
    dead = output.parent / f".{output.name}.staging-999999"
    dead.mkdir()
    (dead / ".newsgen-staging").touch()
    (dead / "half.html").write_text("half")
    stranger = output.parent / f".{output.name}.staging-notes"  # not a build's: no mark
    stranger.mkdir()
    (config.path("source") / "b.md").write_text(article_text("Second"))

    assert _build(config.root) == 0

    assert _leftovers(output) == [stranger.name]


# --- 6. a symlinked output folder -------------------------------------------------------------


def test_a_symlinked_output_folder_is_published_through(
    site: Callable[..., Config], tmp_path: Path
) -> None:
    config = site({"a.md": article_text("First")})
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    output = config.path("output")
    output.symlink_to(deploy / "site")  # the folder it names does not exist yet

    assert _build(config.root) == 0
    (config.path("source") / "b.md").write_text(article_text("Second"))
    assert _build(config.root) == 0
    assert _build(config.root) == 0

    assert output.is_symlink() and os.readlink(output) == str(deploy / "site")
    assert (deploy / "site" / "articles/2021/10/14-second.html").is_file()
    _matches_manifest(deploy / "site")
    assert _leftovers(output) == [] and _leftovers(deploy / "site") == []


def test_an_output_link_that_loops_is_refused(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text("First")})
    config.path("output").symlink_to("_site")

    assert _build(config.root) == 3

    err = capsys.readouterr().err
    assert "_site: the output folder is a link that cannot be followed: " in err
    assert config.path("output").is_symlink()


# --- 8. a damaged manifest ---------------------------------------------------------------------


def test_a_damaged_manifest_rebuilds_everything_and_keeps_unproven_files(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = site({"a.md": article_text("First"), "b.md": article_text("Second")})
    assert _build(config.root) == 0
    output = config.path("output")
    (config.path("source") / "b.md").unlink()  # its page is now one newsgen cannot prove
    (output / "CNAME").write_text("archive.example.org\n")
    (output / ".newsgen-manifest.json").write_text('{"files": {"index.html": ')
    before = snapshot(output)
    capsys.readouterr()

    assert _build(config.root) == 0

    reference = make_site(tmp_path / "reference", {"a.md": article_text("First")})
    assert _build(reference.root) == 0
    fresh = snapshot(reference.path("output"))
    built = snapshot(output)
    assert {url: built[url] for url in fresh} == fresh  # every page rebuilt
    unproven = set(before) - set(fresh)  # files this build does not make: all kept, as they were
    assert {"CNAME", "articles/2021/10/14-second.html"} <= unproven
    assert {url: built[url] for url in unproven} == {url: before[url] for url in unproven}
    err = capsys.readouterr().err
    assert "_site: warning: the manifest .newsgen-manifest.json could not be used" in err
    assert (
        f"every page was rebuilt, and {len(unproven)} file(s) newsgen cannot prove it wrote "
        "were kept"
    ) in err
    _matches_manifest(output)
    assert _build(config.root) == 0
    assert "warning" not in capsys.readouterr().err


# --- 9. broken file systems: one line naming the path, never a traceback -----------------------


def test_a_full_disk_is_a_message_and_the_site_stays(
    site: Callable[..., Config],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = site({"a.md": article_text("First")})
    assert _build(config.root) == 0
    output = config.path("output")
    before = snapshot(output)
    write_bytes = Path.write_bytes

    def full(self: Path, data: Any) -> int:
        if ".staging-" in str(self):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    (config.path("source") / "b.md").write_text(article_text("Second"))

    assert _build(config.root) == 3

    err = capsys.readouterr().err
    assert re.search(
        r"^\._site\.staging-\d+/\S+: cannot write the new site: No space left on device; "
        r"the last site was left as it was$",
        err,
        re.M,
    ), err
    assert snapshot(output) == before
    assert _leftovers(output) == []


def test_a_read_only_project_folder_is_a_message(
    site: Callable[..., Config],
    capsys: pytest.CaptureFixture[str],
    enforced_permissions: None,
) -> None:
    config = site({"a.md": article_text("First")})
    config.root.chmod(0o555)
    try:
        assert _build(config.root) == 3
    finally:
        config.root.chmod(0o755)

    err = capsys.readouterr().err
    assert "._site.lock: cannot write beside the output folder: Permission denied" in err
    assert "Traceback" not in err


def test_a_read_only_site_does_not_stop_later_builds(
    site: Callable[..., Config],
    capsys: pytest.CaptureFixture[str],
    enforced_permissions: None,
) -> None:
    config = site({"a.md": article_text("First", countries="[UZ]")})
    assert _build(config.root) == 0
    output = config.path("output")
    for folder in [output, *(p for p in output.rglob("*") if p.is_dir())]:
        folder.chmod(0o555)
    (config.path("source") / "b.md").write_text(article_text("Second"))

    assert _build(config.root) == 0
    (config.path("source") / "c.md").write_text(article_text("Third"))
    assert _build(config.root) == 0

    assert "Traceback" not in capsys.readouterr().err
    assert (output / "articles/2021/10/14-third.html").is_file()
    _matches_manifest(output)
    assert _leftovers(output) == []


def test_a_foreign_folder_where_a_page_must_go_is_refused(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text("First")})
    assert _build(config.root) == 0
    output = config.path("output")
    (output / "articles/2021/10/14-second.html").mkdir(parents=True)
    (output / "articles/2021/10/14-second.html" / "notes.txt").write_text("mine")
    before = snapshot(output)
    (config.path("source") / "b.md").write_text(article_text("Second"))

    assert _build(config.root) == 3

    err = capsys.readouterr().err
    assert (
        "_site/articles/2021/10/14-second.html: refusing to replace articles/2021/10/14-second.html"
        in err
    )
    assert snapshot(output) == before
    assert _leftovers(output) == []


def test_a_foreign_file_where_a_folder_must_go_is_refused(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text("First")})
    assert _build(config.root) == 0
    output = config.path("output")
    (output / "feeds" / "countries").write_text("mine")
    before = snapshot(output)
    (config.path("source") / "b.md").write_text(article_text("Second", countries="[UZ]"))

    assert _build(config.root) == 3

    err = capsys.readouterr().err
    assert "_site/feeds/countries: refusing to replace feeds/countries" in err
    assert snapshot(output) == before


def test_an_output_folder_below_a_file_is_a_message(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text("First")})
    (config.root / "notes.txt").write_text("a file")

    assert _build(config.root, "--output", "notes.txt/site") == 3

    err = capsys.readouterr().err
    assert err == "notes.txt: the output folder cannot be made: this is a file, not a folder\n"


def test_an_article_link_to_itself_is_a_message(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text("First")})
    os.symlink("self.md", config.path("source") / "self.md")

    assert _build(config.root) == 1

    assert "articles/self.md: this link leads round in a loop" in capsys.readouterr().err


# --- 10. output inside an input folder ---------------------------------------------------------


@pytest.mark.parametrize(
    ("inside", "what"),
    [("static/site", "static"), ("articles/out", "articles"), ("templates/x", "templates")],
)
def test_an_output_folder_inside_an_input_folder_is_refused(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], inside: str, what: str
) -> None:
    config = site({"a.md": article_text("First")})

    assert _build(config.root, "--output", inside) == 3

    err = capsys.readouterr().err
    assert f"it is inside the {what} folder" in err
    assert not (config.root / inside).exists()


# --- 11. foreign folders, empty or not ---------------------------------------------------------


def test_foreign_empty_folders_are_kept(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("First")})
    assert _build(config.root) == 0
    output = config.path("output")
    (output / ".well-known").mkdir()
    (output / ".git" / "refs" / "tags").mkdir(parents=True)
    (output / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (output / "articles" / "drafts").mkdir()

    for name in ("b.md", "c.md"):
        (config.path("source") / name).write_text(article_text(f"Article {name}"))
        assert _build(config.root) == 0

    assert (output / ".well-known").is_dir()
    assert (output / ".git" / "refs" / "tags").is_dir()
    assert (output / ".git" / "HEAD").is_file()
    assert (output / "articles" / "drafts").is_dir()


def test_a_folder_newsgen_emptied_goes(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("First", countries="[UZ]")})
    assert _build(config.root) == 0
    output = config.path("output")
    assert (output / "feeds" / "countries").is_dir()
    (config.path("source") / "a.md").write_text(article_text("First"))

    assert _build(config.root) == 0

    assert not (output / "feeds" / "countries").exists()


# --- 3. serve keeps watching after any failure -------------------------------------------------


def test_serve_shows_any_failure_and_keeps_rebuilding(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    import http.client
    import time

    from newsgen import pipeline, serve

    config = site({"a.md": article_text("First story", body="Original words.\n")})
    article = config.path("source") / "a.md"
    real_build = pipeline.build

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if "Broken" in article.read_text():
            raise RuntimeError("a bug, not a user's mistake")
        return real_build(*args, **kwargs)

    monkeypatch.setattr(serve, "build", flaky)
    dev = serve.DevServer(config.root, port=0)
    dev.start()

    def page() -> str:
        host, port = dev.httpd.server_address[:2]
        connection = http.client.HTTPConnection(str(host), int(port), timeout=5)
        connection.request("GET", "/articles/2021/10/14-first-story.html")
        body = connection.getresponse().read().decode()
        connection.close()
        return body

    def wait_for(check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 30
        while not check():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.1)

    try:
        article.write_text(article.read_text().replace("Original", "Broken"))
        wait_for(lambda: 'id="newsgen-error"' in page())
        assert "RuntimeError: a bug, not a user&#x27;s mistake" in page()
        assert "Original words." in page()  # the last good build is still served

        article.write_text(article.read_text().replace("Broken", "Fixed"))
        # The new files are live a moment before the build reports success: wait for both.
        wait_for(lambda: "Fixed words." in (body := page()) and "newsgen-error" not in body)
    finally:
        dev.stop()


# --- 12. footnotes -------------------------------------------------------------------------------

_FOOTNOTES = (
    "A claim.[^1] Another.[^note] The claim again.[^1]\n\n[^1]: The source.\n[^note]: A note.\n"
)


def test_footnotes_link_both_ways_and_check_passes(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text("First", body=_FOOTNOTES)})
    assert _build(config.root) == 0
    page = (config.path("output") / "articles/2021/10/14-first.html").read_text()

    ids = set(re.findall(r' id="(fn[^"]*)"', page))
    links = set(re.findall(r'href="#(fn[^"]*)"', page))
    prefix = "articles-2021-10-14-first"  # from the page's address: slugs may repeat
    assert {f"fn-{prefix}-1", f"fn-{prefix}-note", f"fnref-{prefix}-1"} <= ids
    assert f"fnref2-{prefix}-1" in ids
    assert links and links <= ids
    capsys.readouterr()
    assert main(["--root", str(config.root), "check"]) == 0, capsys.readouterr().err


def test_footnote_ids_differ_between_articles_and_authors_ids_are_stripped() -> None:
    from newsgen.render import render_markdown

    text = _FOOTNOTES + '\n<span id="fn-b-1">forged</span>\n\nA paragraph.\n{: #mine }\n'
    first = str(render_markdown(text, allow_raw_html=False, id_prefix="a"))
    second = str(render_markdown(text, allow_raw_html=False, id_prefix="b"))

    assert re.findall(r' id="([^"]*)"', first) == [
        "fnref-a-1", "fnref-a-note", "fnref2-a-1", "fn-a-1", "fn-a-note"
    ]  # fmt: skip
    assert re.findall(r' id="([^"]*)"', second) == [
        "fnref-b-1", "fnref-b-note", "fnref2-b-1", "fn-b-1", "fn-b-note"
    ]  # fmt: skip
    assert "forged" in second and 'id="mine"' not in second


def test_heading_ids_carry_the_bodys_prefix_and_authors_ids_are_stripped() -> None:
    from newsgen.render import clean_cached, render_markdown

    text = (
        "## Method\n\nSee [it](#method) and [that](#own).\n\n## Other {: #own }\n\n"
        'A paragraph.\n{: #mine }\n\n<h2 id="b-x">Raw</h2>\n'
    )
    rendered = str(render_markdown(text, allow_raw_html=False, id_prefix="b"))
    # An author's anchor on a heading takes the prefix; on anything else, or raw, it goes.
    assert re.findall(r' id="([^"]*)"', rendered) == ["b-h-method", "b-h-own"]
    assert 'href="#b-h-method"' in rendered and 'href="#b-h-own"' in rendered
    # The cache is read as untrusted: this body's heading ids stay, another body's go.
    planted = rendered.replace("<p>", '<p id="a-h-method">', 1).replace("<p>", '<p id="b-x">')
    kept = re.findall(r' id="([^"]*)"', str(clean_cached(planted, False, "b")))
    assert kept == ["b-h-method", "b-h-own"]


@pytest.mark.parametrize(
    "text",
    [
        "## !!!\n\n## 🎉\n\nA [link](#section_1).\n",  # names of nothing: 'section'
        "## Method\n\n## Other {: #method }\n\n## Method\n\n[third](#method_2)\n",  # thrice
        "## Cafe\u0301\n\n[it](#caf%C3%A9) [it](#Café)\n",  # composed or not, one name
        "> ## Quoted\n\n- ## In a list\n\n## Method[^1]\n\n[^1]: Note.\n",
        "## Методы\n\n[Методы](#Методы)\n\n## Über uns\n\n[it](#über-uns)\n",
    ],
)
def test_heading_ids_are_unique_and_read_back_from_the_cache_unchanged(text: str) -> None:
    from newsgen.render import clean_cached, render_markdown

    rendered = str(render_markdown(text, allow_raw_html=False, id_prefix="p"))
    ids = re.findall(r' id="([^"]*)"', rendered)
    assert len(ids) == len(set(ids)) and all(
        i.startswith(("p-h-", "fn-p-", "fnref-p-")) for i in ids
    )
    links = [h for h in re.findall(r'href="#([^"]*)"', rendered)]
    assert links and set(links) <= set(ids)  # every link here names a heading (or footnote)
    assert str(clean_cached(rendered, False, "p")) == rendered


# --- 15. the cache holds data, never code --------------------------------------------------------


class _Payload:
    """Unpickling this creates a file: proof that loading the cache ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_a_planted_cache_file_runs_no_code(
    site: Callable[..., Config], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pickle

    config = site({"a.md": article_text("First")})
    assert _build(config.root) == 0
    cache = config.path("cache")
    marker = tmp_path / "ran"
    for name in ("records.pickle", "records.json", "records", "state.sqlite"):
        (cache / name).write_bytes(pickle.dumps(_Payload(marker)))
    (config.path("source") / "b.md").write_text(article_text("Second"))
    capsys.readouterr()

    assert _build(config.root) == 0

    assert not marker.exists()
    assert (config.path("output") / "articles/2021/10/14-second.html").is_file()
    # The planted database is a warning, and a new state is made in its place.
    err = capsys.readouterr().err
    assert "the build state could not be used" in err and "Traceback" not in err
    assert _build(config.root, "--full") == 0
    assert "the build state" not in capsys.readouterr().err


def test_the_cache_folder_holds_data_files_only(site: Callable[..., Config]) -> None:
    """No compiled template or pickle: a cache restored from elsewhere is read, never run."""
    config = site(
        {
            "a.md": article_text("First", notes='"**Checked.**"'),
            "b.md": article_text("Second", date="2022-01-02", story="s"),
        }
    )
    assert _build(config.root) == 0
    (config.path("source") / "c.md").write_text(article_text("Third", story="s"))
    assert _build(config.root) == 0
    kinds = {p.suffix for p in config.path("cache").rglob("*") if p.is_file()}
    assert kinds and kinds <= {".json", ".sqlite", ".html"}


@pytest.mark.parametrize(
    "damage",
    [
        {"f_date": 12345},
        {"f_countries": "UZ"},
        {"f_countries": '["UZ", 3]'},
        {"f_title": b"not text"},
        {"f_timestamp": "yesterday"},
        {"f_slug": None},
        {"f_body_line": "1"},
        {"warnings": "[[1, 2, 3]]"},
    ],
    ids=[
        "date-number", "countries-text", "countries-number", "title-bytes", "timestamp-junk",
        "slug-none", "line-text", "warnings-junk",
    ],
)  # fmt: skip
def test_a_cache_record_of_the_wrong_shape_is_never_used(
    site: Callable[..., Config], tmp_path: Path, damage: dict[str, Any]
) -> None:
    import sqlite3

    from newsgen.deps import build_fingerprint
    from newsgen.state import STATE_FILE, BuildState

    config = site({"a.md": article_text("First", countries="[UZ]")})
    source = config.path("source") / "a.md"
    os.utime(source, (1_600_000_000, 1_600_000_000))  # old enough to be found by its time
    assert _build(config.root) == 0
    key = build_fingerprint(config)
    state = BuildState(config.path("cache"), key, config.root)
    assert state.records.by_stat(source, source.stat())
    state.close()
    with sqlite3.connect(config.path("cache") / STATE_FILE) as connection:
        for column, value in damage.items():
            connection.execute(f"UPDATE records SET {column} = ?", (value,))
    connection.close()

    state = BuildState(config.path("cache"), key, config.root)
    assert state.records.by_stat(source, source.stat()) is None
    state.close()

    before = snapshot(config.path("output"))
    assert _build(config.root, "--output", str(tmp_path / "again")) == 0
    assert snapshot(tmp_path / "again") == before


def test_planted_mentions_that_are_not_country_codes_are_never_used(
    site: Callable[..., Config], tmp_path: Path
) -> None:
    import sqlite3

    from newsgen.state import STATE_FILE

    config = site({"a.md": article_text("First", body="Officials in Kazakhstan said so.\n")})
    assert _build(config.root) == 0
    before = snapshot(config.path("output"))
    with sqlite3.connect(config.path("cache") / STATE_FILE) as connection:
        connection.execute("UPDATE mentions SET codes = '../../x,<b>'")
    connection.close()

    assert _build(config.root, "--output", str(tmp_path / "again")) == 0
    assert snapshot(tmp_path / "again") == before


# --- 1. overlapping builds, as they happen: a stress test ---------------------------------------


def _stress_project(root: Path, count: int) -> None:
    articles = {
        f"a{i:03d}.md": article_text(
            f"Article number {i}",
            date=f"{2000 + i % 20}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            countries=["[UZ]", "[RU, KZ]", "[TJ]", "[]"][i % 4],
            body=f"Paragraph one of {i}.\n\nParagraph two, longer. " * 20 + "\n",
        )
        for i in range(count)
    }
    make_site(root, articles)


@pytest.mark.stress
def test_overlapping_builds_leave_the_site_whole_and_current(tmp_path: Path) -> None:
    import time

    rounds = int(os.environ.get("NEWSGEN_STRESS_ROUNDS", "3"))
    root = tmp_path / "project"
    _stress_project(root, 240)
    output = root / "_site"
    assert run_newsgen(root, "build").returncode == 0
    env = {**os.environ, "PYTHONPATH": str(_PACKAGE_ROOT)}
    command = [sys.executable, "-m", "newsgen.cli", "--root", str(root), "build"]
    passed = waited = 0
    for round_ in range(rounds):
        # Each round changes the site (an edit, an addition, a removal), then starts two
        # builds, the second at a different moment of the first each round.
        edited = root / "articles" / f"a{round_ % 240:03d}.md"
        edited.write_text(edited.read_text().replace("Paragraph one", f"Round {round_}, one"))
        (root / "articles" / f"new-{round_}.md").write_text(article_text(f"New in {round_}"))
        (root / "articles" / f"new-{round_ - 1}.md").unlink(missing_ok=True)
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep((round_ % 8) * 0.06)
        second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for child in (first, second):
            _, err = child.communicate(timeout=300)
            assert child.returncode == 0, f"round {round_}: {err.decode()}"
            assert b"Traceback" not in err
            waited += b"waiting for it to finish" in err

        _matches_manifest(output)
        assert _leftovers(output) == []
        reference = tmp_path / f"full-{round_}"
        full = run_newsgen(root, "build", "--full", "--output", str(reference))
        assert full.returncode == 0, full.stderr
        built, fresh = snapshot(output), snapshot(reference)
        manifest = ".newsgen-manifest.json"
        assert {u: d for u, d in built.items() if u != manifest} == {
            u: d for u, d in fresh.items() if u != manifest
        }, f"round {round_}"
        passed += 1
    assert passed == rounds
    assert waited >= 1  # the builds did overlap: at least the round started at once
    print(f"{passed}/{rounds} rounds passed; in {waited} a build waited for the other")


def test_a_planted_body_in_the_html_cache_is_sanitized(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("Planted", body="Plain words.[^1]\n\n[^1]: A note.\n")})
    build(config)
    planted = 0
    for path in (config.path("cache") / "html").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text + '<script>alert(1)</script><p id="x" onclick="y()">z</p>')
        planted += 1
    assert planted
    shutil.rmtree(config.path("output"))  # every page is made again, its body from the cache
    build(config)

    page = (config.path("output") / "articles/2021/10/14-planted.html").read_text()
    assert "<script>alert" not in page and "onclick" not in page and 'id="x"' not in page
    assert 'id="fn-' in page and 'id="fnref-' in page  # the footnotes' own ids stay


# --- a render worker that dies ------------------------------------------------------------------

_LOSE_A_WORKER = """
import os, signal, sys
sys.path.insert(0, {src!r})
from pathlib import Path
from newsgen import pipeline
from newsgen.cli import main

def dies(chunk):
    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer does
pipeline._render_one = dies
pipeline.LocalPool.__init__.__defaults__ = (2, 1, 1)  # workers, threshold, chunk
sys.exit(main(["--root", sys.argv[1], "build"]))
"""


def test_a_render_worker_killed_fails_the_build_instead_of_hanging_it(
    site: Callable[..., Config], tmp_path: Path
) -> None:
    config = site({f"a{i}.md": article_text(f"Article {i}") for i in range(4)})
    assert _build(config.root) == 0
    before = snapshot(config.path("output"))
    (config.path("source") / "b.md").write_text(article_text("Second"))
    script = tmp_path / "lose.py"
    script.write_text(_LOSE_A_WORKER.format(src=str(Path(newsgen.__file__).parents[1])))

    child = subprocess.run(
        [sys.executable, str(script), str(config.root)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert child.returncode == 4, child.stderr
    assert "a process rendering pages died" in child.stderr
    assert "Traceback" not in child.stderr
    assert snapshot(config.path("output")) == before
