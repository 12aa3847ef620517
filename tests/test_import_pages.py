"""`newsgen add` on the page corpus: each page's expected fields, and the targets over all pages.

The pages and their expectations are tests/fixtures/pages; the scoring is tests/pagecorpus.py.
A page's field listed in KNOWN_MISSES is a known failure, kept visible (strict xfail: the
test fails once the importer gets it right, so the list cannot go stale).
"""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from newsgen.importer import Draft

from .pagecorpus import Page, Score, import_corpus_page, load_pages, score

PAGES = load_pages()
BY_NAME = {page.name: page for page in PAGES}

KNOWN_MISSES = {
    ("dw-aralsee", "clutter"): "a related teaser between two paragraphs reads as a sub-head",
    ("rtde-turkmenistan-gas", "clutter"): "the outlet's appeal to readers is a paragraph of prose",
    ("tagesschau-usbekistan-wahl", "clutter"): "the HTML standfirst is a paragraph of the text",
    (
        "apnews-kyrgyz-border",
        "clutter",
    ): "the byline and the agency's self-portrait follow the text",
    ("ria-uzbekistan-aes", "countries"): "Russia is named once, through its president",
}
FIELDS = ["title", "date", "source", "language", "countries", "clutter", "lost"]


@functools.cache
def _result(name: str) -> tuple[Draft, Score]:
    page = BY_NAME[name]
    draft = import_corpus_page(page)
    return draft, score(draft, page.expected)


def _passes(field: str, result: Score) -> bool:
    if field == "title":
        return result.title != "wrong"
    if field == "clutter":
        return not result.clutter
    if field == "lost":
        return not result.lost
    return bool(getattr(result, field))


def _cases() -> list[object]:
    cases: list[object] = []
    for page in PAGES:
        for field in FIELDS:
            reason = KNOWN_MISSES.get((page.name, field))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            cases.append(pytest.param(page.name, field, marks=marks, id=f"{page.name}-{field}"))
    return cases


@pytest.mark.parametrize(("name", "field"), _cases())
def test_each_page_gives_its_expected_field(name: str, field: str) -> None:
    draft, result = _result(name)
    expected = BY_NAME[name].expected
    shown = {
        "title": (draft.title, expected["title"]),
        "date": (draft.date, expected["date"]),
        "source": (draft.source, expected["source"]),
        "language": (draft.language, expected["language"]),
        "countries": (draft.countries, expected["countries"]),
        "clutter": (result.clutter, ()),
        "lost": (result.lost, ()),
    }[field]
    assert _passes(field, result), f"{field}: got {shown[0]!r}, expected {shown[1]!r}"


def test_the_corpus_is_as_wide_as_promised() -> None:
    outlets = {page.expected["outlet"] for page in PAGES}
    languages = {page.expected["language"] for page in PAGES}
    kinds = {page.path.suffix for page in PAGES}
    assert len(PAGES) >= 24 and len(outlets) >= 12
    assert languages == {"en", "de", "ru"} and kinds == {".txt", ".html"}
    assert all(page.path.is_file() for page in PAGES)
    assert sum(page.expected["split"] == "holdout" for page in PAGES) >= 10


@pytest.mark.parametrize("split", ["tune", "holdout"])
def test_the_targets_hold_on_each_split(split: str) -> None:
    results = [_result(page.name)[1] for page in load_pages(split)]
    n = len(results)
    assert sum(r.title != "wrong" for r in results) >= 0.9 * n
    assert sum(r.date for r in results) >= 0.9 * n
    assert sum(r.source for r in results) >= 0.8 * n
    assert all(r.language for r in results)
    assert sum(r.countries for r in results) >= 0.8 * n
    assert sum(not r.clutter for r in results) >= 0.8 * n
    assert not any(r.lost for r in results)


def test_a_page_with_only_a_relative_date_leaves_it_todo() -> None:
    pages = [p for p in PAGES if p.expected["date"] is None]
    assert pages
    for page in pages:
        draft, _ = _result(page.name)
        assert draft.date is None and draft.relative_date
        line = next(
            x for x in draft.to_markdown(dt.date(2026, 1, 2)).splitlines() if x.startswith("date:")
        )
        assert "TODO" in line and draft.relative_date in line


def test_saved_html_takes_title_date_and_source_from_its_metadata() -> None:
    html_pages: list[Page] = [p for p in PAGES if p.path.suffix == ".html"]
    assert len(html_pages) >= 8
    for page in html_pages:
        draft, result = _result(page.name)
        if draft.date_evidence == "the page's metadata":
            assert result.date, page.name
    evidence = [_result(p.name)[0].date_evidence for p in html_pages]
    assert evidence.count("the page's metadata") >= len(html_pages) // 2
