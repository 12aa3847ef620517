"""The built archive as machines read it: valid HTML, feeds, sitemap, structured data."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from newsgen import urls
from newsgen.countries import country_name

from .sites import PROJECT, build_fixture, build_real, read_sitemaps, real_records

VNU = PROJECT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("published")
    return [build_real(base / "real"), build_fixture(base / "fixture")]


def _json_ld(page: Path) -> list[dict[str, object]]:
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', page.read_text(), re.S
    )
    return [json.loads(block) for block in blocks]


def test_the_nu_html_checker_finds_no_errors(sites: list[Path]) -> None:
    assert VNU.is_file(), "run scripts/setup: it installs vnu-jar with npm"
    java = shutil.which("java")
    assert java, "run scripts/setup: it installs Java"
    pages = [p for site in sites for p in site.rglob("*.html")]
    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--skip-non-html", *map(str, sites)],
        capture_output=True,
        text=True,
    )
    messages = json.loads(result.stderr)["messages"]
    errors = [m for m in messages if m.get("type") == "error" or m.get("subType") == "fatal"]
    assert errors == [], errors
    assert len(pages) > 30


def test_every_feed_parses_without_a_bozo_flag(sites: list[Path]) -> None:
    feeds = [p for site in sites for p in site.rglob("*.atom.xml")]
    assert len(feeds) > 10
    for path in feeds:
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.entries and all(e.id.startswith("urn:uuid:") for e in feed.entries)


def test_the_sitemap_is_valid_against_the_protocols_schema(sites: list[Path]) -> None:
    schemas = Path(__file__).parent / "schemas"
    index = etree.XMLSchema(etree.parse(str(schemas / "siteindex.xsd")))
    assert index.validate(etree.parse(str(sites[1] / "sitemap.xml"))), index.error_log
    schema = etree.XMLSchema(etree.parse(str(schemas / "sitemap.xsd")))
    base = etree.parse(str(sites[1] / "sitemap.xml")).findtext(".//{*}loc").rpartition("/")[0]
    listed = read_sitemaps(sites[1], base + "/")
    assert len(listed) >= 2
    for name in listed:
        assert schema.validate(etree.parse(str(sites[1] / name))), (name, schema.error_log)
    assert not (sites[0] / "sitemap.xml").exists()  # no base URL, so no full addresses to list


def test_article_pages_carry_news_article_data(sites: list[Path]) -> None:
    for article in real_records():
        (data,) = _json_ld(sites[0] / urls.article_url(article))
        assert data["@type"] == "NewsArticle"
        assert data["headline"] == article.title
        assert data["datePublished"] == (article.timestamp or article.date).isoformat()
        assert data["inLanguage"] == article.language
        assert data["publisher"] == {"@type": "Organization", "name": article.source}
        about = data.get("about", [])
        assert isinstance(about, list)
        assert [place["identifier"] for place in about] == list(article.countries)
        assert all(place["@type"] == "Country" and place["name"] for place in about)
        assert data.get("contentLocation", []) == about


def test_country_pages_carry_collection_page_data(sites: list[Path]) -> None:
    records = real_records()
    for code in {code for a in records for code in a.countries}:
        page = sites[0] / urls.country_url(code)
        (data,) = _json_ld(page)
        assert data["@type"] == "CollectionPage"
        assert data["about"] == {
            "@type": "Country",
            "identifier": code,
            "name": country_name(code, "en"),
        }
        parts = data["hasPart"]
        assert isinstance(parts, list)
        assert len(parts) == len([a for a in records if code in a.countries])
        for part in parts:
            assert (page.parent / str(part["url"])).resolve().is_file()


def test_pages_have_open_graph_tags(sites: list[Path]) -> None:
    for page in (
        sites[0] / "index.html",
        sites[0] / "countries" / "uz.html",
        sites[0] / "timeline" / "2025.html",
    ):
        text = page.read_text()
        for prop in ("og:title", "og:type", "og:site_name"):
            assert f'property="{prop}"' in text, (page, prop)
    article = (sites[1] / "articles/2012/04/18-peregovory.html").read_text()
    assert (
        '<meta property="og:url" '
        'content="https://archive.example.org/news/articles/2012/04/18-peregovory.html">' in article
    )


def test_hreflang_links_the_language_versions_of_a_story(sites: list[Path]) -> None:
    russian = (sites[1] / "articles/2012/04/18-peregovory.html").read_text()
    # The fixture site names its base_url: alternates are full addresses, as the canonical is.
    (canonical,) = re.findall(r'<link rel="canonical" href="([^"]+)">', russian)
    base = canonical.removesuffix("articles/2012/04/18-peregovory.html")
    german = f"{base}articles/2012/04/19-grenzgespraeche-gehen-weiter.html"
    assert f'<link rel="alternate" hreflang="de" href="{german}">' in russian
    assert f'<link rel="alternate" hreflang="ru" href="{canonical}">' in russian
