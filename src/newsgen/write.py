"""The only module that touches the output folder: staging, publishing in place, guards.

A build writes the files whose bytes changed into a staging folder beside the
output folder (on the same file system), whole, and nothing into the live site.
Then it commits: it writes a journal into the staging folder, in one rename,
listing the files to move in and the pages to remove. Then each changed file
is moved into place with one rename, the new manifest goes in, and only then
are the pages that no longer exist removed. So at every moment each page is its
old version or its new one, never missing and never half-written; a build
killed before the commit leaves the site as it was, and one killed after it is
finished by the next build (recover), which redoes the journal. Unchanged
pages and files newsgen did not write are never touched, and a build that
changes nothing writes nothing. (The promise is about killed builds; a power
cut can lose what the system had not yet written to disk.)

The manifest (``.newsgen-manifest.json``) lists every file newsgen wrote, with
its hash, size and page's fingerprint. It is how newsgen knows what it may
replace or remove, and it marks a folder as newsgen output.

Builds of one output folder exclude each other: a build holds a lock on a file
beside the folder (``.NAME.lock``) from before it recovers what a killed build
left until it has published, so a staging folder found beside the output is
always a dead build's. The lock is a POSIX record lock: the kernel releases it
when its process dies, and forked render workers do not inherit it. A
symlinked output folder is published through: the staging folder is made
beside the folder the link names, so every rename stays on one file system and
the link itself is never replaced.
"""

from __future__ import annotations

import array
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from newsgen import urls
from newsgen.config import Config
from newsgen.errors import BuildWarning, OutputError
from newsgen.files import replace_file, walk

_STAGING = ".staging-"
_OLD = ".old-"
_LOCK = ".lock"
_STAGING_MARK = ".newsgen-staging"
_JOURNAL = ".newsgen-journal.json"
_MANIFEST_VERSION = 1


def beside_output(name: str) -> tuple[str, ...]:
    """What builds keep beside an output folder called name, as glob patterns."""
    return (f".{name}{_STAGING}*/", f".{name}{_OLD}*/", f".{name}{_LOCK}")


@dataclass(frozen=True, slots=True)
class Entry:
    """What the manifest remembers of one file (slotted: a large site has 200,000 of them)."""

    sha256: str
    fingerprint: str = ""
    size: int = -1
    """The file's size in bytes; -1 where an older manifest did not record it."""


@dataclass
class WriteReport:
    """What a publish changed."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[BuildWarning] = field(default_factory=list)
    manifest: dict[str, Entry] = field(default_factory=dict)
    """The manifest the output folder now holds."""


def real_output(output: Path) -> Path:
    """The folder a build writes into: for a symlinked output folder, the folder it names."""
    if os.path.islink(output):
        try:
            os.stat(output)
        except FileNotFoundError:
            pass  # a link to a folder that does not exist yet: the build makes it
        except OSError as exc:
            raise OutputError(
                f"the output folder is a link that cannot be followed: {_reason(exc)}", output
            ) from None
    return Path(os.path.realpath(output))


def site_stamp(output: Path, listed: Mapping[str, Entry] | None = None) -> str | None:
    """What the output folder holds now: every file its manifest lists, by size, time and inode.

    None when the folder does not match its manifest (a listed file is missing or has
    another size) or has no sound manifest: then no build may trust it to be current.
    listed: the manifest's entries, where the caller has just written them.
    """
    manifest = output / urls.MANIFEST
    try:
        if listed is None:
            data = json.loads(manifest.read_bytes())
            files = data["files"] if data.get("version") == _MANIFEST_VERSION else None
            if not isinstance(files, dict):
                return None
            sizes = [entry["size"] for entry in files.values()]
            names = list(files)
        else:
            names = sorted(listed)  # the manifest's order
            sizes = [listed[name].size for name in names]
        info = os.stat(manifest)
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None
    # The manifest's own status stands for the list of names: it changes when they do.
    found = array.array("q", [info.st_ino, info.st_size, info.st_mtime_ns])
    try:
        folder = os.open(output, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:  # about 3 µs a file: 11,000 files in some 35 ms
        for name, size in zip(names, sizes, strict=True):
            file = os.lstat(name, dir_fd=folder)
            if file.st_size != size or not stat.S_ISREG(file.st_mode):
                return None
            found.extend((file.st_mtime_ns, file.st_ino))
    except (OSError, TypeError, ValueError):
        return None
    finally:
        os.close(folder)
    return hashlib.sha256(found.tobytes()).hexdigest()


def read_manifest(output: Path) -> dict[str, Entry] | None:
    """The manifest of a built site; None when the folder holds no newsgen output."""
    entries, _ = _read_manifest(output)
    return entries


def _read_manifest(output: Path) -> tuple[dict[str, Entry] | None, str | None]:
    """The manifest's entries (None: there is none), and what is wrong with it, if anything."""
    path = output / urls.MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != _MANIFEST_VERSION:
            return {}, "it is not a manifest this version of newsgen can read"
        return {url: Entry(**entry) for url, entry in data["files"].items()}, None
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return {}, f"it cannot be read: {_reason(exc)}"
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # A damaged manifest still marks the folder as ours; every page is rebuilt.
        return {}, f"it is damaged ({type(exc).__name__})"


def check_output_folder(config: Config, force: bool = False) -> None:
    """Refuse an output folder where a build could destroy something."""
    output = real_output(config.path("output"))
    home = Path.home().resolve()
    inputs = {
        config.path("source").resolve(): "the articles folder",
        config.path("templates").resolve(): "the templates folder",
        config.path("static").resolve(): "the static folder",
    }
    protected = {
        config.root.resolve(): "the project folder",
        **inputs,
        home: "your home folder",
        Path(output.anchor): "the root of the file system",
    }
    for folder, what in protected.items():
        if output == folder or folder.is_relative_to(output):
            raise OutputError(f"refusing to build into {output}: it is or holds {what}", output)
    for folder, what in inputs.items():
        # Inside an input folder, each build would read the last one as input.
        if output.is_relative_to(folder):
            raise OutputError(f"refusing to build into {output}: it is inside {what}", output)
    blocker = _file_in_the_way(output)
    if blocker is not None:
        raise OutputError("the output folder cannot be made: this is a file, not a folder", blocker)
    if force or not output.is_dir() or (output / urls.MANIFEST).is_file():
        return
    if any(output.iterdir()):
        raise OutputError(
            "refusing to build into a folder that holds files newsgen did not write",
            output,
            hint="choose an empty or new folder, or pass --force to build beside those files",
        )


def _file_in_the_way(output: Path) -> Path | None:
    """The output path or one of its parents, where that is something other than a folder."""
    for path in (output, *output.parents):
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            continue  # the one in the way is further up
        except OSError:
            return path
        return None if stat.S_ISDIR(info.st_mode) else path
    return None


@contextmanager
def lock_output(
    output: Path, *, wait: bool = True, on_wait: Callable[[BuildWarning], None] | None = None
) -> Iterator[None]:
    """Hold the output folder for one build; another build waits for it, or fails when not wait.

    Excludes builds in other processes; one process runs one build of a folder at a time.
    """
    lock = output.parent / f".{output.name}{_LOCK}"
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        descriptor = _acquire(lock, output, wait, on_wait)
    except OSError as exc:
        raise OutputError(
            f"cannot write beside the output folder: {_reason(exc)}", exc.filename or lock
        ) from None
    try:
        yield
    finally:
        # Unlinked while held: a build that opened the old file sees it is gone and retries.
        with suppress(OSError):
            os.unlink(lock)
        os.close(descriptor)


def _acquire(
    lock: Path, output: Path, wait: bool, on_wait: Callable[[BuildWarning], None] | None
) -> int:
    told = False
    while True:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
                holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
                busy = f"another build (process {holder or '?'}) is writing this folder"
                if not wait:
                    raise OutputError(busy, output, hint="try again when it has finished") from None
                if on_wait is not None and not told:
                    on_wait(BuildWarning(f"{busy}; waiting for it to finish", output))
                    told = True
                fcntl.lockf(descriptor, fcntl.LOCK_EX)
            if _same_file(descriptor, lock):
                os.ftruncate(descriptor, 0)
                os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
                return descriptor
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)  # the holder removed the file as it finished: lock the new one


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def recover(output: Path) -> list[BuildWarning]:
    """Finish or undo what a killed build left beside the output folder.

    Call it holding the lock (lock_output): then whatever it finds is a dead build's.
    A leftover that cannot be removed is a warning, never a failed build.
    """
    warnings: list[BuildWarning] = []
    for leftover in sorted(_leftovers(output)):
        if leftover.name.startswith(f".{output.name}{_OLD}") and not output.exists():
            try:
                leftover.rename(output)  # killed between the two renames: put the old site back
            except OSError as exc:
                raise OutputError(
                    f"cannot put the last site back in place: {_reason(exc)}", leftover
                ) from None
        elif (leftover / _JOURNAL).exists():
            warnings.extend(_finish(leftover, output))  # killed while putting pages in place
        elif (leftover / _STAGING_MARK).exists() or (leftover / urls.MANIFEST).exists():
            # A half-made build (the live site is untouched), or one an older newsgen
            # swapped out: every file in it is a build's.
            warnings.extend(_remove_build(leftover))
    return warnings


def _remove_build(folder: Path) -> list[BuildWarning]:
    """Remove a staging folder or a swapped-out build; a folder made read-only is made writable.

    Every folder in it was made by a build (foreign folders are made anew in staging), so
    changing their permissions touches nothing of anyone else's.
    """

    def retry(function: Callable[..., object], path: str, _: object) -> None:
        parent = os.path.dirname(path)
        os.chmod(parent, os.stat(parent).st_mode | stat.S_IRWXU)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, os.stat(path).st_mode | stat.S_IRWXU)
            shutil.rmtree(path)
        else:
            function(path)

    try:
        shutil.rmtree(folder, onerror=retry)
    except OSError as exc:
        message = f"cannot remove a finished build's leftover folder: {_reason(exc)}"
        return [BuildWarning(message, folder)]
    return []


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
    if not _SAFE_URL.fullmatch(url) or url in (urls.MANIFEST, _JOURNAL, _STAGING_MARK):
        raise OutputError(f"refusing to write outside the output folder: {url!r}")
    return url


class Staging:
    """A build's new files, gathered beside the live site until publish swaps them in.

    output must be the real folder (real_output), and the build must hold its lock.
    """

    def __init__(self, output: Path) -> None:
        self.output = output
        old, problem = _read_manifest(output)
        self.old = old or {}
        self.damaged = problem
        """What is wrong with the live site's manifest; then no file in it is provably ours."""
        self.new: dict[str, Entry] = {}
        self.changed: list[str] = []
        self.folder: Path | None = None

    def previous(self, url: str) -> Entry | None:
        """What the live site's manifest says of a page, if the file is still as it says."""
        entry = self.old.get(url)
        if entry is None or not _intact(self.output, url, entry):
            return None
        return entry

    def put(self, url: str, data: bytes, fingerprint: str = "") -> None:
        """Add a file; it is written only if its bytes differ from the live site's."""
        self._claim(url)
        sha = hashlib.sha256(data).hexdigest()
        self.new[url] = Entry(sha, fingerprint, len(data))
        previous = self.old.get(url)
        if previous is not None and previous.sha256 == sha and _intact(self.output, url, previous):
            return
        try:
            target = self._folder() / url
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            raise _cannot_write(exc, self.folder) from None
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
            folder = self.output.parent / f".{self.output.name}{_STAGING}{os.getpid()}"
            folder.mkdir(parents=True)
            self.folder = folder
            (folder / _STAGING_MARK).touch()
        return self.folder

    def publish(self) -> WriteReport:
        """Put the new build in place, page by page, as the module's docstring promises."""
        removed = sorted(set(self.old) - set(self.new))
        report = WriteReport(written=sorted(self.changed), removed=removed, manifest=self.new)
        try:
            if _unchanged(self):
                if self.new != self.old:
                    _write_manifest(self.output, self.new, atomic=True)
                return report
            folder = self._folder()
            _write_manifest(folder, self.new, atomic=False)
            if not self.output.exists():  # the first build: the staged folder becomes the site
                (folder / _STAGING_MARK).unlink()
                folder.rename(self.output)
                self.folder = None
                return report
            first = _check_targets(self, removed)
            if self.damaged is not None:
                report.warnings.append(_damaged_manifest_warning(self))
            # The commit point: from here on, the next build finishes what this one started.
            _write_journal(folder, first, self.changed, removed)
        except OSError as exc:
            raise _cannot_write(exc, self.folder) from None
        self.folder = None  # committed: the journal, not discard(), decides its fate now
        report.warnings.extend(_finish(folder, self.output))
        return report

    def discard(self) -> None:
        """Drop the staging folder after a failed build; the live site is untouched."""
        if self.folder is not None and self.folder.exists():
            _remove_build(self.folder)  # what stays behind, the next build's recover removes
        self.folder = None


def _intact(output: Path, url: str, entry: Entry) -> bool:
    """Whether a page of the live site is still the file its manifest entry describes."""
    try:
        found = os.lstat(os.path.join(output, url))
    except OSError:
        return False
    return stat.S_ISREG(found.st_mode) and found.st_size == entry.size


def _unchanged(staging: Staging) -> bool:
    """True when publishing would not change a single file."""
    return (
        not staging.changed
        and staging.damaged is None
        and set(staging.new) == set(staging.old)
        and staging.output.is_dir()
    )


def _damaged_manifest_warning(staging: Staging) -> BuildWarning:
    staged = {*staging.new, urls.MANIFEST}
    kept = sum(
        1
        for found in walk(staging.output, hidden=True)
        if found.kind == "file" and found.relative not in staged
    )
    return BuildWarning(
        f"the manifest {urls.MANIFEST} could not be used ({staging.damaged}): "
        f"every page was rebuilt, and {kept} file(s) newsgen cannot prove it wrote were kept",
        staging.output,
    )


def _check_targets(staging: Staging, removed: list[str]) -> list[str]:
    """Refuse a file or folder newsgen did not write where a new page or folder must go.

    Returns the pages of the last build that must go before the new ones can be put in
    place: an old page where a folder of new pages goes, or old pages in a folder where a
    new page goes. Every other page of the last build stays until all new ones are in.
    """
    output = staging.output
    ours = set(staging.old)
    going = set(removed)
    first: set[str] = set()
    checked: set[str] = set()
    for url in staging.changed:
        parts = url.split("/")
        for depth in range(1, len(parts)):  # the folders the page goes in
            folder = "/".join(parts[:depth])
            if folder in checked:
                continue
            checked.add(folder)
            kind = _kind(output / folder)
            if kind in ("missing", "folder"):
                continue
            if folder not in going:
                _refuse(output, folder)
            first.add(folder)
        kind = _kind(output / url)
        if kind == "folder":
            inside = _pages_inside(output, url)
            if inside is None or not inside <= going:
                _refuse(output, url)
            first |= inside
        elif kind != "missing" and url not in ours and staging.damaged is None:
            _refuse(output, url)
    return sorted(first)


def _kind(path: Path) -> str:
    """'missing', 'folder' or 'file' (anything else that is not a folder)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return "missing"
    return "folder" if stat.S_ISDIR(mode) else "file"


def _pages_inside(output: Path, url: str) -> set[str] | None:
    """Every file in a folder of the output, as page paths; None when any is not a file."""
    found: set[str] = set()
    for entry in walk(output / url, hidden=True):
        if entry.kind == "problem":
            return None
        if entry.kind == "file":
            found.add(f"{url}/{entry.relative}")
    return found


def _refuse(output: Path, url: str) -> NoReturn:
    raise OutputError(f"refusing to replace {url}: newsgen did not write it", output / url)


def _write_journal(folder: Path, first: list[str], moves: list[str], removals: list[str]) -> None:
    """Commit a publish: what goes first, which staged files move in, which pages go last."""
    data = {"first": first, "moves": sorted(moves), "removals": removals}
    text = json.dumps(data, separators=(",", ":")) + "\n"
    replace_file(folder / _JOURNAL, text.encode("utf-8"))


def _finish(folder: Path, output: Path) -> list[BuildWarning]:
    """Carry out a committed publish, or the rest of one a killed build started.

    Every step can be done again: a staged file already moved is not there to move, a
    page already removed is not there to remove.
    """
    try:
        journal = json.loads((folder / _JOURNAL).read_text(encoding="utf-8"))
        first, moves, removals = journal["first"], journal["moves"], journal["removals"]
        for url in first:
            _in_our_folder(output, url, _remove_page)
        for url in moves:
            _in_our_folder(output, url, lambda output, url: _move_in(folder, output, url))
        # The new manifest goes in with the pages it lists, before any old page goes.
        if (folder / urls.MANIFEST).exists():
            _in_our_folder(output, urls.MANIFEST, lambda output, url: _move_in(folder, output, url))
        for url in removals:
            _in_our_folder(output, url, _remove_page)
    except OSError as exc:
        raise OutputError(
            f"cannot finish putting the new site in place: {_reason(exc)}; "
            "the next build will finish it",
            exc.filename or folder,
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        # Only a build writes the journal, atomically; one that cannot be read was not ours.
        raise OutputError(f"cannot read a build's journal ({type(exc).__name__})", folder) from None
    return _remove_build(folder)


def _in_our_folder(output: Path, url: str, step: Callable[[Path, str], None]) -> None:
    """Do one step of publishing; where a folder of pages was made read-only, make it
    writable again, as a build that made every folder anew would have."""
    try:
        step(output, url)
    except PermissionError:
        folder = output
        for part in ["", *url.split("/")[:-1]]:
            folder = folder / part
            with suppress(FileNotFoundError):
                mode = os.lstat(folder).st_mode
                if stat.S_ISDIR(mode) and mode & stat.S_IRWXU != stat.S_IRWXU:
                    os.chmod(folder, mode | stat.S_IRWXU)
        step(output, url)


def _move_in(folder: Path, output: Path, url: str) -> None:
    """Put one staged file in its place in the output folder, in one rename."""
    source = os.path.join(folder, url)
    if not os.path.lexists(source):
        return  # moved in before the last build was killed
    target = os.path.join(output, url)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.replace(source, target)


def _remove_page(output: Path, url: str) -> None:
    """Remove a page newsgen wrote; then each folder above it that it leaves empty."""
    path = os.path.join(output, url)
    with suppress(FileNotFoundError):
        if os.path.isdir(path) and not os.path.islink(path):
            return  # a folder of someone's where a page was: not newsgen's to remove
        os.unlink(path)
    parent = os.path.dirname(url)
    while parent:
        try:
            os.rmdir(os.path.join(output, parent))
        except OSError:
            return  # not empty (or not there): it holds something else
        parent = os.path.dirname(parent)


def _cannot_write(exc: OSError, staging: Path | None) -> OutputError:
    """An OSError while staging, as a message naming the path; the live site is untouched."""
    path = exc.filename or staging
    return OutputError(
        f"cannot write the new site: {_reason(exc)}; the last site was left as it was", path
    )


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _write_manifest(folder: Path, entries: dict[str, Entry], atomic: bool) -> None:
    data = {
        "generator": "newsgen",
        "version": _MANIFEST_VERSION,
        "files": {
            url: {"sha256": e.sha256, "fingerprint": e.fingerprint, "size": e.size}
            for url, e in sorted(entries.items())
        },
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"  # the fast C encoder
    if atomic:
        replace_file(folder / urls.MANIFEST, text.encode("utf-8"))
    else:
        (folder / urls.MANIFEST).write_text(text, encoding="utf-8")
