"""Work spread over forked processes of this machine: loading files, rendering pages.

A cold build of a large archive parses every file, scans every body for the countries it
names and renders every page: work that needs nothing but what this process already
holds. Forked processes inherit the function, the items and everything they read, so
only ranges of positions and the results cross the process boundary.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from newsgen.errors import WorkerLost

Item = TypeVar("Item")
Result = TypeVar("Result")

THRESHOLD = 500
"""Fewer items than this are done in this process: starting processes costs more."""
CHUNK = 250
"""Items a process takes at a time."""

_WORK: tuple[Callable[[Any], Any], Sequence[Any], Callable[[], None] | None] | None = None


def can_fork() -> bool:
    """Whether this system can fork processes (not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def forked_map(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    workers: int | None = None,
    *,
    threshold: int | None = None,
    chunk: int | None = None,
    initializer: Callable[[], None] | None = None,
    doing: str = "reading articles",
) -> Iterator[Result]:
    """function of each item, in order: on `workers` forked processes (default: one per
    core) when there are at least threshold items (default THRESHOLD) and the system can
    fork, else in this process.

    initializer: run once in each process before its first item. doing: what the
    processes do, for the message when one dies (the out-of-memory killer): the build
    fails with WorkerLost rather than wait for it.
    """
    size = chunk or CHUNK
    count = min(workers or os.cpu_count() or 1, -(-len(items) // size))
    few = len(items) < (THRESHOLD if threshold is None else threshold)
    if count < 2 or few or not can_fork():
        yield from map(function, items)
        return
    global _WORK
    _WORK = (function, items, initializer)
    try:
        ranges = [(i, min(i + size, len(items))) for i in range(0, len(items), size)]
        context = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(count, mp_context=context, initializer=_start)
        try:
            for results in pool.map(_call, ranges):
                yield from results
        except BrokenProcessPool:
            raise WorkerLost(
                f"a process {doing} died (killed, most likely for want of memory); "
                "the last site was left as it was",
                hint="free memory and build again",
            ) from None
        except BaseException:
            # Ctrl-C, an error, or a caller that stopped reading: what the workers do is
            # no longer wanted. Waiting for them could wait for ever (a worker blocked on
            # writing a result no one reads), so they are killed.
            _kill_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        _WORK = None


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    # The executor keeps its processes by pid; it has no public way to stop them at once.
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(OSError, AttributeError, ValueError):
            process.kill()


def _start() -> None:
    die_with_parent()
    # Ctrl-C reaches every process of the terminal's group: the build handles it, and
    # stops its workers; a worker of its own would only print its traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    assert _WORK is not None
    initializer = _WORK[2]
    if initializer is not None:
        initializer()


def _call(span: tuple[int, int]) -> list[Any]:
    assert _WORK is not None
    function, items, _ = _WORK
    return [function(items[i]) for i in range(*span)]


_PR_SET_PDEATHSIG = 1  # prctl(2)


def die_with_parent() -> None:
    """Be killed when the build is: a build the out-of-memory killer stops must not leave
    its workers running, each holding its copy of the archive (Linux; elsewhere a no-op)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)
