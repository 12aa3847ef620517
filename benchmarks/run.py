"""Measure newsgen on generated corpora: cold build, no-change rebuild, add-one rebuild.

    .venv/bin/python benchmarks/run.py                     # N = 1,000, 10,000, 30,000, 100,000
    .venv/bin/python benchmarks/run.py --sizes 1000 10000  # fewer sizes

Each build runs as its own process, as a user runs it, and is timed wall-clock; the
no-change and add-one rebuilds are run --repeat times and their median is shown.
Peak RSS is the largest resident set of any one process of the build (the main
process or one render worker), from wait4(); a forked worker's counts the pages it
shares with the main process. Peak PSS is the largest sum, sampled every --sample-every
seconds (reading a process's PSS walks its page tables: a large build wants it rarer), of the
proportional set sizes of the build's processes (shared pages split among them): what
the build takes from the machine. Corpora are made by corpus.py and
kept in --workdir, so a second run skips making them.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import extra_article, make_corpus

_SUMMARY = re.compile(r"Built (\d+) pages? .* (\d+) rendered, (\d+) files? written")


@dataclass
class Run:
    """One build, as measured from outside."""

    seconds: float
    peak_mib: float
    pss_mib: float
    pages: int
    rendered: int
    written: int


def run_build(root: Path, *extra: str, sample_every: float = 0.2) -> Run:
    """Build one site in a child process; time it and read its peak memory."""
    command = [sys.executable, "-m", "newsgen.cli", "--root", str(root), "build", *extra]
    # Output goes to files, not pipes: a build that writes more than a pipe holds would
    # block on it while wait4 waits for the build.
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out_file, stderr=err_file)
        sampler = PssSampler(child.pid, sample_every)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        out_file.seek(0)
        err_file.seek(0)
        out = out_file.read().decode()
        err = err_file.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build failed:\n{out}\n{err}")
    match = _SUMMARY.search(out)
    if not match:
        raise SystemExit(f"no summary line in: {out!r}")
    pages, rendered, written = (int(g) for g in match.groups())
    return Run(seconds, usage.ru_maxrss / 1024, sampler.peak_kib / 1024, pages, rendered, written)


class PssSampler(threading.Thread):
    """The largest total PSS of a process and its descendants, sampled until stopped."""

    def __init__(self, pid: int, every: float) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.every = every
        self.peak_kib = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while True:  # a first sample at once: a no-change build may be over in 0.2 s
            self.peak_kib = max(self.peak_kib, sum(map(_pss_kib, _family(self.pid))))
            if self.stop.wait(self.every):
                return


def _family(pid: int) -> list[int]:
    """A process and all its descendants (those alive now)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(c) for c in children.read().split())
        except OSError:
            continue
    return found


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def largest_folder(site: Path) -> tuple[str, int]:
    """The output folder that holds the most files (not counting its sub-folders), and how many."""
    counts = {os.path.relpath(folder, site): len(files) for folder, _, files in os.walk(site)}
    name = max(counts, key=lambda f: counts[f])
    return name, counts[name]


def median_run(runs: list[Run]) -> Run:
    """The run with the median wall time."""
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


largest: dict[int, tuple[str, int]] = {}
"""Per corpus size: the output folder holding the most files after the cold build, and how many."""


def measure(count: int, workdir: Path, repeat: int, sample_every: float) -> dict[str, Run]:
    """Cold, no-change and add-one builds of an N-article corpus; rebuilds are medians."""
    root = workdir / f"corpus-{count}"
    if not (root / "articles").is_dir() or len(list((root / "articles").iterdir())) != count:
        make_corpus(count, root)
    for leftover in (root / "articles").glob("added-*"):
        leftover.unlink()
    for stale in ("templates", "static"):  # copies an older corpus kept of an older theme
        shutil.rmtree(root / stale, ignore_errors=True)
    shutil.rmtree(root / "_site", ignore_errors=True)
    shutil.rmtree(root / ".newsgen-cache", ignore_errors=True)
    build = functools.partial(run_build, root, sample_every=sample_every)
    results = {"cold": build()}
    largest[count] = largest_folder(root / "_site")
    results["no change"] = median_run([build() for _ in range(repeat)])
    added = []
    for index in range(repeat):
        extra_article(root, count + 1 + index)
        added.append(build())
        build()  # settle, so each add-one starts from a site with nothing pending
    results["add one"] = median_run(added)
    return results


def main() -> None:
    """Run the measurements and print a Markdown table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 30000, 100000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/newsgen-benchmark"))
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of each rebuild; the median is shown"
    )
    parser.add_argument(
        "--sample-every", type=float, default=0.2, help="seconds between PSS samples"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"newsgen benchmark on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print()
    print(
        "| articles | build | wall (s) | peak RSS (MiB) | peak PSS, all processes (MiB) | pages "
        "| rendered | files written | pages/s |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    cold: dict[int, float] = {}
    for count in args.sizes:
        for name, run in measure(count, args.workdir, args.repeat, args.sample_every).items():
            rate = f"{run.pages / run.seconds:,.0f}" if name == "cold" else ""
            pss = f"{run.pss_mib:.0f}" if run.pss_mib else "n/a"  # over before a sample
            print(
                f"| {count:,} | {name} | {run.seconds:.2f} | {run.peak_mib:.0f} | {pss} "
                f"| {run.pages:,} | "
                f"{run.rendered:,} | {run.written:,} | {rate} |",
                flush=True,
            )
            if name == "cold":
                cold[count] = run.seconds
    print()
    for count, (folder, files) in largest.items():
        print(f"N = {count:,}: the fullest output folder, {folder}/, holds {files:,} files")
    if 10000 in cold and 30000 in cold:
        print(f"\nscaling: cold 30,000 / cold 10,000 = {cold[30000] / cold[10000]:.2f}×")


if __name__ == "__main__":
    main()
