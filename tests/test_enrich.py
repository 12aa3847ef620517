"""The archive's indexes, derived from records alone: order, groups, stories, neighbours,
topics, related reports and mentioned countries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
import re
from pathlib import Path

import pytest

from newsgen.enrich import RELATED_COUNT, build_archive, topic_key
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


def test_every_story_key_is_a_story_and_names_the_others() -> None:
    archive = build_archive(RECORDS)
    assert list(archive.stories) == ["alone", "s"]  # each has a page, even with one report
    by_slug = {a.slug: a for a in RECORDS}
    assert [a.slug for a in archive.story_of(by_slug["b"])] == ["c"]
    assert archive.story_of(by_slug["d"]) == ()


def test_neighbours_follow_the_timeline() -> None:
    archive = build_archive(RECORDS)
    by_slug = {a.slug: a.url for a in RECORDS}
    assert archive.previous[by_slug["d"]].slug == "a"
    assert archive.following[by_slug["d"]].slug == "b"
    assert by_slug["a"] not in archive.previous and by_slug["c"] not in archive.following


def _record(slug: str, day: str, countries: str = "", tags: str = "", **more: str) -> Article:
    return Article(
        path=Path(f"/x/{slug}.md"),
        url=f"articles/{slug}.html",
        slug=slug,
        title=more.pop("title", slug),
        date=dt.date.fromisoformat(day),
        source="S",
        language=more.pop("language", "en"),
        countries=tuple(countries.split()),
        tags=tuple(t for t in tags.split(",") if t),
        summary="",
        digest=slug,
        **more,  # type: ignore[arg-type]
    )


def test_tags_that_differ_only_in_case_or_spaces_are_one_topic() -> None:
    archive = build_archive(
        [
            _record("a", "2020-01-01", tags="Military Bases,borders"),
            _record("b", "2021-01-01", tags="military  bases"),
            _record("c", "2022-01-01", tags=" MILITARY BASES "),
        ]
    )
    topic = archive.topics["military-bases"]
    assert topic.name == "Military Bases"  # as the earliest article writes it
    assert [a.slug for a in topic.articles] == ["c", "b", "a"]  # newest first
    assert list(archive.topics) == ["borders", "military-bases"]
    assert archive.topics_of(archive.articles[1]) == (("military  bases", "military-bases"),)
    assert topic_key(" MILITARY   Bases") == "military bases"


def test_topic_slugs_never_clash_or_take_the_index_page() -> None:
    archive = build_archive([_record("a", "2020-01-01", tags="C++,C,index")])
    slugs = sorted(archive.topics)
    assert len(slugs) == len(set(slugs)) == 3
    assert "index" not in slugs


def test_a_topics_address_is_its_tags_alone_whatever_else_the_archive_holds() -> None:
    first = [
        _record("a", "2020-01-01", tags="C#"),
        _record("b", "2020-02-01", tags="C++,Military Bases"),
        _record("r", "2020-03-01", tags="энергетика"),
    ]
    before = build_archive(first).topic_slugs
    # Tags of the same slug, sorting before, between and after; older and newer articles.
    joined = [
        *first,
        _record("c", "2019-03-01", tags="C+,military  bases"),
        _record("d", "2021-04-01", tags="C"),
        _record("e", "2018-05-01", tags="C--,C++"),
    ]
    after = build_archive(joined).topic_slugs

    assert {key: after[key] for key in before} == before
    assert len(set(after.values())) == len(after) == 7
    assert after["military bases"] == "military-bases"  # a tag that is its own slug
    assert after["c"] == "c"
    for key in ("c#", "c++", "c+", "c--"):  # the slug with a mark of the tag's text
        assert re.fullmatch(r"c-[0-9a-f]{6}", after[key])
    assert re.fullmatch(r"energetika-[0-9a-f]{6}", after["энергетика"])


def test_a_story_is_titled_by_its_story_title_or_its_earliest_report() -> None:
    archive = build_archive(
        [
            _record("late", "2020-01-02", story="s", title="Later", story_title="The Event"),
            _record("early", "2020-01-01", story="s", title="Earlier"),
            _record("alone", "2020-01-03", story="t", title="Only report"),
        ]
    )
    assert archive.stories["s"].title == "The Event"
    assert [a.slug for a in archive.stories["s"].articles] == ["early", "late"]
    assert archive.stories["t"].title == "Only report"


def test_related_reports_come_story_first_then_by_shared_countries_and_topics_then_time() -> None:
    target = _record("target", "2020-06-01", "UZ RU", "bases", story="s")
    others = [
        _record("same-story", "2001-01-01", story="s"),  # shares nothing else, but the story
        _record("three-shared-far", "2010-01-01", "UZ RU", "bases"),
        _record("three-shared-near", "2020-05-01", "UZ RU", "bases"),
        _record("two-shared", "2020-06-02", "UZ RU"),
        _record("one-shared-near", "2020-06-01", "UZ"),
        _record("one-shared-far", "2000-01-01", "RU"),
        _record("unrelated", "2020-06-01", "US"),
    ]
    archive = build_archive([target, *others])
    related = [a.slug for a in archive.related["articles/target.html"]]
    assert related == [
        "same-story",
        "three-shared-near",
        "three-shared-far",
        "two-shared",
        "one-shared-near",
    ]
    assert len(related) == RELATED_COUNT
    assert "unrelated" not in [
        a.slug for a in archive.related.get("articles/one-shared-near.html", ())
    ]


def test_in_a_country_shared_by_thousands_the_nearest_in_time_are_related() -> None:
    """Each article draws candidates only from its neighbours in time (enrich.RELATED_WINDOW)."""
    articles = [
        _record(f"a{i:05d}", (dt.date(1990, 1, 1) + dt.timedelta(days=i)).isoformat(), "RU")
        for i in range(4000)
    ]
    archive = build_archive(articles)
    middle = archive.related["articles/a02000.html"]
    assert {a.slug for a in middle} == {"a01999", "a02001", "a01998", "a02002", "a01997"}


def test_mentions_leave_out_the_countries_an_article_is_about() -> None:
    archive = build_archive(
        [
            _record("a", "2020-01-01", "UZ"),
            _record("b", "2021-01-01", "RU"),
            _record("c", "2022-01-01", "KZ"),
        ],
        {
            "articles/a.html": ["UZ", "KZ", "RU"],
            "articles/b.html": ["RU"],
            "articles/c.html": ["RU", "KZ"],
        },
    )
    assert archive.mentions == {"articles/a.html": ("KZ", "RU"), "articles/c.html": ("RU",)}
    assert {code: [a.slug for a in items] for code, items in archive.mentioned_in.items()} == {
        "KZ": ["a"],
        "RU": ["c", "a"],  # newest first
    }


def test_every_related_list_is_unique_and_excludes_the_article_itself() -> None:
    days = ["2020-01-01", "2020-01-02", "2021-03-04"]
    codes = ["UZ", "RU", "UZ RU"]
    articles = [
        _record(f"x{n}", day, code, "t")
        for n, (day, code) in enumerate(itertools.product(days, codes))
    ]
    archive = build_archive(articles)
    for url, related in archive.related.items():
        urls = [a.url for a in related]
        assert url not in urls and len(urls) == len(set(urls)) <= RELATED_COUNT


def _random_article(rng: random.Random, number: int) -> Article:
    article = _article(
        f"r{number}",
        f"20{rng.randint(10, 13)}-0{rng.randint(1, 3)}-1{rng.randint(0, 4)}",
        tuple(rng.sample(["UZ", "RU", "TJ", "KZ"], rng.randint(0, 3))),
        story=rng.choice([None, None, None, "s1", "s2", "s3"]),
    )
    return dataclasses.replace(
        article, tags=tuple(rng.sample(["Water", "water ", "energy", "trade"], rng.randint(0, 2)))
    )


def _edit(rng: random.Random, records: list[Article], number: int) -> None:
    """One change as an editor makes it: an article added, removed, or one field changed."""
    kind = rng.choice(["add", "add", "remove", "date", "countries", "tags", "story", "slug"])
    if kind == "add" or not records:
        records.append(_random_article(rng, number))
        return
    at = rng.randrange(len(records))
    if kind == "remove":
        records.pop(at)
        return
    other = _random_article(rng, number)
    changes: dict[str, dict[str, object]] = {
        "date": {"date": other.date},
        "countries": {"countries": other.countries},
        "tags": {"tags": other.tags},
        "story": {"story": other.story},
        "slug": {"slug": other.slug, "url": other.url},
    }
    records[at] = dataclasses.replace(records[at], **changes[kind])  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(40))
def test_related_lists_kept_from_the_last_build_equal_those_ranked_anew(seed: int) -> None:
    rng = random.Random(seed)
    records = [_random_article(rng, n) for n in range(rng.randint(20, 120))]
    memo = build_archive(records).related_memo
    number = 1000
    for _ in range(6):
        for _ in range(rng.choice([1, 1, 2, 5])):
            number += 1
            _edit(rng, records, number)
        kept = build_archive(records, related_memo=memo)
        fresh = build_archive(records)
        assert {u: [a.url for a in r] for u, r in kept.related.items()} == {
            u: [a.url for a in r] for u, r in fresh.related.items()
        }
        memo = kept.related_memo


def test_an_unchanged_archive_ranks_nothing_again(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    records = [_random_article(rng, n) for n in range(80)]
    first = build_archive(records)
    assert sum(len(r) for r in first.related.values()) > 0
    ranked: list[int] = []

    def looked_up(*args: object) -> int:
        ranked.append(1)
        return 0

    monkeypatch.setattr("newsgen.enrich.bisect.bisect_left", looked_up)

    again = build_archive(records, related_memo=first.related_memo)

    assert ranked == []  # no article's candidates were looked up
    assert again.related == first.related
