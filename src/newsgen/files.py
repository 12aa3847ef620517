"""File helpers that several stages need: a whole-or-nothing write, and the one folder walker.

A leaf module: it imports nothing of newsgen, so the cache, the loader and the
writer can all use it without one stage reaching into another.

The walker is where the rules for reading input folders live, in one place:
only regular files count; a link is followed only when it stays inside a given
folder (the project) and only once, so a loop (``x -> .``) or a link to ``/``
cannot make a walk endless; a FIFO, a socket or a device is never opened; and
a folder that cannot be read is a problem to report, never a silent gap.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple


def replace_file(target: Path, data: bytes) -> None:
    """Write a file whole or not at all: into a temporary file, then renamed over the target."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def inside(path: Path | str, root: Path | str) -> str | None:
    """A path below root as a '/'-separated relative path, or None when it lies elsewhere.

    Plain string work on absolute paths: pathlib's relative_to costs about 20 µs a call,
    which is seconds over a large archive's files.
    """
    prefix = os.path.join(str(root), "")
    text = str(path)
    if not text.startswith(prefix):
        return None
    return text[len(prefix) :].replace(os.sep, "/")


class FileStatus(NamedTuple):
    """What a build reads of a file's status. A build keeps it for every article from
    looking at the folder to loading: an os.stat_result holds 19 numbers, some 1 KB a file
    (about 1 GB for an archive of 1,000,000 articles), this 2."""

    st_size: int
    st_mtime_ns: int


@dataclass(frozen=True, slots=True)
class Found:
    """One thing the walker met below a folder."""

    relative: str
    """Its path below the walked folder, '/'-separated."""
    path: str
    """Its path as the file system knows it."""
    kind: str
    """'file', 'folder', 'link' (only when links are not followed) or 'problem'."""
    stat: os.stat_result | FileStatus | None = None
    """Its status (of the link's target where a link was followed): a file's size and time
    only (FileStatus); None for a problem."""
    problem: str = ""
    """What is wrong with it, in words for the person who owns the folder."""


def walk(
    root: Path, *, hidden: bool = False, follow_within: Path | None = None, folders: bool = False
) -> Iterator[Found]:
    """Everything below root, depth first, each folder's entries in name order.

    hidden: also walk names that start with '.'. follow_within: follow links whose target
    lies inside this folder (others are problems); None: report links as links, unfollowed.
    folders: also yield each folder before what it holds. A missing root yields nothing.
    """
    try:
        top = os.stat(root)
    except FileNotFoundError:
        return
    except OSError as exc:
        yield Found("", str(root), "problem", problem=_reason(exc))
        return
    if not stat.S_ISDIR(top.st_mode):
        yield Found("", str(root), "problem", problem="this is not a folder")
        return
    within = os.path.realpath(follow_within) if follow_within is not None else None
    seen = {(top.st_dev, top.st_ino)}
    yield from _walk(str(root), "", hidden, within, folders, seen)


def _walk(
    folder: str, prefix: str, hidden: bool, within: str | None, folders: bool, seen: set[Any]
) -> Iterator[Found]:
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        reason = f"cannot read this folder: {_reason(exc)}"
        yield Found(prefix.rstrip("/"), folder, "problem", problem=reason)
        return
    for entry in entries:
        if not hidden and entry.name.startswith("."):
            continue
        relative = prefix + entry.name
        found = _examine(entry, relative, within)
        if found.kind != "folder":
            yield found
            continue
        assert isinstance(found.stat, os.stat_result)  # as _examine made it
        key = (found.stat.st_dev, found.stat.st_ino)
        if key in seen:  # a link back into a folder already walked: once is enough
            continue
        seen.add(key)
        if folders:
            yield found
        yield from _walk(entry.path, relative + "/", hidden, within, folders, seen)


def _examine(entry: os.DirEntry[str], relative: str, within: str | None) -> Found:
    try:
        if entry.is_symlink():
            if within is None:
                return Found(relative, entry.path, "link", entry.stat(follow_symlinks=False))
            reason = _outside(entry.path, within)
            if reason:
                return Found(relative, entry.path, "problem", problem=reason)
        info = os.stat(entry.path) if entry.is_symlink() else entry.stat(follow_symlinks=False)
    except OSError as exc:
        return Found(relative, entry.path, "problem", problem=_link_reason(entry.path, exc))
    if stat.S_ISDIR(info.st_mode):
        return Found(relative, entry.path, "folder", info)
    if stat.S_ISREG(info.st_mode):
        return Found(relative, entry.path, "file", FileStatus(info.st_size, info.st_mtime_ns))
    reason = "this is not a regular file (a pipe, a socket or a device)"
    return Found(relative, entry.path, "problem", problem=reason)


def resolved(path: Path) -> Path | str:
    """A folder's real path, or why it has none ("this link leads round in a loop").

    pathlib's resolve() raises RuntimeError on a loop in Python 3.11, not an OSError.
    """
    try:
        return path.resolve()
    except RuntimeError:
        return "this link leads round in a loop"
    except OSError as exc:
        return _reason(exc)


def look_at(path: Path, within: Path | None = None) -> Found | None:
    """One file the project names (its settings, its about page), as the walker sees a file:
    None when there is nothing of that name; a problem when it is not a regular file, or
    is a link out of within (when given) or to nothing."""
    name = str(path)
    try:
        info = os.lstat(name)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Found(path.name, name, "problem", problem=_reason(exc))
    if stat.S_ISLNK(info.st_mode):
        reason = _outside(name, os.path.realpath(within)) if within is not None else None
        if reason:
            return Found(path.name, name, "problem", problem=reason)
        try:
            info = os.stat(name)
        except OSError as exc:
            return Found(path.name, name, "problem", problem=_link_reason(name, exc))
    if stat.S_ISREG(info.st_mode):
        return Found(path.name, name, "file", FileStatus(info.st_size, info.st_mtime_ns))
    what = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe, a socket or a device"
    return Found(path.name, name, "problem", problem=f"this is {what}, not a file")


def _outside(link: str, within: str) -> str | None:
    """Why a link may not be followed: its target lies outside within (a real path)."""
    target = os.path.realpath(link)
    if os.path.commonpath([target, within]) != within:
        return f"this link points outside {os.path.basename(within)}/: {target}"
    return None


def _link_reason(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "this link leads round in a loop"
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return f"this link points to nothing: {os.readlink(path)}"
    return _reason(exc)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
