"""Work spread over forked processes of this machine, for the stages before rendering.

A cold build of a large archive parses every file and scans every body for the countries
it names: work that needs nothing but the file, done one file after another on one core
while the others wait. Forked processes inherit the function and the items, so only
ranges of positions and the results cross the process boundary.
"""

from __future__ import annotations

import multiprocessing
import os
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

_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def forked_map(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    workers: int | None = None,
    *,
    threshold: int | None = None,
) -> Iterator[Result]:
    """function of each item, in order: on `workers` forked processes (default: one per
    core) when there are at least threshold items (default THRESHOLD) and the system can
    fork, else in this process."""
    count = min(workers or os.cpu_count() or 1, -(-len(items) // CHUNK))
    few = len(items) < (THRESHOLD if threshold is None else threshold)
    if count < 2 or few or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(function, items)
        return
    global _WORK
    _WORK = (function, items)
    try:
        chunks = [(i, min(i + CHUNK, len(items))) for i in range(0, len(items), CHUNK)]
        with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork")) as pool:
            try:
                for results in pool.map(_call, chunks):
                    yield from results
            except BrokenProcessPool:
                raise WorkerLost(
                    "a process reading articles died (killed, most likely for want of memory); "
                    "the last site was left as it was",
                    hint="free memory and build again",
                ) from None
    finally:
        _WORK = None


def _call(chunk: tuple[int, int]) -> list[Any]:
    assert _WORK is not None
    function, items = _WORK
    return [function(items[i]) for i in range(*chunk)]
