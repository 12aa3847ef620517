"""The archive's indexes, derived from records alone: order, groups, stories, neighbours."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from newsgen.enrich import build_archive
from newsgen.model import Article


def _article(
    slug: str, date: str, countries: tuple[str, ...] = (), story: str | None = None
) -> Article:
    return Article(
        path=Path(f"/a/{slug}.md"),
        url=f"articles/{slug}.html",
        slug=slug,
        title=slug,
        date=dt.date.fromisoformat(date),
        source="S",
        language="en",
        countries=countries,
        tags=(),
        summary="",
        story=story,
    )


RECORDS = [
    _article("c", "2021-10-14", ("UZ", "RU"), story="s"),
    _article("a", "2005-11-14", ("RU", "UZ")),
    _article("b", "2021-10-14", ("UZ",), story="s"),
    _article("d", "2012-04-17", ("TJ",), story="alone"),
]


def test_the_timeline_is_oldest_first_and_same_day_articles_by_slug() -> None:
    archive = build_archive(RECORDS)
    assert [a.slug for a in archive.articles] == ["a", "d", "b", "c"]
    assert [a.slug for a in archive.newest(2)] == ["c", "b"]
    assert archive.newest(0) == ()


def test_groups_by_country_are_newest_first_and_by_year_oldest_first() -> None:
    archive = build_archive(reversed(RECORDS))
    assert list(archive.by_country) == sorted({c for a in RECORDS for c in a.countries})
    assert [a.slug for a in archive.by_country["UZ"]] == ["c", "b", "a"]
    assert list(archive.by_year) == [2005, 2012, 2021]
    assert [a.slug for a in archive.by_year[2021]] == ["b", "c"]


def test_a_story_needs_two_reports_and_names_the_others() -> None:
    archive = build_archive(RECORDS)
    assert list(archive.stories) == ["s"]
    by_slug = {a.slug: a for a in RECORDS}
    assert [a.slug for a in archive.story_of(by_slug["b"])] == ["c"]
    assert archive.story_of(by_slug["d"]) == ()


def test_neighbours_follow_the_timeline() -> None:
    archive = build_archive(RECORDS)
    by_slug = {a.slug: a.url for a in RECORDS}
    assert archive.previous[by_slug["d"]].slug == "a"
    assert archive.following[by_slug["d"]].slug == "b"
    assert by_slug["a"] not in archive.previous and by_slug["c"] not in archive.following
