"""Measure the search index on a generated corpus: building it, re-indexing, querying.

    .venv/bin/python benchmarks/search.py                 # 10,000 articles
    .venv/bin/python benchmarks/search.py --size 1000

1. A cold build of the whole site (child process, wall clock, peak RSS of its largest
   process), then the search index alone from nothing: every shard indexed again in a
   child process, with the article bodies in the cache as a cold build leaves them.
   Its peak RSS is that of the largest process (newsgen or one Pagefind run); two
   Pagefind runs go at a time on a 2-core machine, so the sum is also shown.
2. Re-indexing after one article is added: the add-one build's wall clock, and the time
   of re-indexing the one shard that changed, measured on its own (median of --repeat).
3. Queries in Debian's Chromium against the site served over HTTP from this machine:
   loading and merging the shards, the first query, and later ones (median).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import extra_article, make_corpus
from run import run_build

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUERIES = ["minister", "security talks", "Zusammenarbeit", "4711", "agreement neighbours"]


def index_stage(root: Path, only: str | None) -> None:
    """In a child: index every shard (or one) as a build does, and print what it took."""
    from newsgen.config import load_config
    from newsgen.pages import plan_pages
    from newsgen.pipeline import LocalPool, load_archive, render_changed

    config, _ = load_config(root)
    archive, _ = load_archive(config)
    pages = [p for p in plan_pages(archive, config) if p.bundle and (only is None or only in p.url)]
    started = time.perf_counter()
    changed = render_changed(pages, config, lambda _: None, full=False, renderer=LocalPool())
    files = sum(len(data) for _, _, data in changed if isinstance(data, dict))
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {"seconds": seconds, "shards": len(pages), "files": files, "pagefind_mib": children}
        )
    )


def run_index(root: Path, only: str | None = None) -> dict[str, float]:
    """index_stage in a child process; its figures, and the child's own peak RSS."""
    command = [sys.executable, __file__, "--index-stage", str(root)]
    if only:
        command += ["--only", only]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    out = child.stdout.read().decode() if child.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        err = child.stderr.read().decode() if child.stderr else ""
        raise SystemExit(f"indexing failed:\n{out}\n{err}")
    figures: dict[str, float] = json.loads(out)
    # wait4 gives the largest process of the tree, and the CPU time of the whole tree.
    figures["peak_mib"] = usage.ru_maxrss / 1024
    figures["cpu"] = usage.ru_utime + usage.ru_stime
    return figures


def cold_build(root: Path) -> dict[str, float]:
    """A cold build in a child process: wall clock, CPU time of its whole tree, peak RSS."""
    command = [sys.executable, "-m", "newsgen.cli", "--root", str(root), "build"]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(child.stderr.read().decode() if child.stderr else "build failed")
    return {
        "seconds": time.perf_counter() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
    }


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


_TIMED_QUERY = """async (words) => {
  const input = document.querySelector('#search-q');
  const list = document.querySelector('#search-results');
  input.value = words;
  const done = new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if (list.dataset.query === words) { watch.disconnect(); resolve(); }
    });
    watch.observe(list, {attributes: true, attributeFilter: ['data-query']});
  });
  const started = performance.now();
  document.querySelector('form.search-form').requestSubmit();
  await done;
  return [performance.now() - started, document.querySelectorAll('#search-results li').length];
}"""


def browser_queries(site: Path) -> dict[str, float]:
    """Time the search page over HTTP: loading the shards, the first query, later ones."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/search/index.html"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page()
            started = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("#search[data-ready]", timeout=60_000)
            ready = time.perf_counter() - started
            times = []
            for words in QUERIES * 2:
                took, found = page.evaluate(_TIMED_QUERY, words)
                times.append(took)
                if not found:
                    raise SystemExit(f"no result for {words!r}")
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return {
        "ready_ms": ready * 1000,
        "first_ms": times[0],
        "later_median_ms": statistics.median(times[1:]),
        "later_max_ms": max(times[1:]),
    }


def main() -> None:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/newsgen-benchmark-search"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--index-stage", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.index_stage:
        index_stage(args.index_stage, args.only)
        return

    root = args.workdir / f"corpus-{args.size}"
    if not (root / "articles").is_dir() or len(list((root / "articles").iterdir())) != args.size:
        make_corpus(args.size, root)
    for leftover in (root / "articles").glob("added-*"):
        leftover.unlink()
    shutil.rmtree(root / "_site", ignore_errors=True)
    shutil.rmtree(root / ".newsgen-cache", ignore_errors=True)

    load = os.getloadavg()[0]
    print(f"search benchmark, {args.size:,} articles, {os.cpu_count()} cores, load {load:.1f}")
    cold = cold_build(root)
    print(
        f"cold build (all pages and the index): {cold['seconds']:.2f} s wall, "
        f"{cold['cpu']:.2f} s CPU, peak {cold['peak_mib']:.0f} MiB"
    )
    index = run_index(root)
    print(
        f"search index from nothing: {index['seconds']:.2f} s wall "
        f"({index['seconds'] / cold['seconds']:.0%} of the cold build's), {index['cpu']:.2f} s "
        f"CPU ({index['cpu'] / cold['cpu']:.0%} of its), {index['shards']:.0f} shards; peak RSS "
        f"{index['peak_mib']:.0f} MiB (largest process), Pagefind's largest run "
        f"{index['pagefind_mib']:.0f} MiB, two at a time"
    )

    adds, shards = [], []
    for number in range(args.repeat):
        path = extra_article(root, args.size + 1 + number)
        year = path.read_text(encoding="utf-8").split("date: ", 1)[1][:4]
        added = run_build(root)
        adds.append(added.seconds)
        shards.append(run_index(root, f"/{year}")["seconds"])
    print(
        f"add one article: build {statistics.median(adds):.2f} s (median of {args.repeat}); "
        f"re-indexing its shard {statistics.median(shards):.2f} s of that"
    )
    queries = browser_queries(root / "_site")
    print(
        f"browser, served locally: shards loaded and merged in {queries['ready_ms']:.0f} ms; "
        f"first query {queries['first_ms']:.0f} ms; later queries median "
        f"{queries['later_median_ms']:.0f} ms, slowest {queries['later_max_ms']:.0f} ms"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
