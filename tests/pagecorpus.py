"""The page corpus (tests/fixtures/pages) and how a draft is scored against a page's expectation.

Shared by tests/test_import_pages.py and benchmarks/import_score.py.

A title is "close" when, after folding case, quotes, dashes and spaces, difflib's
similarity ratio with the expected one is at least 0.9. Clutter is a paragraph of the
draft's body found nowhere in the expected body; a lost sentence is a sentence of the
expected body found nowhere in the draft's body or summary.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from newsgen.importer import Draft, import_page

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
CLOSE_TITLE = 0.9
RETRIEVED = dt.date(2026, 1, 1)  # a fixed day: drafts never depend on the clock


@dataclass(frozen=True)
class Page:
    """A page of the corpus and the draft it should give."""

    name: str
    path: Path
    expected: dict[str, Any]


@dataclass(frozen=True)
class Score:
    """How a draft compares with its page's expectation, field by field."""

    title: str  # "exact", "close" or "wrong"
    date: bool
    source: bool
    language: bool
    precision: float
    recall: float
    clutter: tuple[str, ...]
    lost: tuple[str, ...]

    @property
    def countries(self) -> bool:
        """The target for one page: recall at least 0.8 with precision at least 0.6."""
        return self.recall >= 0.8 and self.precision >= 0.6


def load_pages(split: str | None = None) -> list[Page]:
    """Every page of the corpus, or those of one split ('tune' or 'holdout'), by name."""
    pages = []
    for path in sorted(PAGES.glob("*.yaml")):
        expected = yaml.safe_load(path.read_text(encoding="utf-8"))
        if split is None or expected["split"] == split:
            pages.append(Page(path.stem, PAGES / expected["page"], expected))
    return pages


def import_corpus_page(page: Page) -> Draft:
    """The draft the importer makes of a page."""
    return import_page(page.path.read_text(encoding="utf-8"), page.path.name, None, RETRIEVED)


def score(draft: Draft, expected: dict[str, Any]) -> Score:
    """Compare a draft with what its page should give."""
    title = fold(draft.title)
    want = fold(expected["title"])
    similarity = difflib.SequenceMatcher(None, title, want).ratio()
    got = set(draft.countries)
    wanted = set(expected["countries"])
    body = [fold(p.removeprefix("## ")) for p in draft.body.split("\n\n") if p.strip()]
    expected_body = fold(" ".join(expected["body"]))
    drafted = " ".join([*body, fold(draft.summary or "")])
    return Score(
        title="exact" if title == want else "close" if similarity >= CLOSE_TITLE else "wrong",
        date=draft.date == expected["date"],
        source=(draft.source or "").casefold() == str(expected["source"] or "").casefold(),
        language=draft.language == expected["language"],
        precision=len(got & wanted) / len(got) if got else 0.0,
        recall=len(got & wanted) / len(wanted) if wanted else 1.0,
        clutter=tuple(p for p in body if p not in expected_body),
        lost=tuple(s for s in sentences(expected_body) if s not in drafted),
    )


_QUOTES = str.maketrans({c: '"' for c in "“”„«»‘’‚'"} | {c: "-" for c in "–—−"})


def fold(text: str) -> str:
    """A text folded for comparison: case, quotes, dashes and runs of spaces."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES).casefold()).strip()


def sentences(text: str) -> list[str]:
    """A text's sentences, roughly: split after ., ! or ? before a space."""
    return [s for s in re.split(r"(?<=[.!?…])\s+", text) if s]
