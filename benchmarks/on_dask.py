"""Cold builds on this machine against cold builds on a local Dask cluster.

    .venv/bin/python benchmarks/on_dask.py                      # N = 1,000 and 10,000
    .venv/bin/python benchmarks/on_dask.py --sizes 1000 --rounds 3

Starts a LocalCluster of --workers worker processes (one thread each) on 127.0.0.1,
then, for each size and round, builds the corpus cold (no _site/, no .newsgen-cache/)
once locally and once with `--dask`, alternating so that both see the same load. Each
build is its own process, timed wall-clock; peak RSS is the build process's own (the
workers' memory is not in it). The cluster's start-up is not in any figure. "load" is
the 1-minute load average after the round: on a shared machine, compare rows with
similar load only.
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


def cold(root: Path, *extra: str) -> Run:
    """One build with no output folder and no cache."""
    shutil.rmtree(root / "_site", ignore_errors=True)
    shutil.rmtree(root / ".newsgen-cache", ignore_errors=True)
    return run_build(root, *extra)


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
            silence_logs=40,
        ) as cluster,
    ):
        address = cluster.scheduler_address
        print(
            f"cold builds on {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
            f"Dask: LocalCluster of {args.workers} processes × 1 thread at {address}"
        )
        print()
        print("| articles | round | local (s) | --dask (s) | dask / local | pages | load |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for count in args.sizes:
            root = args.workdir / f"corpus-{count}"
            articles = root / "articles"
            if not articles.is_dir() or len(list(articles.iterdir())) != count:
                make_corpus(count, root)
            for leftover in articles.glob("added-*"):
                leftover.unlink()
            for number in range(1, args.rounds + 1):
                local = cold(root)
                spread = cold(root, "--dask", address)
                assert local.pages == spread.pages
                print(
                    f"| {count:,} | {number} | {local.seconds:.2f} | {spread.seconds:.2f} | "
                    f"{spread.seconds / local.seconds:.2f}× | {local.pages:,} | "
                    f"{os.getloadavg()[0]:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
