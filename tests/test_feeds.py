"""Feeds parse cleanly in feedparser, with stable ids; the sitemap is well-formed."""

from __future__ import annotations

from collections.abc import Callable

import feedparser
from lxml import etree

from newsgen.config import Config
from newsgen.pipeline import build

from .conftest import article_text


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


def test_sitemap_lists_every_page(site: Callable[..., Config]) -> None:
    config = site(
        {"a.md": article_text(countries="[UZ]")}, settings="base_url: https://example.org/\n"
    )
    build(config)
    output = config.path("output")
    tree = etree.parse(str(output / "sitemap.xml"))
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = tree.xpath("//s:url/s:loc/text()", namespaces=ns)
    pages = sorted(
        p.relative_to(output).as_posix() for p in output.rglob("*.html") if p.name != "404.html"
    )
    assert sorted(locs) == [f"https://example.org/{p}" for p in pages]
