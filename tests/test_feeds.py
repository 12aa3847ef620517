"""Feeds parse cleanly in feedparser, with stable ids; the sitemap is well-formed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from newsgen import deps, pages, pipeline
from newsgen.config import Config
from newsgen.model import Page
from newsgen.pipeline import build

from .conftest import article_text
from .sites import read_sitemaps

SCHEMAS = Path(__file__).parent / "schemas"


def test_feeds_parse_without_errors_and_keep_their_ids(site: Callable[..., Config]) -> None:
    config = site(
        {
            "a.md": article_text("Older", date="2020-01-01", countries="[UZ, RU]"),
            "b.md": article_text(
                "Newer & <better>", date="2021-01-01", countries="[UZ]", language="de"
            ),
        },
        settings="base_url: https://example.org/archive\n",
    )
    build(config)
    output = config.path("output")
    feed = feedparser.parse((output / "feeds" / "all.atom.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.title for e in feed.entries] == ["Newer & <better>", "Older"]
    assert (
        feed.entries[0].link == "https://example.org/archive/articles/2021/01/01-newer-better.html"
    )
    ids = [e.id for e in feed.entries]

    (config.path("source") / "c.md").write_text(
        article_text("Newest", date="2022-01-01", countries="[UZ]")
    )
    build(config)
    again = feedparser.parse((output / "feeds" / "all.atom.xml").read_bytes())
    assert [e.id for e in again.entries][1:] == ids

    country = feedparser.parse((output / "feeds" / "countries" / "ru.atom.xml").read_bytes())
    assert not country.bozo
    assert [e.title for e in country.entries] == ["Older"]


def test_feed_links_resolve_without_a_base_url(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text("Only", countries="[UZ]")})
    build(config)
    path = config.path("output") / "feeds" / "countries" / "uz.atom.xml"
    feed = feedparser.parse(
        path.read_bytes(),
        response_headers={
            "content-location": "http://localhost/archive/feeds/countries/uz.atom.xml",
            "content-type": "application/atom+xml",
        },
    )
    assert not feed.bozo
    assert feed.entries[0].link == "http://localhost/archive/articles/2021/10/14-only.html"


def _html_pages(output: Path) -> list[str]:
    return sorted(
        p.relative_to(output).as_posix() for p in output.rglob("*.html") if p.name != "404.html"
    )


def test_sitemap_lists_every_page(site: Callable[..., Config]) -> None:
    config = site(
        {"a.md": article_text(countries="[UZ]")}, settings="base_url: https://example.org/\n"
    )
    build(config)
    output = config.path("output")
    sitemaps = read_sitemaps(output, "https://example.org/")
    locs = [loc for listed in sitemaps.values() for loc in listed]
    assert sorted(locs) == [f"https://example.org/{p}" for p in _html_pages(output)]
    # Beside the index, at the root: a sitemap may list only what lies in its own folder.
    assert all("/" not in name for name in sitemaps)


def _dated(day: str, n: int) -> str:
    return article_text(f"Report {n}", date=day, countries="[UZ]")


def test_no_sitemap_lists_more_than_the_limit(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "SITEMAP_LIMIT", 3)
    days = ["2019-05-01", *(["2020-01-02"] * 4), "2020-02-03", "2020-02-04", "2021-07-08"]
    config = site(
        {f"a{n}.md": _dated(day, n) for n, day in enumerate(days)},
        settings="base_url: https://example.org/news/\n",
    )
    build(config)
    output = config.path("output")
    sitemaps = read_sitemaps(output, "https://example.org/news/")
    locs = [loc for listed in sitemaps.values() for loc in listed]
    assert sorted(locs) == [f"https://example.org/news/{p}" for p in _html_pages(output)]
    assert all(0 < len(listed) <= 3 for listed in sitemaps.values())
    # Articles by year; a year past the limit by month, a month past it in parts.
    by_year = Counter(day[:4] for day in days)
    for year, count in by_year.items():
        names = [name for name in sitemaps if name.startswith(f"sitemap-{year}")]
        assert sum(len(sitemaps[name]) for name in names) == count
        if count <= 3:
            assert names == [f"sitemap-{year}.xml"]
    assert {name for name in sitemaps if name.startswith("sitemap-2020")} == {
        "sitemap-2020-01-1.xml",
        "sitemap-2020-01-2.xml",
        "sitemap-2020-02.xml",
    }
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "siteindex.xsd")))
    assert schema.validate(etree.parse(str(output / "sitemap.xml"))), schema.error_log


def test_an_article_changes_its_years_sitemap_and_no_other_years(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site(
        {"a.md": _dated("2020-03-04", 1), "b.md": _dated("2021-05-06", 2)},
        settings="base_url: https://example.org/\n",
    )
    build(config)
    # Pages whose declared inputs did not change keep their fingerprint without reading
    # their context again: another year's sitemap is not even looked at.
    looked_at: list[str] = []
    real = deps.page_fingerprint

    def counted(page: Page, *args: Any) -> str:
        looked_at.append(page.url)
        return real(page, *args)

    monkeypatch.setattr(pipeline, "page_fingerprint", counted)
    (config.path("source") / "c.md").write_text(_dated("2020-08-09", 3))
    report = build(config)
    assert "sitemap-2020.xml" in looked_at and "sitemap-2021.xml" not in looked_at
    assert "sitemap-2020.xml" in report.written
    assert "sitemap-2021.xml" not in report.written
    output = config.path("output")
    listed = read_sitemaps(output, "https://example.org/")["sitemap-2020.xml"]
    assert len(listed) == 2
