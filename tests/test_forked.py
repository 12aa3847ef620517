"""Loading on forked processes: the same records, errors and mentions as in one process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newsgen import forked, load
from newsgen.config import Config
from newsgen.errors import WorkerLost
from newsgen.forked import forked_map
from newsgen.load import find_all_mentions, load_articles
from newsgen.state import open_state

from .conftest import article_text

fork_only = pytest.mark.skipif(
    not hasattr(os, "fork"), reason="forked processes need a system that can fork"
)


def _square_with_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


@fork_only
def test_many_items_are_spread_over_processes_and_come_back_in_order() -> None:
    items = list(range(2_000))
    results = list(forked_map(_square_with_pid, items, 2, threshold=10))
    assert [value for value, _ in results] == [n * n for n in items]
    assert os.getpid() not in {pid for _, pid in results}  # done elsewhere


def test_few_items_are_done_here() -> None:
    results = list(forked_map(_square_with_pid, [1, 2, 3], 2))
    assert results == [(1, os.getpid()), (4, os.getpid()), (9, os.getpid())]


def _dies(n: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer does
    return n


@fork_only
def test_a_process_that_dies_is_an_error_not_a_hang() -> None:
    with pytest.raises(WorkerLost, match="a process reading articles died"):
        list(forked_map(_dies, list(range(1_000)), 2, threshold=10))


@fork_only
def test_articles_loaded_on_processes_are_the_ones_loaded_here(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    texts = {
        f"a{n:03}.md": article_text(
            f"Report {n}",
            date=f"20{10 + n % 12}-0{1 + n % 9}-1{n % 10}",
            countries=["[UZ]", "[FR, DE]", "[]"][n % 3],
            body=["Talks in Kazakhstan and Peru.", "Nothing named.", "Oman, Chad."][n % 3],
        )
        for n in range(120)
    }
    texts["broken.md"] = "---\ntitle: [unclosed\n---\nBody.\n"
    texts["no-date.md"] = "---\ntitle: No date\nsource: Somewhere\n---\nBody.\n"
    texts["odd-field.md"] = article_text("Odd", auther="Someone")  # a warning, not an error
    config = site(texts)

    here = load_articles(config, workers=1)
    monkeypatch.setattr(forked, "THRESHOLD", 5)
    monkeypatch.setattr(forked, "CHUNK", 7)
    # Where each file was parsed, told through a file: the processes share no memory.
    told = tmp_path / "parsed-by"
    real = load.parse_article

    def parse(path: Path, text: str, config: Config) -> Any:
        with told.open("a") as record:
            record.write(f"{os.getpid()}\n")
        return real(path, text, config)

    monkeypatch.setattr(load, "parse_article", parse)
    there = load_articles(config, workers=2)
    parsers = told.read_text().split()
    assert len(parsers) == len(texts) and str(os.getpid()) not in parsers

    assert there[0] == here[0] and len(here[0]) == 121
    assert [(e.path, e.line, e.message) for e in there[1]] == [
        (e.path, e.line, e.message) for e in here[1]
    ]
    assert len(here[1]) >= 2  # each broken file is named
    assert there[2] == here[2] and here[2]  # warnings cross too
    assert find_all_mentions(there[0], workers=2) == find_all_mentions(here[0], workers=1)
    assert any(find_all_mentions(here[0]).values())  # bodies that name countries were read


@fork_only
def test_no_process_is_started_for_a_rebuild(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site({f"a{n}.md": article_text(f"Report {n}") for n in range(3)})
    monkeypatch.setattr(forked, "THRESHOLD", 1)
    monkeypatch.setattr(forked, "CHUNK", 1)
    state = open_state(config.path("cache"), "key", config.root)

    class Started(Exception):
        pass

    def pool(*args: object, **kwargs: object) -> None:
        raise Started

    with monkeypatch.context() as patched:
        patched.setattr(forked, "ProcessPoolExecutor", pool)
        with pytest.raises(Started):  # three new files: parsed on processes
            load_articles(config, state.records, workers=2)
    assert len(load_articles(config, state.records, workers=2)[0]) == 3
    state.records.save()
    monkeypatch.setattr(forked, "ProcessPoolExecutor", pool)
    assert len(load_articles(config, state.records, workers=2)[0]) == 3  # none started
    state.close()


_ORPHANS = """
import os, sys, time
sys.path.insert(0, {src!r})
from newsgen.forked import forked_map

def slow(n):
    with open(sys.argv[1], "a") as told:
        told.write(f"{{os.getpid()}}\\n")
    time.sleep(60)
    return n

list(forked_map(slow, list(range(100)), 2, threshold=1, chunk=1))
"""


@fork_only
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_the_processes_die_with_the_build(tmp_path: Path) -> None:
    """A build the out-of-memory killer stops leaves no worker holding its memory."""
    told = tmp_path / "workers"
    script = tmp_path / "orphans.py"
    script.write_text(_ORPHANS.format(src=str(Path(forked.__file__).parents[1])))
    build = subprocess.Popen([sys.executable, str(script), str(told)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_pids(told)) < 2:
        time.sleep(0.05)
    workers = _pids(told)
    assert len(workers) == 2
    build.kill()
    build.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.05)
    alive = [pid for pid in workers if _alive(pid)]
    for pid in alive:  # leave nothing behind, whatever the outcome
        os.kill(pid, signal.SIGKILL)
    assert alive == []


def _pids(told: Path) -> set[int]:
    return {int(line) for line in told.read_text().split()} if told.exists() else set()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "\tZ" not in next(line for line in status if line.startswith("State:"))
    except (OSError, StopIteration):
        return False


_INTERRUPTED = """
import os, sys, time
sys.path.insert(0, {src!r})
from newsgen.forked import forked_map

told = sys.argv[1]

def slow(n):
    with open(told, "a") as stream:
        stream.write(f"{{os.getpid()}}\\n")
    time.sleep(0.02)
    return b"x" * 200_000  # results that fill the pipe while the reader dawdles

try:
    for _ in forked_map(slow, list(range(400)), 2, threshold=1, chunk=20):
        time.sleep(0.5)
except KeyboardInterrupt:
    print("stopped", flush=True)
"""


@fork_only
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
@pytest.mark.parametrize("moment", ["working", "idle"])
def test_ctrl_c_stops_the_workers_at_once_and_quietly(tmp_path: Path, moment: str) -> None:
    """Ctrl-C reaches the whole process group: the build stops its workers, none prints a
    traceback, and none is left blocked on a result no one will read."""
    told = tmp_path / "workers"
    script = tmp_path / "interrupted.py"
    script.write_text(_INTERRUPTED.format(src=str(Path(forked.__file__).parents[1])))
    build = subprocess.Popen(
        [sys.executable, str(script), str(told)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, as a terminal's
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_pids(told)) < 2:
        time.sleep(0.05)
    if moment == "idle":  # every item done: the workers wait for work that will not come
        while time.monotonic() < deadline and len(told.read_text().split()) < 400:
            time.sleep(0.05)
        time.sleep(0.5)
    os.killpg(build.pid, signal.SIGINT)
    try:
        out, err = build.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(build.pid, signal.SIGKILL)
    workers = _pids(told)
    assert out.strip() == "stopped" and "Traceback" not in err, err
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)]
