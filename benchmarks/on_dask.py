"""Cold builds on this machine against cold builds on a local Dask cluster.

    .venv/bin/python benchmarks/on_dask.py                      # N = 1,000 and 10,000
    .venv/bin/python benchmarks/on_dask.py --sizes 1000 --rounds 3

Starts a LocalCluster of --workers worker processes (one thread each) on 127.0.0.1,
then, for each size and round, builds the corpus cold (no output folder, no
.newsgen-cache/) once locally into _site/ and once with `--dask` into _site-dask/,
alternating so that both see the same load, and checks that the two sites are the same
bytes. Each build is its own process, timed wall-clock; the cluster's start-up is in no
figure. "load" is the 1-minute load average after the round: on a shared machine,
compare rows with similar load only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import make_corpus
from run import Run, run_build


def cold(root: Path, output: str, *extra: str) -> Run:
    """One build with no output folder and no cache."""
    shutil.rmtree(root / output, ignore_errors=True)
    shutil.rmtree(root / ".newsgen-cache", ignore_errors=True)
    return run_build(root, "--output", output, *extra)


def same_files(one: Path, two: Path) -> bool:
    """Whether two folders hold the same files with the same bytes."""
    names = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file()):
        return False
    return all((one / name).read_bytes() == (two / name).read_bytes() for name in names)


def main() -> None:
    """Run the measurements and print a Markdown table."""
    import distributed

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per size")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/newsgen-benchmark"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    with (
        distributed.LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # any free port: several clusters may run here
            silence_logs=50,  # CRITICAL: shutting the cluster down logs lost heartbeats
        ) as cluster,
    ):
        address = cluster.scheduler_address
        print(
            f"cold builds on {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
            f"Dask: LocalCluster of {args.workers} processes × 1 thread at {address}"
        )
        print()
        print(
            "| articles | round | local (s) | --dask (s) | dask / local | pages | identical | load |"
        )
        print("|---:|---:|---:|---:|---:|---:|---|---:|")
        for count in args.sizes:
            root = args.workdir / f"corpus-{count}"
            articles = root / "articles"
            if not articles.is_dir() or len(list(articles.iterdir())) != count:
                make_corpus(count, root)
            for leftover in articles.glob("added-*"):
                leftover.unlink()
            for number in range(1, args.rounds + 1):
                local = cold(root, "_site")
                spread = cold(root, "_site-dask", "--dask", address)
                same = same_files(root / "_site", root / "_site-dask")
                print(
                    f"| {count:,} | {number} | {local.seconds:.2f} | {spread.seconds:.2f} | "
                    f"{spread.seconds / local.seconds:.2f}× | {local.pages:,} | "
                    f"{'yes' if same else 'NO'} | {os.getloadavg()[0]:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
