from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from newsgen import urls
from newsgen.cli import main
from newsgen.config import Config
from newsgen.errors import OutputError
from newsgen.pipeline import build
from newsgen.write import Staging, read_manifest, safe_url

from .conftest import PROJECT, article_text, snapshot


def _leftovers(config: Config) -> list[Path]:
    output = config.path("output")
    return sorted(output.parent.glob(f".{output.name}.*"))


def test_a_second_build_with_no_change_writes_nothing(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text(countries="[UZ]"), "b.md": article_text("Other")})
    first = build(config)
    assert first.written and first.rendered == first.pages
    output = config.path("output")
    times = {p: p.stat().st_mtime_ns for p in output.rglob("*")}

    second = build(config)

    assert second.written == [] and second.removed == [] and second.rendered == 0
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*")} == times
    assert _leftovers(config) == []


def test_only_changed_pages_are_rendered_and_written(site: Callable[..., Config]) -> None:
    config = site(
        {"a.md": article_text("First"), "b.md": article_text("Second", date="2022-01-01")}
    )
    build(config)
    path = config.path("source") / "b.md"
    path.write_text(path.read_text().replace("The first paragraph.", "A changed paragraph."))

    report = build(config)

    assert "articles/2022/01/01-second.html" in report.written
    assert "articles/2021/10/14-first.html" not in report.written
    assert report.rendered < report.pages


def test_removed_articles_lose_their_pages(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("First", countries="[UZ]"), "b.md": article_text("Second")})
    build(config)
    (config.path("source") / "a.md").unlink()

    report = build(config)

    output = config.path("output")
    assert "articles/2021/10/14-first.html" in report.removed
    assert not (output / "articles/2021/10/14-first.html").exists()
    assert not (output / "countries" / "uz.html").exists()


def test_files_newsgen_did_not_write_are_kept(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("First")})
    build(config)
    output = config.path("output")
    (output / "CNAME").write_text("archive.example.org\n")
    (output / ".git").mkdir()
    (output / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (config.path("source") / "b.md").write_text(article_text("Second"))

    build(config)
    (config.path("source") / "b.md").unlink()
    build(config)

    assert (output / "CNAME").read_text() == "archive.example.org\n"
    assert (output / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"


def test_a_foreign_file_is_never_overwritten(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("First")})
    build(config)
    output = config.path("output")
    (output / "articles/2021/10/14-second.html").write_text("mine")
    (config.path("source") / "b.md").write_text(article_text("Second"))

    with pytest.raises(OutputError, match="newsgen did not write it"):
        build(config)
    assert (output / "articles/2021/10/14-second.html").read_text() == "mine"


@pytest.mark.parametrize("where", [".", "articles", "templates", ".."])
def test_refuses_folders_that_hold_the_project(
    where: str, site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text()})
    before = snapshot(config.root.parent)

    code = main(["--root", str(config.root), "build", "--output", where])

    assert code == 3
    assert "refusing to build into" in capsys.readouterr().err
    assert snapshot(config.root.parent) == before


def test_refuses_the_home_folder(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text()})
    assert main(["--root", str(config.root), "build", "--output", str(Path.home())]) == 3
    assert "your home folder" in capsys.readouterr().err


def test_refuses_a_folder_of_other_files_unless_forced(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text()})
    other = config.root / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep me")

    assert main(["--root", str(config.root), "build", "--output", "notes"]) == 3
    assert "holds files newsgen did not write" in capsys.readouterr().err
    assert sorted(os.listdir(other)) == ["todo.txt"]

    assert main(["--root", str(config.root), "build", "--output", "notes", "--force"]) == 0
    assert (other / "todo.txt").read_text() == "keep me"
    assert (other / "index.html").is_file()


@pytest.mark.parametrize("url", ["../x", "/etc/passwd", "a/../../x", "a\\b", "a\x00b", "", "a//b"])
def test_paths_outside_the_output_are_refused(url: str) -> None:
    with pytest.raises(OutputError):
        safe_url(url)


def test_one_path_is_never_written_twice(tmp_path: Path) -> None:
    staging = Staging(tmp_path / "_site")
    staging.put("index.html", b"one")
    with pytest.raises(OutputError, match="same path"):
        staging.put("index.html", b"two")
    staging.discard()


# A build killed at a chosen point, with SIGKILL, in a child process: the point is a step
# of publishing and how many times it has run before (0: the first time it is reached).
_KILLED_BUILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    sys.path.insert(0, {src!r})
    from newsgen import write
    from newsgen.config import load_config
    from newsgen.pipeline import build

    step, after = sys.argv[2], int(sys.argv[3])
    calls = [0]
    owner = write.Staging if step == "put" else write
    original = getattr(owner, step)
    def counted(*args, **kwargs):
        if step == "_remove_page" and not removing[0]:
            return original(*args, **kwargs)
        if calls[0] == after:
            os.kill(os.getpid(), signal.SIGKILL)
        calls[0] += 1
        return original(*args, **kwargs)
    setattr(owner, step, counted)
    # Removals are counted once every page is in place: after the manifest has moved in.
    removing = [False]
    move_in = write._move_in
    def watched(folder, output, url):
        move_in(folder, output, url)
        if url == ".newsgen-manifest.json":
            removing[0] = True
    if step != "_move_in":
        write._move_in = watched
    config, _ = load_config(Path(sys.argv[1]))
    build(config)
    """
)

# Each step of publishing, killed early, in the middle and late; the edit below moves
# one page (a new address), changes others and removes two (the old address, a country).
_KILL_POINTS = [
    ("put", 2),  # while staging: before the third file is written
    ("_write_journal", 0),  # everything staged, nothing committed
    ("_move_in", 0),  # committed, nothing moved in yet
    ("_move_in", 3),
    ("_move_in", 12),
    ("_remove_page", 0),  # every new page and the manifest in place, nothing removed
    ("_remove_page", 1),
    ("_remove_build", 0),  # published, the staging folder not yet removed
]


@pytest.mark.parametrize(("step", "after"), _KILL_POINTS)
def test_a_killed_build_leaves_each_page_whole_and_the_next_build_finishes_it(
    step: str, after: int, site: Callable[..., Config], tmp_path: Path
) -> None:
    files = {f"a{i}.md": article_text(f"Article {i}", countries="[UZ]") for i in range(5)}
    files["b.md"] = article_text("Moved", countries="[KZ]")
    config = site(files)
    build(config)
    output = config.path("output")
    (output / "CNAME").write_text("kept\n")
    old = snapshot(output)
    edited = config.path("source") / "a1.md"
    edited.write_text(edited.read_text().replace("The first paragraph.", "Edited."))
    moved = config.path("source") / "b.md"
    moved.write_text(article_text("Moved elsewhere", countries="[UZ]"))
    new = _reference_build(config, tmp_path / "reference")
    new["CNAME"] = old["CNAME"]
    script = tmp_path / "killed.py"
    script.write_text(_KILLED_BUILD.format(src=str(PROJECT / "src")))

    child = subprocess.run(
        [sys.executable, str(script), str(config.root), step, str(after)], capture_output=True
    )

    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    now = snapshot(output)
    now.pop(".newsgen-manifest.json")
    for url, data in now.items():  # each page is its old or its new version, whole
        assert data in (old.get(url), new.get(url)), url
    all_in = all(now.get(url) == data for url, data in new.items())
    for url in old:
        if url != ".newsgen-manifest.json" and (url in new or not all_in):
            assert url in now, f"{url} is missing"  # old pages go only once all new are in
    build(config)
    assert _leftovers(config) == []  # the next build finished and cleaned up
    finished = snapshot(output)
    finished.pop(".newsgen-manifest.json")
    assert finished == new
    assert not build(config).written  # and knows the site is current


def _reference_build(config: Config, folder: Path) -> dict[str, bytes]:
    """The site a full build of config's project makes in another folder, manifest left out."""
    import shutil

    shutil.copytree(config.root, folder, ignore=shutil.ignore_patterns("_site", ".*"))
    from newsgen.config import load_config

    reference, _ = load_config(folder)
    build(reference)
    built = snapshot(reference.path("output"))
    built.pop(".newsgen-manifest.json")
    return built


def _age(root: Path, seconds: int = 60) -> None:
    """Set every input's modification time into the past, as after a while of no edits."""
    for path in root.rglob("*"):
        if path.is_file() and "_site" not in path.parts:
            stat = path.stat()
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 1_000_000_000))


def test_a_build_with_no_changed_input_reads_no_article(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site(
        {"a.md": article_text(countries="[UZ]"), "b.md": article_text("Other", countres="[x]")}
    )
    _age(config.root)
    first = build(config)
    monkeypatch.setattr(
        "newsgen.load.load_articles", lambda *a: pytest.fail("articles were loaded")
    )

    second = build(config)

    assert (second.pages, second.articles, second.written) == (first.pages, 2, [])
    assert [w.message for w in second.warnings] == [w.message for w in first.warnings]
    assert second.warnings  # the unknown field is still reported


def test_a_file_changed_moments_ago_is_always_read_again(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("Same size", body="Words one.\n")})
    build(config)
    path = config.path("source") / "a.md"
    stat = path.stat()
    path.write_text(path.read_text().replace("Words one.", "Words two."))  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same time

    build(config)

    assert (
        "Words two." in (config.path("output") / "articles/2021/10/14-same-size.html").read_text()
    )


def test_a_build_after_a_change_knows_the_site_is_current(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The site's stamp is made from the status each file was found or staged in, not by
    # looking at every file again: the next build must still find it current.
    config = site({"a.md": article_text("First"), "b.md": article_text("Second", tags="[x]")})
    _age(config.root)
    build(config)
    edited = config.path("source") / "b.md"
    edited.write_text(article_text("Second", body="Changed.\n", tags="[x]"))
    _age(config.root)
    changed = build(config)
    assert changed.written and changed.rendered < changed.pages
    rebuilt = build(config, full=True)  # renders everything, writes nothing
    assert rebuilt.written == []
    monkeypatch.setattr(
        "newsgen.load.load_articles", lambda *a: pytest.fail("articles were loaded")
    )

    assert build(config).written == []


def _manifest_document(output: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((output / urls.MANIFEST).read_bytes())
    return document


def test_the_manifest_lists_every_file_with_its_hash_and_size(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("First"), "b.md": article_text("Second")})
    build(config)
    output = config.path("output")

    manifest = read_manifest(output)

    assert manifest is not None
    files = snapshot(output)
    files.pop(urls.MANIFEST)
    assert sorted(manifest) == sorted(files)
    for url, data in files.items():
        entry = manifest[url]
        assert (entry.sha256, entry.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert manifest["articles/2021/10/14-first.html"].fingerprint  # a page's inputs
    assert manifest.files_under("articles/") == sorted(
        url for url in files if url.startswith("articles/")
    )


def _first_version(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """A manifest as the first version wrote it: an object per file."""
    files = {
        url: {"sha256": e.sha256, "fingerprint": e.fingerprint, "size": e.size}
        for url, e in manifest.items()
    }
    return {"generator": "newsgen", "version": 1, "files": files}


def test_a_manifest_of_the_first_version_is_read_file_by_file(
    site: Callable[..., Config],
) -> None:
    """A site built by an older newsgen: its pages are known, so a retracted one goes."""
    config = site({"a.md": article_text("First"), "b.md": article_text("Second")})
    build(config)
    output = config.path("output")
    manifest = read_manifest(output)
    assert manifest is not None
    (output / urls.MANIFEST).write_text(json.dumps(_first_version(manifest)))
    before = snapshot(output)
    retracted = "articles/2021/10/14-second.html"
    assert retracted in before

    (config.path("source") / "b.md").unlink()
    report = build(config)

    assert retracted in report.removed and not (output / retracted).exists()
    assert report.warnings == []
    assert report.rendered < report.pages  # pages the change does not reach were kept
    after = read_manifest(output)
    assert after is not None and retracted not in after
    assert after["robots.txt"] == manifest["robots.txt"]  # known from the old manifest, kept


def test_a_manifest_of_another_version_rebuilds_every_page(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text("First")})
    build(config)
    output = config.path("output")
    manifest = read_manifest(output)
    assert manifest is not None
    newer = {**_first_version(manifest), "version": 99}  # written by a newer newsgen
    (output / urls.MANIFEST).write_text(json.dumps(newer))
    before = snapshot(output)

    report = build(config)

    assert report.rendered == report.pages
    assert sorted(report.written) == sorted(url for url in before if url != urls.MANIFEST)
    assert [w.message for w in report.warnings] == [
        f"the manifest {urls.MANIFEST} could not be used (it is not a manifest this version "
        "of newsgen can read): every page was rebuilt, and 0 file(s) newsgen cannot prove it "
        "wrote were kept"
    ]
    after = snapshot(output)
    assert after.pop(urls.MANIFEST) != before.pop(urls.MANIFEST)
    assert after == before
    assert build(config).warnings == []


@pytest.mark.parametrize(
    "name", ["../outside.txt", "/outside.txt", "articles//x.html", "a\\b", urls.MANIFEST]
)
def test_a_manifest_that_lists_a_path_outside_the_site_is_never_followed(
    name: str, site: Callable[..., Config]
) -> None:
    config = site({"a.md": article_text("First"), "b.md": article_text("Second")})
    build(config)
    output = config.path("output")
    outside = output.parent / "outside.txt"
    outside.write_text("someone's\n")
    document = _manifest_document(output)
    names = sorted([*document["files"], name])
    at = names.index(name)
    document["files"] = names
    document["sizes"].insert(at, len("someone's\n"))
    for column in ("sha256", "fingerprints"):
        document[column] = document[column][: 64 * at] + "0" * 64 + document[column][64 * at :]
    (output / urls.MANIFEST).write_text(json.dumps(document))
    (config.path("source") / "b.md").unlink()

    report = build(config)

    assert outside.read_text() == "someone's\n"
    assert report.removed == []  # a damaged manifest proves nothing is newsgen's
    assert "it is damaged (ValueError)" in report.warnings[0].message


@pytest.mark.parametrize("damage", ["removed", "cut short"])
def test_a_rebuild_with_no_changed_input_mends_a_damaged_page(
    site: Callable[..., Config], damage: str
) -> None:
    config = site({"a.md": article_text(countries="[UZ]")})
    build(config)
    before = snapshot(config.path("output"))
    page = config.path("output") / "countries" / "uz.html"
    if damage == "removed":
        page.unlink()
    else:
        page.write_bytes(page.read_bytes()[:100])  # in place: its folder does not change
    report = build(config)
    assert report.written == ["countries/uz.html"]
    assert snapshot(config.path("output")) == before


def test_the_output_stamp_taken_beside_is_the_one_taken_here(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from newsgen.pipeline import StampBeside
    from newsgen.write import site_stamp

    config = site({"a.md": article_text(countries="[UZ]")})
    build(config)
    # Other tests in this process may leave threads behind (a server's, a cluster's), and
    # with threads the stamp is taken in-process: here the forked way is what is tested.
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    output = config.path("output")
    here = site_stamp(output)
    assert here is not None
    with StampBeside(output) as stamp:
        assert stamp.pid is not None  # a forked process took it (a system that forks)
        assert stamp.result() == here
    with StampBeside(output) as stamp:  # one that dies before it answers
        assert stamp.pid is not None
        os.kill(stamp.pid, signal.SIGKILL)
        assert stamp.result() == here
    with StampBeside(output, at_all=False) as stamp:
        assert stamp.pid is None and stamp.result() == here
    (output / urls.MANIFEST).unlink()
    with StampBeside(output) as stamp:
        assert stamp.result() is None  # no manifest: nothing to trust


def test_a_rebuild_takes_the_status_found_beside_it_instead_of_looking_at_each_file(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from newsgen import pipeline, write

    config = site({"a.md": article_text(countries="[UZ]"), "b.md": article_text("Other")})
    build(config)
    output = config.path("output")
    listed = len(read_manifest(output) or ())
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # the forked way, as above
    handed: list[bool] = []

    class Watched(write.Staging):
        def __init__(self, output: Path, seen: write.SiteStatus | None = None) -> None:
            handed.append(seen is not None)
            super().__init__(output, seen)
            self.looked = 0

        def _intact(self, index: int) -> bool:
            self.looked += self._inodes[index] < 0
            return super()._intact(index)

    made: list[Watched] = []

    def staging(output: Path, seen: write.SiteStatus | None = None) -> Watched:
        made.append(Watched(output, seen))
        return made[-1]

    monkeypatch.setattr(pipeline, "Staging", staging)
    (config.path("source") / "c.md").write_text(article_text("Third", countries="[UZ]"))
    report = build(config)
    assert handed == [True] and made[0].looked == 0 and listed > 10
    assert report.written and report.rendered < report.pages
    # What the status stood for is what the next build finds: it has nothing to do.
    again = build(config)
    assert again.rendered == 0 and again.written == []
    monkeypatch.undo()
    fresh = site(
        {"a.md": article_text(countries="[UZ]"), "b.md": article_text("Other"),
         "c.md": article_text("Third", countries="[UZ]")}
    )  # fmt: skip
    build(fresh)
    assert snapshot(output) == snapshot(fresh.path("output"))


def test_a_status_of_another_manifest_is_not_taken(site: Callable[..., Config]) -> None:
    from newsgen import write

    config = site({"a.md": article_text(countries="[UZ]")})
    build(config)
    output = config.path("output")
    status = write.site_status(output)
    assert status is not None and write.SiteStatus.decode(status.encode()) == status
    assert status.stamp() == write.site_stamp(output)
    page = output / "countries" / "uz.html"
    page.write_bytes(page.read_bytes()[:100])  # in place: the manifest stays as it was
    (output / urls.MANIFEST).touch()  # ... but for its time
    staging = write.Staging(output, status)
    index = staging.old.index("countries/uz.html")
    assert index is not None
    assert staging.previous("countries/uz.html") is None  # looked at, and found damaged
    staging.discard()
    for broken in (b"", status.encode()[:-8], status.encode() + b"x"):
        assert write.SiteStatus.decode(broken) is None


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="finds folders by /proc")
def test_files_with_inodes_past_two_to_the_63_are_kept_and_skipped(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsgen import write

    config = site({"a.md": article_text(countries="[UZ]"), "b.md": article_text("Other")})
    real = os.lstat

    inside = str(config.path("output").resolve()) + os.sep

    def large(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        # Some file systems (network ones, say) number files past a signed 64-bit integer:
        # so are the site's files here (others, as shutil's checks look at them, are not).
        found = real(path, *args, **kwargs)
        folder = kwargs.get("dir_fd")
        where = os.readlink(f"/proc/self/fd/{folder}") + os.sep if folder is not None else ""
        if not (str(path) if folder is None else where).startswith(inside):
            return found
        fields = list(found[:10])
        fields[1] = 2**64 - 1 - found.st_ino % 1000
        return os.stat_result(fields, {"st_mtime_ns": found.st_mtime_ns})

    monkeypatch.setattr(os, "lstat", large)
    build(config)
    (config.path("source") / "c.md").write_text(article_text("Third"))
    os.utime(config.path("source") / "c.md", ns=(10**18, 10**18))  # not racy: may skip next
    report = build(config)
    assert report.written and report.rendered < report.pages
    again = build(config)
    assert again.rendered == 0 and again.written == []
    assert write.site_stamp(config.path("output")) is not None


def test_the_look_beside_ends_without_waiting_for_the_build_to_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    from newsgen.pipeline import StampBeside
    from newsgen.write import site_stamp

    # A site whose status (16 bytes a file) is more than a pipe holds.
    output = tmp_path / "_site"
    names = [f"p{n:05d}.html" for n in range(6_000)]
    output.mkdir()
    for name in names:
        (output / name).write_bytes(b"x")
    manifest = {
        "generator": "newsgen", "version": 2, "files": names, "sizes": [1] * len(names),
        "sha256": "0" * 64 * len(names), "fingerprints": "0" * 64 * len(names),
    }  # fmt: skip
    (output / urls.MANIFEST).write_text(json.dumps(manifest))
    here = site_stamp(output)
    assert here is not None
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # the forked way
    with StampBeside(output) as stamp:
        assert stamp.pid is not None
        deadline = time.monotonic() + 30
        ended = 0
        while time.monotonic() < deadline and not ended:
            ended, _ = os.waitpid(stamp.pid, os.WNOHANG)  # not read yet, and gone
            time.sleep(0.01)
        assert ended == stamp.pid
        status = stamp.status()
        assert status is not None and status.stamp() == here == stamp.result()
