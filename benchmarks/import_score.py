"""How well `newsgen add` reads the page corpus: accuracy per field, per page and overall.

    PYTHONPATH=src python benchmarks/import_score.py                  # every page
    PYTHONPATH=src python benchmarks/import_score.py --split holdout  # pages never tuned on
    PYTHONPATH=src python benchmarks/import_score.py --split tune -v  # with each page's misses

The pages and their expected drafts are in tests/fixtures/pages (see its README.md);
the scoring (what counts as a close title, clutter, a lost sentence) is tests/pagecorpus.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.pagecorpus import Score, import_corpus_page, load_pages, score

from newsgen.importer import Draft


def main(argv: list[str] | None = None) -> int:
    """Import every page of the corpus (or of one split) and print the score of each field."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["tune", "holdout"], help="score only these pages")
    parser.add_argument("-v", "--verbose", action="store_true", help="show each page's misses")
    args = parser.parse_args(argv)
    pages = load_pages(args.split)
    scores: list[Score] = []
    started = time.perf_counter()
    for page in pages:
        draft = import_corpus_page(page)
        result = score(draft, page.expected)
        scores.append(result)
        _print_page(page.name, draft, result, page.expected, args.verbose)
    seconds = time.perf_counter() - started
    _print_totals(scores, args.split or "all", seconds)
    return 0


def _print_page(
    name: str, draft: Draft, result: Score, expected: dict[str, Any], verbose: bool
) -> None:
    marks = "".join(
        [
            "T" if result.title != "wrong" else "-",
            "D" if result.date else "-",
            "S" if result.source else "-",
            "L" if result.language else "-",
            "C" if result.countries else "-",
            "." if not result.clutter else "x",
            "." if not result.lost else "!",
        ]
    )
    print(f"{marks}  {name}")
    if not verbose:
        return
    if result.title == "wrong":
        print(f"     title:   {draft.title!r}")
    if not result.date:
        print(f"     date:    {draft.date} (expected {expected['date']})")
    if not result.source:
        print(f"     source:  {draft.source!r} (expected {expected['source']!r})")
    if not result.countries:
        print(f"     countries: {draft.countries} (expected {expected['countries']})")
    for line in result.clutter:
        print(f"     clutter: {line[:90]}")
    for line in result.lost:
        print(f"     lost:    {line[:90]}")


def _print_totals(scores: list[Score], split: str, seconds: float) -> None:
    n = len(scores)

    def share(count: int) -> str:
        return f"{count}/{n} ({100 * count / n:.0f}%)" if n else "0/0"

    exact = sum(s.title == "exact" for s in scores)
    close = sum(s.title == "close" for s in scores)
    print(f"\n{n} pages ({split}), imported in {seconds:.1f} s")
    print(f"title right or close   {share(exact + close)}  ({exact} exact, {close} close)")
    print(f"date right             {share(sum(s.date for s in scores))}")
    print(f"source right           {share(sum(s.source for s in scores))}")
    print(f"language right         {share(sum(s.language for s in scores))}")
    print(
        f"countries R≥0.8, P≥0.6 {share(sum(s.countries for s in scores))}  "
        f"(mean precision {sum(s.precision for s in scores) / max(n, 1):.2f}, "
        f"mean recall {sum(s.recall for s in scores) / max(n, 1):.2f})"
    )
    print(
        f"no clutter left        {share(sum(not s.clutter for s in scores))}  "
        f"({sum(len(s.clutter) for s in scores)} clutter lines in all)"
    )
    print(
        f"no sentence lost       {share(sum(not s.lost for s in scores))}  "
        f"({sum(len(s.lost) for s in scores)} sentences lost in all)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
