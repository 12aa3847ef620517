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
replace or remove, and it marks a folder as newsgen output. It is JSON in
columns (the sorted names, their sizes, and each digest column as one string
of fixed-width hex), so reading or writing 200,000 entries makes a handful of
objects, not one per file.

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
import bisect
import errno
import fcntl
import hashlib
import itertools
import json
import os
import re
import shutil
import stat
import struct
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from newsgen import urls
from newsgen.config import Config
from newsgen.errors import BuildWarning, Interrupted, OutputError
from newsgen.files import replace_file, resolved, walk

_STAGING = ".staging-"
_OLD = ".old-"
_LOCK = ".lock"
_STAGING_MARK = ".newsgen-staging"
_JOURNAL = ".newsgen-journal.json"
_MANIFEST_VERSION = 2


def beside_output(name: str) -> tuple[str, ...]:
    """What builds keep beside an output folder called name, as glob patterns."""
    return (f".{name}{_STAGING}*/", f".{name}{_OLD}*/", f".{name}{_LOCK}")


@dataclass(frozen=True, slots=True)
class Entry:
    """What the manifest remembers of one file."""

    sha256: str
    fingerprint: str = ""
    size: int = -1
    """The file's size in bytes; -1 where it is not known."""


_DIGEST = 64  # characters of a sha256 in hex: the width of each manifest digest
_NO_FINGERPRINT = "0" * _DIGEST  # a file with no page fingerprint (a static file)
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


class Manifest(Mapping[str, Entry]):
    """The manifest of a built site, as read: files in name order, entries made on demand.

    Kept as columns (names, sizes, and the digests as one string each) rather than an
    object per file: a site of 100,000 articles lists some 210,000 files, and a build
    that changes sixty of them should not pay to make and hold 210,000 records.
    """

    __slots__ = ("_index", "fingerprints", "names", "sha256", "sizes")

    def __init__(
        self, names: list[str], sizes: array.array[int], sha256: str, fingerprints: str
    ) -> None:
        self.names = names
        """Every file the manifest lists, sorted."""
        self.sizes = sizes
        self.sha256 = sha256
        self.fingerprints = fingerprints
        self._index = dict(zip(names, range(len(names)), strict=True))

    def index(self, url: str) -> int | None:
        """The position of a file in the manifest; None when it is not listed."""
        return self._index.get(url)

    def entry(self, index: int) -> Entry:
        """The entry at a position."""
        start, end = index * _DIGEST, (index + 1) * _DIGEST
        fingerprint = self.fingerprints[start:end]
        return Entry(
            self.sha256[start:end],
            "" if fingerprint == _NO_FINGERPRINT else fingerprint,
            self.sizes[index],
        )

    def get(self, url: str, default: Entry | None = None) -> Entry | None:  # type: ignore[override]
        """The entry of a file, or default when it is not listed."""
        index = self._index.get(url)
        return default if index is None else self.entry(index)

    def __getitem__(self, url: str) -> Entry:
        return self.entry(self._index[url])

    def __contains__(self, url: object) -> bool:
        return url in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def files_under(self, folder: str) -> list[str]:
        """The files listed below a folder ('search/pagefind/2021/'), found by bisection."""
        start = bisect.bisect_left(self.names, folder)
        # Every name below the folder starts with it, and sorts before the folder's name
        # followed by the highest code point: the files below it are one run of names.
        end = bisect.bisect_left(self.names, folder + "\U0010ffff", start)
        return self.names[start:end]


_EMPTY = Manifest([], array.array("q"), "", "")


def _parse_manifest(data: bytes) -> Manifest:
    """A manifest's bytes as a Manifest; ValueError, KeyError or TypeError when they are not
    one, _OtherVersion when they are another version's."""
    document = json.loads(data)
    if not isinstance(document, dict):
        raise ValueError("the manifest is not an object")
    if document.get("version") == 1:
        names, sizes, sha256, fingerprints = _first_version_columns(document["files"])
    elif document.get("version") == _MANIFEST_VERSION:
        names, sizes = document["files"], array.array("q", document["sizes"])
        sha256, fingerprints = document["sha256"], document["fingerprints"]
    else:
        raise _OtherVersion
    if (
        type(names) is not list
        or not {type(name) for name in names} <= {str}
        or type(sha256) is not str
        or type(fingerprints) is not str
        or len(sizes) != len(names)
        or len(sha256) != _DIGEST * len(names)
        or len(fingerprints) != _DIGEST * len(names)
    ):
        raise ValueError("the manifest's columns do not match")
    # Sorted and without repeats: files_under bisects, and each name stands for one file.
    if any(a >= b for a, b in itertools.pairwise(names)):
        raise ValueError("the manifest's files are not in order")
    # Every name a page path, as safe_url checks it: what the manifest lists may be
    # replaced or removed. One search over all names costs less than a match per name.
    joined = "\x00" + "\x00".join(names) + "\x00"
    if (
        _UNSAFE_NAME.search(joined)
        or joined.count("\x00") != len(names) + 1
        or any(f"\x00{name}\x00" in joined for name in _RESERVED)
    ):
        raise ValueError("the manifest lists a path outside the output folder")
    return Manifest(names, sizes, sha256, fingerprints)


def _first_version_columns(files: Any) -> tuple[list[str], array.array[int], str, str]:
    """The columns of a manifest of the first version (an object per file), so that a site
    built by an older newsgen is still known file by file: what it lists can be kept when
    unchanged and removed when its page is gone."""
    if type(files) is not dict:
        raise TypeError("the manifest's files are not an object")
    names = sorted(files)
    entries = [files[name] for name in names]
    if not all(type(entry) is dict for entry in entries):
        raise TypeError("a file of the manifest is not an object")
    hashes = [entry["sha256"] for entry in entries]
    if not all(type(h) is str and _HEX_DIGEST.fullmatch(h) for h in hashes):
        raise ValueError("a file's hash is not a sha256")
    # A fingerprint this version would not make is as good as none: the page is made again.
    fingerprints = [entry.get("fingerprint") for entry in entries]
    fingerprints = [
        f if type(f) is str and _HEX_DIGEST.fullmatch(f) else _NO_FINGERPRINT for f in fingerprints
    ]
    sizes = [entry.get("size", -1) for entry in entries]
    if not all(type(size) is int for size in sizes):
        raise TypeError("a file's size is not a number")
    return names, array.array("q", sizes), "".join(hashes), "".join(fingerprints)


# In names joined by NUL: an empty name or part, a leading or trailing '/', a '.' or '..'
# part, or a backslash.
_UNSAFE_NAME = re.compile(r"\x00\x00|\x00/|//|/\x00|[\x00/]\.\.?(?=[\x00/])|\\")


class _OtherVersion(Exception):
    """A manifest of another version of newsgen."""


@dataclass
class WriteReport:
    """What a publish changed."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[BuildWarning] = field(default_factory=list)
    stamp: str | None = None
    """The site's stamp as this publish left it (see site_stamp); None when it is unknown."""


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


def site_stamp(output: Path) -> str | None:
    """What the output folder holds now: every file its manifest lists, by size, time and inode.

    None when the folder does not match its manifest (a listed file is missing or has
    another size) or has no sound manifest: then no build may trust it to be current.
    """
    status = site_status(output)
    return None if status is None else status.stamp()


@dataclass(frozen=True)
class SiteStatus:
    """The output folder as one look found it (``site_status``): the status of each file its
    manifest lists, in the manifest's order, and of the manifest itself. Plain bytes, so
    that the process that looked can hand it over (``pipeline.StampBeside``)."""

    manifest: tuple[int, int, int]
    """The manifest file's size, time and inode."""
    times: bytes
    """Each listed file's modification time (an array of signed 64-bit integers)."""
    inodes: bytes
    """Each listed file's inode (an array of unsigned 64-bit integers)."""

    def stamp(self) -> str:
        """The site's stamp (``site_stamp``)."""
        stamp = _Stamp(array.array("q", self.times), array.array("Q", self.inodes))
        return stamp.digest(self.manifest)

    def encode(self) -> bytes:
        """The status as bytes: the manifest's three numbers, the arrays' length, the arrays."""
        return _HEADER.pack(*self.manifest, len(self.times)) + self.times + self.inodes

    @classmethod
    def decode(cls, data: bytes) -> SiteStatus | None:
        """A status from its bytes; None when they are not one."""
        if len(data) < _HEADER.size:
            return None
        size, mtime, inode, length = _HEADER.unpack_from(data)
        start = _HEADER.size
        if length < 0 or length % 8 or len(data) != start + 2 * length:
            return None
        return cls((size, mtime, inode), data[start : start + length], data[start + length :])


_HEADER = struct.Struct("=qqQq")
"""A SiteStatus's first bytes: the manifest's size, time and inode, the arrays' length."""


def _identity(info: os.stat_result) -> tuple[int, int, int]:
    """What tells one version of a file from another: its size, time and inode."""
    return info.st_size, info.st_mtime_ns, info.st_ino


def site_status(output: Path) -> SiteStatus | None:
    """What the output folder holds now, file by file (``site_stamp`` is its digest); None
    when the folder does not match its manifest or has no sound manifest."""
    stamp = _Stamp()
    try:
        folder = os.open(output, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        with open(os.open(urls.MANIFEST, os.O_RDONLY, dir_fd=folder), "rb") as file:
            data = file.read()
            info = os.fstat(file.fileno())
        document = json.loads(data)
        if type(document) is not dict or document.get("version") != _MANIFEST_VERSION:
            return None
        names, sizes = document["files"], document["sizes"]
        # About 2.5 µs a file, most of it the system call: 67,000 files in some 0.17 s.
        # One status per file is the least that notices a page truncated in place (its
        # folder does not change); with the inputs' one status each, that is some 310,000
        # calls at 100,000 articles, 0.7 s or more on a machine like ours. Less would need
        # the two walks on two processors, or a watcher that is told of changes (serve).
        lstat, times, inodes = os.lstat, stamp.times.append, stamp.inodes.append
        for name, size in zip(names, sizes, strict=True):
            found = lstat(name, dir_fd=folder)
            if found.st_size != size or found.st_mode & _KIND != stat.S_IFREG:
                return None
            times(found.st_mtime_ns)
            inodes(found.st_ino)
    except (OSError, ValueError, KeyError, TypeError, OverflowError):
        return None
    finally:
        os.close(folder)
    return SiteStatus(_identity(info), stamp.times.tobytes(), stamp.inodes.tobytes())


_KIND = 0o170000  # the bits of st_mode that tell a file's kind (stat.S_IFMT)


class _Stamp:
    """The stamp of a site, file by file in the manifest's order: each one's time and inode,
    and the manifest's own size, time and inode, which change whenever the list does."""

    def __init__(
        self, times: array.array[int] | None = None, inodes: array.array[int] | None = None
    ) -> None:
        self.times = array.array("q") if times is None else times
        self.inodes = array.array("Q") if inodes is None else inodes  # unsigned

    def digest(self, manifest: tuple[int, int, int]) -> str:
        """The stamp, given the manifest's size, time and inode (``_identity``)."""
        size, mtime, inode = manifest
        digest = hashlib.sha256(array.array("q", [size, mtime]))
        digest.update(array.array("Q", [inode]))
        digest.update(self.times)
        digest.update(self.inodes)
        return digest.hexdigest()


def read_manifest(output: Path) -> Manifest | None:
    """The manifest of a built site; None when the folder holds no newsgen output."""
    entries, _, _ = _read_manifest(output)
    return entries


def _read_manifest(output: Path) -> tuple[Manifest | None, str | None, os.stat_result | None]:
    """The manifest (None: there is none), what is wrong with it, and its file's status."""
    path = output / urls.MANIFEST
    try:
        with open(path, "rb") as file:
            data = file.read()
            info = os.fstat(file.fileno())
    except FileNotFoundError:
        return None, None, None
    except OSError as exc:
        return _EMPTY, f"it cannot be read: {_reason(exc)}", None
    try:
        return _parse_manifest(data), None, info
    except _OtherVersion:
        return _EMPTY, "it is not a manifest this version of newsgen can read", info
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        # A damaged manifest still marks the folder as ours; every page is rebuilt.
        return _EMPTY, f"it is damaged ({type(exc).__name__})", info


def check_output_folder(config: Config, force: bool = False) -> None:
    """Refuse an output folder where a build could destroy something."""
    output = real_output(config.path("output"))
    home = Path.home().resolve()
    inputs: dict[Path, str] = {}
    for name, what in (
        ("source", "the articles folder"),
        ("templates", "the templates folder"),
        ("static", "the static folder"),
    ):
        found = resolved(config.path(name))
        if isinstance(found, str):
            raise OutputError(f"{what} cannot be used: {found}", config.path(name))
        inputs[found] = what
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
            try:  # killed while putting pages in place: finish it
                warnings.extend(_finish(leftover, output))
            except KeyboardInterrupt:
                raise Interrupted("publishing") from None  # the next build goes on with it
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


_RESERVED = (urls.MANIFEST, _JOURNAL, _STAGING_MARK)


def safe_url(url: str) -> str:
    """A page path, checked to stay inside the output folder."""
    if not _SAFE_URL.fullmatch(url) or url in _RESERVED:
        raise OutputError(f"refusing to write outside the output folder: {url!r}")
    return url


class Staging:
    """A build's new files, gathered beside the live site until publish swaps them in.

    output must be the real folder (real_output), and the build must hold its lock.
    Each file of the live site is looked at once: the status that previous or put finds
    it in, with each staged file's, is what the site's stamp is made from after publishing.

    seen: the live site's status as a look this build took found it (``site_status``): when
    it is of the manifest read here, every file it lists was found as listed, and is not
    looked at again (at 100,000 articles, 210,000 system calls, 0.7 s of a rebuild). A file
    another program changes after that look is left to the next build, which sees it as it
    sees any change made to the output folder between builds.
    """

    def __init__(self, output: Path, seen: SiteStatus | None = None) -> None:
        self.output = output
        old, problem, info = _read_manifest(output)
        self.old: Manifest = old or _EMPTY
        self.damaged = problem
        """What is wrong with the live site's manifest; then no file in it is provably ours."""
        self.new: dict[str, Entry | int] = {}
        """Each file of the new site: its entry, or its position in the old manifest where
        the file and its entry stay as they are."""
        self.changed: list[str] = []
        self.folder: Path | None = None
        self._manifest_info = info
        # The status each file of the live site was found in, by its position in the old
        # manifest (where _looked says it was looked at), and each staged file's.
        self._times = array.array("q", bytes(8 * len(self.old)))
        self._inodes = array.array("Q", bytes(8 * len(self.old)))
        self._looked = bytearray(len(self.old))  # 1 where the file's status is known
        if (
            seen is not None
            and info is not None
            and problem is None
            and seen.manifest == _identity(info)
            and len(seen.times) == len(seen.inodes) == 8 * len(self.old)
        ):
            self._times = array.array("q", seen.times)
            self._inodes = array.array("Q", seen.inodes)
            self._looked = bytearray(b"\x01") * len(self.old)
        self._staged: dict[str, tuple[int, int]] = {}
        self._rewritten = False
        """Whether an unchanged file has a new entry (the same bytes, another fingerprint)."""
        self.stage = "before"
        """How far publishing went: "before" its commit point (the live site is the last
        one), "publishing" (the next build finishes it), "published"."""

    def previous(self, url: str) -> Entry | None:
        """What the live site's manifest says of a page, if the file is still as it says."""
        index = self.old.index(url)
        if index is None or not self._intact(index):
            return None
        return self.old.entry(index)

    def put(self, url: str, data: bytes, fingerprint: str = "") -> None:
        """Add a file; it is written only if its bytes differ from the live site's."""
        self._claim(url)
        entry = Entry(hashlib.sha256(data).hexdigest(), fingerprint, len(data))
        index = self.old.index(url)
        if index is not None and self._intact(index):
            previous = self.old.entry(index)
            if previous.sha256 == entry.sha256:
                if previous == entry:
                    self.new[url] = index
                else:
                    self.new[url] = entry
                    self._rewritten = True
                return
        self.new[url] = entry
        try:
            target = self._folder() / url
            target.parent.mkdir(parents=True, exist_ok=True)
            info = _write_file(target, data)
        except OSError as exc:
            raise _cannot_write(exc, self.folder) from None
        # A rename keeps a file's inode and time: this is its status once it is in place.
        self._staged[url] = (info.st_mtime_ns, info.st_ino)
        self.changed.append(url)

    def keep(self, url: str) -> None:
        """Keep a file of the live site as it is, because its inputs did not change."""
        self._claim(url)
        index = self.old.index(url)
        if index is None:
            raise KeyError(url)
        self.new[url] = index

    def _intact(self, index: int) -> bool:
        """Whether a file of the live site is still the one its manifest entry describes."""
        if self._looked[index]:
            return True  # looked at already in this build (or by the look beside it)
        try:
            found = os.lstat(os.path.join(self.output, self.old.names[index]))
        except OSError:
            return False
        if not stat.S_ISREG(found.st_mode) or found.st_size != self.old.sizes[index]:
            return False
        self._times[index] = found.st_mtime_ns
        self._inodes[index] = found.st_ino
        self._looked[index] = 1
        return True

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
        removed = [url for url in self.old.names if url not in self.new]
        report = WriteReport(written=sorted(self.changed), removed=removed)
        try:
            if _unchanged(self):
                info = self._manifest_info
                if self._rewritten or info is None:
                    data, stamp = self._manifest()
                    replace_file(self.output / urls.MANIFEST, data)
                    info = os.stat(self.output / urls.MANIFEST)
                else:
                    stamp = self._unchanged_stamp()
                report.stamp = None if stamp is None else stamp.digest(_identity(info))
                self.stage = "published"
                return report
            folder = self._folder()
            data, stamp = self._manifest()
            info = _write_file(folder / urls.MANIFEST, data)
            report.stamp = None if stamp is None else stamp.digest(_identity(info))
            if not self.output.exists():  # the first build: the staged folder becomes the site
                (folder / _STAGING_MARK).unlink()
                folder.rename(self.output)
                self.folder = None
                self.stage = "published"
                return report
            first = _check_targets(self, removed)
            if self.damaged is not None:
                report.warnings.append(_damaged_manifest_warning(self))
            # The commit point: from here on, the next build finishes what this one started.
            _write_journal(folder, first, self.changed, removed)
            self.stage = "publishing"
        except OSError as exc:
            raise _cannot_write(exc, self.folder) from None
        self.folder = None  # committed: the journal, not discard(), decides its fate now
        report.warnings.extend(_finish(folder, self.output))
        self.stage = "published"
        return report

    def discard(self) -> None:
        """Drop the staging folder after a failed build; the live site is untouched."""
        if self.folder is not None and self.folder.exists():
            _remove_build(self.folder)  # what stays behind, the next build's recover removes
        self.folder = None

    def _manifest(self) -> tuple[bytes, _Stamp | None]:
        """The new manifest's bytes, and the stamp of its files as found or staged (None: a
        file was kept without being looked at).

        A run of files kept from the old manifest, in its order, is copied as slices of its
        columns: after a small change nearly every file is in a few long runs.
        """
        old, new = self.old, self.new
        names = sorted(new)
        sizes: array.array[int] = array.array("q")
        sha256: list[str] = []
        fingerprints: list[str] = []
        times, inodes = array.array("q"), array.array("Q")
        known = True  # every file's status: else the stamp is not known
        start = end = 0  # the run of old positions being copied: [start, end)

        def copy_run() -> None:
            nonlocal known
            known = known and 0 not in self._looked[start:end]
            sizes.extend(old.sizes[start:end])
            sha256.append(old.sha256[start * _DIGEST : end * _DIGEST])
            fingerprints.append(old.fingerprints[start * _DIGEST : end * _DIGEST])
            times.extend(self._times[start:end])
            inodes.extend(self._inodes[start:end])

        for name in names:
            value = new[name]
            if type(value) is int:
                if value != end:
                    copy_run()
                    start = value
                end = value + 1
                continue
            copy_run()
            start = end = 0
            assert isinstance(value, Entry)
            sizes.append(value.size)
            sha256.append(value.sha256)
            # A fingerprint of another shape (there is none but a hex digest) is left out:
            # the page it stands for is made again by the next build.
            fingerprint = value.fingerprint
            fits = _HEX_DIGEST.fullmatch(fingerprint)
            fingerprints.append(fingerprint if fits else _NO_FINGERPRINT)
            staged = self._staged.get(name)
            index = old.index(name)
            if staged is not None:
                times.append(staged[0])
                inodes.append(staged[1])
            elif index is not None:  # the same bytes as the live site's file
                known = known and self._looked[index] == 1
                times.append(self._times[index])
                inodes.append(self._inodes[index])
            else:  # not looked at: the stamp is not known
                known = False
                times.append(0)
                inodes.append(0)
        copy_run()
        document = {
            "generator": "newsgen",
            "version": _MANIFEST_VERSION,
            "files": names,
            "sizes": sizes.tolist(),
            "sha256": "".join(sha256),
            "fingerprints": "".join(fingerprints),
        }
        # The C encoder, over a few long strings and lists: some 0.1 s for 200,000 files.
        data = (json.dumps(document, separators=(",", ":")) + "\n").encode("utf-8")
        return data, _Stamp(times, inodes) if known else None

    def _unchanged_stamp(self) -> _Stamp | None:
        """The stamp of a site that stays as it was, from the status found for each file."""
        return _Stamp(self._times, self._inodes) if 0 not in self._looked else None


def _write_file(path: Path, data: bytes) -> os.stat_result:
    """Write a file that is not yet in the site, whole; its status once written."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        return os.fstat(descriptor)
    finally:
        os.close(descriptor)


def _unchanged(staging: Staging) -> bool:
    """True when publishing would not change a single file."""
    # Every file new to the site is staged, so with none staged the new site's files are
    # among the old one's: as many, they are the same.
    return (
        not staging.changed
        and staging.damaged is None
        and len(staging.new) == len(staging.old)
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
