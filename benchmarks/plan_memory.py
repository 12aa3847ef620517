"""Load and plan a corpus in one process, without rendering: time and resident memory.

    .venv/bin/python benchmarks/plan_memory.py /tmp/newsgen-benchmark/corpus-1000000

What the main process of a cold build holds before its pages render (every record, the
archive's indexes and the planned pages), for archives too large to build whole on this
machine. Make corpora with corpus.py. The build state is not used or written.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from newsgen.config import load_config
from newsgen.pages import plan_pages
from newsgen.pipeline import Collector, load_archive


def resident_mib() -> float:
    """This process's resident set now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    """Load, plan, and print what each took."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("root", type=Path, help="a project folder (a corpus made by corpus.py)")
    args = parser.parse_args()
    config, _ = load_config(args.root)
    with Collector():  # as a build loads and plans
        started = time.perf_counter()
        archive, _ = load_archive(config, use_cache=False)
        loaded = time.perf_counter()
        print(
            f"loaded {len(archive.articles):,} articles in {loaded - started:.0f} s, "
            f"resident {resident_mib():,.0f} MiB",
            flush=True,
        )
        pages = plan_pages(archive, config)
        print(
            f"planned {len(pages):,} pages in {time.perf_counter() - loaded:.0f} s, "
            f"resident {resident_mib():,.0f} MiB",
            flush=True,
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
