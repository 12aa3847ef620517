"""The timeline, the listings and the small pages a reader trips on: checked on tiny sites."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable

from newsgen import urls
from newsgen.config import Config
from newsgen.countries import region_of
from newsgen.pipeline import render_all

from .conftest import article_text

ARTICLES = {
    "a.md": article_text("One", date="2003-02-10", countries="[UZ, RU]", language="de"),
    "b.md": article_text("Two", date="2003-02-20", countries="[UZ, RU, KZ]"),
    "c.md": article_text("Three", date="2003-07-01", countries="[UZ, KZ]"),
    "d.md": article_text("Four", date="2009-11-30", countries="[UZ, US]"),
    "e.md": article_text("Five", date="2010-01-05", countries="[DE]"),
}
YEARS = {2003: 3, 2009: 1, 2010: 1}


def _text(files: dict[str, bytes], url: str) -> str:
    return files[url].decode()


def test_the_timeline_shows_every_year_of_the_span_with_proportional_bars(
    site: Callable[..., Config],
) -> None:
    page = _text(render_all(site(ARTICLES)), urls.TIMELINE)
    shown = [int(y) for y in re.findall(r'<span class="chart-year">(\d+)</span>', page)]
    assert shown == list(range(2003, 2011))  # 2004 to 2008 are empty, and shown
    shares = re.findall(r'class="chart-bar" style="--share: ([\d.]+)"', page)
    top = max(YEARS.values())
    assert [float(s) for s in shares] == [
        round(YEARS.get(y, 0) / top, 3) for y in range(2003, 2011)
    ]
    # Each year with articles is a link to its year page; an empty one is not a link.
    assert 'href="2003.html"' in page and 'href="2004.html"' not in page
    assert '2004</span><span class="visually-hidden">: 0 articles</span>' in page
    assert '2003</span><span class="visually-hidden">: 3 articles</span>' in page
    # The countries lead to timelines of their own, made at build time.
    for code in ("UZ", "RU", "KZ", "US", "DE"):
        view = urls.relative(urls.TIMELINE, urls.country_timeline_url(code))
        assert f'href="{view}"' in page


def test_a_country_timeline_counts_only_that_country(site: Callable[..., Config]) -> None:
    files = render_all(site(ARTICLES))
    page = _text(files, urls.country_timeline_url("KZ"))
    assert "2 articles from 2003 to 2010" in page
    assert '2003</span><span class="visually-hidden">: 2 articles</span>' in page
    assert '2009</span><span class="visually-hidden">: 0 articles</span>' in page
    # Its bars lead to the year's heading on the country's page.
    assert f'href="../../countries/kz.html#{urls.year_anchor(2003)}"' in page


def test_year_pages_group_by_month_with_a_density_strip(site: Callable[..., Config]) -> None:
    page = _text(render_all(site(ARTICLES)), urls.year_url(2003))
    cells = re.findall(r'class="strip-bar" style="--share: ([\d.]+)"', page)
    assert [float(c) for c in cells] == [0, 1.0, 0, 0, 0, 0, 0.5] + [0] * 5
    assert 'href="2003.html#m2003-02"' in page and 'id="m2003-02"' in page
    # An entry in another language than the site's says which.
    assert re.search(r'lang="de">One</a>.*?German', page, re.S)


def test_country_pages_group_by_year_and_name_their_companions(
    site: Callable[..., Config],
) -> None:
    page = _text(render_all(site(ARTICLES)), urls.country_url("UZ"))
    headings = re.findall(r'<h2 id="y(\d{4})">', page)
    assert headings == ["2009", "2003"]  # newest first
    together = Counter(
        c for text in ARTICLES.values() if "UZ" in text for c in re.findall(r"\b[A-Z]{2}\b", text)
    )
    del together["UZ"]
    named = re.search(r'<p class="companions">(.*?)</p>', page, re.S)
    assert named is not None
    order = re.findall(r'href="(\w\w)\.html">', named.group(1))
    assert order == ["kz", "ru", "us"]  # two each for KZ and RU, then US; ties by name
    assert sorted(together.values(), reverse=True) == [2, 2, 1]
    assert 'class="chart chart-small"' in page


def test_the_countries_index_groups_by_region_with_counts_and_dates(
    site: Callable[..., Config],
) -> None:
    page = _text(render_all(site(ARTICLES)), urls.COUNTRIES)
    assert region_of("UZ") == region_of("KZ") == "143"
    sections = re.findall(r'<h2 id="r(\w+)">([^<]+)</h2>', page)
    assert sections == [
        ("143", "Central Asia"),
        ("151", "Eastern Europe"),
        ("021", "Northern America"),
        ("155", "Western Europe"),
    ]
    uzbekistan = re.search(r"Uzbekistan</a>(.*?)</li>", page, re.S)
    assert uzbekistan is not None
    assert "4 articles" in uzbekistan.group(1)
    assert '<time datetime="2003">2003</time>–<time datetime="2009">2009</time>' in (
        uzbekistan.group(1)
    )


def test_the_navigation_marks_the_current_section(site: Callable[..., Config]) -> None:
    files = render_all(site(ARTICLES))
    assert '<a href="index.html" aria-current="page">Timeline</a>' in _text(files, urls.TIMELINE)
    assert '<a href="index.html" aria-current="true">Timeline</a>' in _text(
        files, urls.year_url(2003)
    )
    article = _text(
        files, urls.permalink(urls.DEFAULT_PERMALINK, dt.date(2003, 2, 10), "one", "de")
    )
    assert "aria-current" not in article


def test_the_404_page_uses_the_sites_address_when_it_is_known(
    site: Callable[..., Config],
) -> None:
    relative = _text(render_all(site(ARTICLES)), urls.NOT_FOUND)
    assert 'href="static/style.css"' in relative
    config = site(ARTICLES, "base_url: https://example.org/archive\n")
    page = _text(render_all(config), urls.NOT_FOUND)
    links = re.findall(r'(?:href|src)="([^"]+)"', page)
    assert links and all(
        link.startswith("https://example.org/archive/") or link == "#main" for link in links
    ), links
    assert 'href="https://example.org/archive/static/style.css"' in page


def test_robots_names_the_sitemap_when_the_address_is_known(site: Callable[..., Config]) -> None:
    assert "Sitemap" not in _text(render_all(site(ARTICLES)), urls.ROBOTS)
    config = site(ARTICLES, "base_url: https://example.org/archive/\n")
    robots = _text(render_all(config), urls.ROBOTS)
    assert "User-agent: *" in robots
    assert "Sitemap: https://example.org/archive/sitemap.xml" in robots


def test_the_feed_link_leads_to_a_page_of_feeds(site: Callable[..., Config]) -> None:
    files = render_all(site(ARTICLES))
    assert '<a href="feeds/index.html">Feed</a>' in _text(files, urls.INDEX)
    page = _text(files, urls.FEEDS)
    assert 'href="all.atom.xml"' in page
    for code in ("UZ", "RU", "KZ", "US", "DE"):
        feed = urls.relative(urls.FEEDS, urls.country_feed_url(code))
        assert f'href="{feed}"' in page
    feed = _text(files, urls.SITE_FEED)
    assert feed.splitlines()[1] == ('<?xml-stylesheet type="text/css" href="../static/feed.css"?>')
    assert urls.static_url("feed.css") in files


def test_entries_in_another_language_say_which_everywhere(site: Callable[..., Config]) -> None:
    files = render_all(site(ARTICLES))
    german = urls.permalink(urls.DEFAULT_PERMALINK, dt.date(2003, 2, 10), "one", "de")
    following = urls.permalink(urls.DEFAULT_PERMALINK, dt.date(2003, 2, 20), "two", "en")
    assert re.search(r'rel="prev"[^>]*>← Earlier: <span lang="de">One</span> \(German\)</a>', (
        _text(files, following)
    ))  # fmt: skip
    assert _text(files, german).count("(German)") == 0  # its neighbours are in English


def test_on_a_phone_the_index_offers_a_way_to_the_countries_and_years(
    site: Callable[..., Config],
) -> None:
    files = render_all(site(ARTICLES))
    index = _text(files, urls.INDEX)
    assert '<p class="jump"><a href="#countries-heading">' in index
    assert index.index('class="jump"') < index.index('id="latest-heading"')
    css = files[urls.static_url("style.css")].decode()
    assert re.search(r"@media \(max-width: 40rem\) \{[^@]*\.jump \{\s*display: block;", css)
