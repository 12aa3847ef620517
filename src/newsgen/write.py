"""The only module that touches the output folder: staging, atomic swap, and the guards.

A build writes into a staging folder beside the output folder: changed files
are written, unchanged ones are hard-linked from the live site, and files that
newsgen did not write (a ``.git``, a ``CNAME``) are linked across too. Then the
two folders are swapped in one ``renameat2(RENAME_EXCHANGE)``, so at every
instant the output folder holds one whole build, the old or the new. A build
that changes nothing creates no staging folder and writes nothing.

The manifest (``.newsgen-manifest.json``) lists every file newsgen wrote, with
its hash and its page's fingerprint. It is how newsgen knows what it may
replace or remove, and it marks a folder as newsgen output.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from newsgen import urls
from newsgen.config import Config
from newsgen.errors import OutputError
from newsgen.files import replace_file, walk

_STAGING = ".staging-"
_OLD = ".old-"
_STAGING_MARK = ".newsgen-staging"
_MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Entry:
    """What the manifest remembers of one file."""

    sha256: str
    fingerprint: str = ""


@dataclass
class WriteReport:
    """What a publish changed."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: int = 0


def manifest_stamp(output: Path) -> tuple[int, int, int] | None:
    """Identifies the manifest the output folder holds now: inode, size, modification time."""
    try:
        stat = (output / urls.MANIFEST).stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def read_manifest(output: Path) -> dict[str, Entry] | None:
    """The manifest of a built site; None when the folder holds no newsgen output."""
    try:
        data = json.loads((output / urls.MANIFEST).read_text(encoding="utf-8"))
        if data.get("version") != _MANIFEST_VERSION:
            return {}
        return {url: Entry(**entry) for url, entry in data["files"].items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # A damaged manifest still marks the folder as ours; every page is rebuilt.
        return {}


def check_output_folder(config: Config, force: bool = False) -> None:
    """Refuse an output folder where a build could destroy something."""
    output = config.path("output").resolve()
    home = Path.home().resolve()
    protected = {
        config.root.resolve(): "the project folder",
        config.path("source").resolve(): "the articles folder",
        config.path("templates").resolve(): "the templates folder",
        config.path("static").resolve(): "the static folder",
        home: "your home folder",
        Path(output.anchor): "the root of the file system",
    }
    for folder, what in protected.items():
        if output == folder or folder.is_relative_to(output):
            raise OutputError(f"refusing to build into {output}: it is or holds {what}", output)
    if output.exists() and not output.is_dir():
        raise OutputError("the output path exists and is not a folder", output)
    if force or not output.is_dir() or (output / urls.MANIFEST).is_file():
        return
    if any(output.iterdir()):
        raise OutputError(
            "refusing to build into a folder that holds files newsgen did not write",
            output,
            hint="choose an empty or new folder, or pass --force to build beside those files",
        )


def recover(output: Path) -> None:
    """Finish or undo what a killed build left beside the output folder."""
    for leftover in sorted(_leftovers(output)):
        if leftover.name.startswith(f".{output.name}{_OLD}") and not output.exists():
            leftover.rename(output)  # killed between the two renames: put the old site back
        elif (leftover / _STAGING_MARK).exists() or (leftover / urls.MANIFEST).exists():
            # A half-made build, or the previous one swapped out: its files are ours,
            # and any foreign file in it lives on as a link in the output folder.
            shutil.rmtree(leftover)


def _leftovers(output: Path) -> Iterator[Path]:
    parent = output.parent
    if not parent.is_dir():
        return
    for prefix in (_STAGING, _OLD):
        yield from parent.glob(f".{output.name}{prefix}*")


# Folders and a file name of ordinary characters, none of them empty, '.' or '..'.
_SAFE_URL = re.compile(r"(?!\.\.?(?:/|$))[^/\\\x00]+(?:/(?!\.\.?(?:/|$))[^/\\\x00]+)*")


def safe_url(url: str) -> str:
    """A page path, checked to stay inside the output folder."""
    if not _SAFE_URL.fullmatch(url) or url == urls.MANIFEST:
        raise OutputError(f"refusing to write outside the output folder: {url!r}")
    return url


class Staging:
    """A build's new files, gathered beside the live site until publish swaps them in."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.old = read_manifest(output) or {}
        self.new: dict[str, Entry] = {}
        self.changed: list[str] = []
        self.folder: Path | None = None

    def previous(self, url: str) -> Entry | None:
        """What the live site's manifest says of a page."""
        return self.old.get(url)

    def put(self, url: str, data: bytes, fingerprint: str = "") -> None:
        """Add a file; it is written only if its bytes differ from the live site's."""
        self._claim(url)
        sha = hashlib.sha256(data).hexdigest()
        self.new[url] = Entry(sha, fingerprint)
        previous = self.old.get(url)
        if previous is not None and previous.sha256 == sha and (self.output / url).is_file():
            return
        folder = self._folder()
        target = folder / url
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.changed.append(url)

    def keep(self, url: str) -> None:
        """Keep a file of the live site as it is, because its inputs did not change."""
        self._claim(url)
        self.new[url] = self.old[url]

    def _claim(self, url: str) -> None:
        safe_url(url)
        if url in self.new:
            raise OutputError(f"two pages would be written to the same path: {url}")

    def _folder(self) -> Path:
        if self.folder is None:
            self.folder = self.output.parent / f".{self.output.name}{_STAGING}{os.getpid()}"
            self.folder.mkdir(parents=True)
            (self.folder / _STAGING_MARK).touch()
        return self.folder

    def unchanged(self) -> bool:
        """True when publishing would not change a single file."""
        return not self.changed and set(self.new) == set(self.old) and self.output.is_dir()

    def publish(self) -> WriteReport:
        """Swap the new build in, atomically; write nothing when nothing changed."""
        removed = sorted(set(self.old) - set(self.new))
        report = WriteReport(written=sorted(self.changed), removed=removed)
        report.kept = len(self.new) - len(self.changed)
        if self.unchanged():
            if self.new != self.old:
                _write_manifest(self.output, self.new, atomic=True)
            return report
        folder = self._folder()
        self._link_unchanged(folder)
        self._carry_foreign_files(folder)
        _write_manifest(folder, self.new, atomic=False)
        (folder / _STAGING_MARK).unlink()
        _swap(folder, self.output)
        return report

    def discard(self) -> None:
        """Drop the staging folder after a failed build; the live site is untouched."""
        if self.folder is not None and self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder = None

    def _link_unchanged(self, folder: Path) -> None:
        changed = set(self.changed)
        linker = _Linker(str(self.output), str(folder))
        for url in self.new:
            if url not in changed:
                linker.link(url)

    def _carry_foreign_files(self, folder: Path) -> None:
        if not self.output.is_dir():
            return
        ours = set(self.old) | {urls.MANIFEST}
        linker = _Linker(str(self.output), str(folder))
        for url in _walk_urls(self.output):
            if url in ours:
                continue
            if url in self.new:
                raise OutputError(
                    f"refusing to replace {url}: newsgen did not write it", self.output / url
                )
            linker.link(url)


def _walk_urls(folder: Path) -> Iterator[str]:
    """Every file (and link, unfollowed) below a folder, as a '/'-separated path relative to it."""
    for found in walk(folder, hidden=True):
        if found.kind == "problem":
            raise OutputError(found.problem, found.path)
        yield found.relative


class _Linker:
    """Hard-links files from one tree into another, making each folder once."""

    def __init__(self, source: str, target: str) -> None:
        self.source = source
        self.target = target
        self.made: set[str] = set()

    def link(self, url: str) -> None:
        folder, _, _ = url.rpartition("/")
        if folder not in self.made:
            os.makedirs(os.path.join(self.target, folder), exist_ok=True)
            self.made.add(folder)
        source = os.path.join(self.source, url)
        target = os.path.join(self.target, url)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
            return
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)


def _write_manifest(folder: Path, entries: dict[str, Entry], atomic: bool) -> None:
    data = {
        "generator": "newsgen",
        "version": _MANIFEST_VERSION,
        "files": {
            url: {"sha256": e.sha256, "fingerprint": e.fingerprint}
            for url, e in sorted(entries.items())
        },
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"  # the fast C encoder
    if atomic:
        replace_file(folder / urls.MANIFEST, text.encode("utf-8"))
    else:
        (folder / urls.MANIFEST).write_text(text, encoding="utf-8")


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _swap(staging: Path, output: Path) -> None:
    """Put staging where output is; what was live is removed after."""
    if not output.exists():
        staging.rename(output)
        return
    if _exchange(staging, output):
        shutil.rmtree(staging)  # now the previous build; its foreign files live on as links
        return
    old = output.parent / f".{output.name}{_OLD}{os.getpid()}"
    output.rename(old)
    staging.rename(output)
    shutil.rmtree(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step, where the system can; False where it cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)
