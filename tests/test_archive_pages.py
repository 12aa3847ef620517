"""The pages a researcher follows a subject by: stories, topics, countries mentioned, the
about page, and the open data behind them."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import frictionless
import lxml.html
import pytest

import newsgen.countries
from newsgen import cite, render, urls
from newsgen.config import Config
from newsgen.errors import BuildFailed
from newsgen.pipeline import build

from .conftest import article_text

STORY = {
    "en.md": article_text(
        "Russia and Uzbekistan sign a plan",
        date="2025-01-22",
        source="The Moscow Times",
        countries="[RU, UZ]",
        story="plan-2030",
        tags="[Military Cooperation]",
    ),
    "de.md": article_text(
        "Russland und Usbekistan vereinbaren einen Plan",
        date="2025-01-21",
        source="RT DE",
        language="de",
        countries="[Russland, Usbekistan]",
        story="plan-2030",
        story_title='"The 2030 plan"',
        tags="[military  cooperation, Zentralasien]",
    ),
    "other.md": article_text(
        "Kazakhstan holds talks",
        date="2024-05-01",
        source="Example Wire",
        countries="[KZ]",
        tags="[borders]",
        body="Talks in Astana. Uzbekistan and Kyrgyzstan sent observers.\n",
    ),
}


def _page_titled(output: Path, title: str) -> Path:
    """The article page whose headline is title."""
    (page,) = [
        p
        for p in (output / "articles").rglob("*.html")
        if lxml.html.parse(str(p)).findtext(".//h1") == title
    ]
    return page


def _text(page: Path) -> str:
    return " ".join(lxml.html.parse(str(page)).getroot().text_content().split())


@pytest.fixture
def output(site: Callable[..., Config]) -> Path:
    config = site(STORY)
    build(config)
    return config.path("output")


def test_a_story_has_a_page_with_its_reports_side_by_side(output: Path) -> None:
    page = output / urls.story_url("plan-2030")
    tree = lxml.html.parse(str(page))
    assert tree.findtext(".//h1") == "The 2030 plan"
    reports = [
        " ".join(li.text_content().split()) for li in tree.iterfind(".//li[@class='report']")
    ]
    assert len(reports) == 2
    assert reports[0].startswith("Russland und Usbekistan vereinbaren einen Plan Language German")
    assert "Publisher RT DE Date January 21, 2025" in reports[0]
    assert "Language English Publisher The Moscow Times Date January 22, 2025" in reports[1]


NEWEST_FIRST = "2 reports: The Moscow Times, in English; RT DE, in German"
OLDEST_FIRST = "2 reports: RT DE, in German; The Moscow Times, in English"


@pytest.mark.parametrize(
    ("url", "entry"),
    [
        ("index.html", NEWEST_FIRST),
        ("countries/uz.html", NEWEST_FIRST),
        (urls.topic_url("military-cooperation"), NEWEST_FIRST),
        ("timeline/2025.html", OLDEST_FIRST),
    ],
)
def test_listings_show_a_storys_reports_as_one_entry(output: Path, url: str, entry: str) -> None:
    tree = lxml.html.parse(str(output / url))
    items = [" ".join(li.text_content().split()) for li in tree.iterfind(".//main//ol/li")]
    assert len([item for item in items if entry in item]) == 1
    assert not [item for item in items if "Plan" in item and entry not in item]


def test_other_language_versions_stand_beside_the_headline(output: Path) -> None:
    english = _page_titled(output, "Russia and Uzbekistan sign a plan")
    german = _page_titled(output, "Russland und Usbekistan vereinbaren einen Plan")
    versions = lxml.html.parse(str(english)).find(".//header[@class='article-header']/p")
    assert versions is not None and versions.get("class") == "versions"
    assert " ".join(versions.text_content().split()) == "Also in German (RT DE)"
    link = versions.find("a")
    assert link is not None and link.get("hreflang") == "de"
    assert (english.parent / str(link.get("href"))).resolve() == german.resolve()


def test_a_page_per_topic_and_an_index_with_counts(output: Path) -> None:
    index = _text(output / "topics" / "index.html")
    assert "3 topics in the archive." in index
    # two spellings, one topic, named as the earliest article writes it
    assert "military cooperation 2 articles" in index
    assert "borders 1 article" in index and "Zentralasien 1 article" in index
    for slug in ("military-cooperation", "borders", "zentralasien"):
        assert (output / urls.topic_url(slug)).is_file()
    page = _page_titled(output, "Russland und Usbekistan vereinbaren einen Plan")
    german = lxml.html.parse(str(page))
    topic_links = {
        a.text_content(): str(a.get("href"))
        for a in german.iter("a")
        if "topics/" in (a.get("href") or "")
    }
    target = page.parent / topic_links["military  cooperation"]
    assert target.resolve() == (output / urls.topic_url("military-cooperation")).resolve()


def test_related_reports_end_every_article_page(output: Path) -> None:
    lonely = _page_titled(output, "Kazakhstan holds talks")
    for page in (output / "articles").rglob("*.html"):
        tree = lxml.html.parse(str(page))
        if page == lonely:
            assert tree.find(".//aside[@class='related']") is None  # it shares nothing
            continue
        related = tree.find(".//aside[@class='related']")
        assert related is not None and "same story" in related.text_content()


def test_countries_the_text_mentions_are_shown_and_listed_on_country_pages(output: Path) -> None:
    page = _page_titled(output, "Kazakhstan holds talks")
    article = _text(page)
    assert "Also mentioned Uzbekistan, Kyrgyzstan" in article
    uzbekistan = lxml.html.parse(str(output / "countries" / "uz.html"))
    sections = uzbekistan.findall(".//main/section")
    # The last section, after the articles about Uzbekistan, and not among them.
    assert sections[-1].findtext("h2") == "Also mentioned in"
    assert "Kazakhstan holds talks" in sections[-1].text_content()
    for own in sections[:-1]:
        assert "Kazakhstan holds talks" not in own.text_content()
    # Kyrgyzstan has no page (no article is about it): named, not linked.
    tree = lxml.html.parse(str(page))
    assert not [a for a in tree.iter("a") if str(a.get("href")).endswith("countries/kg.html")]


def test_mentions_are_found_once_per_text(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site(STORY)
    build(config)
    calls: list[str] = []
    original = newsgen.countries.find_mentions

    def counting(text: str, language: str, year: int | None = None) -> list[str]:
        calls.append(text)
        return original(text, language, year)

    monkeypatch.setattr(newsgen.countries, "find_mentions", counting)
    (config.path("source") / "other.md").write_text(
        STORY["other.md"].replace("Talks in Astana.", "Talks in Almaty.")
    )
    build(config)
    assert calls == ["Talks in Almaty. Uzbekistan and Kyrgyzstan sent observers.\n"]
    shutil.rmtree(config.path("cache"))
    build(config, full=True)
    assert len(calls) == 1 + len(STORY)  # without the cache, every text is read again


def _year_of(text: str) -> int:
    """The year of an article file's text, from its front matter."""
    found = re.search(r"^date: (\d{4})", text, re.M)
    assert found is not None
    return int(found[1])


def _years(output: Path) -> set[int]:
    """The years the fixture's articles (the ones built into output) were published in."""
    return {_year_of(text) for text in STORY.values()}


def test_open_data_holds_every_record_and_validates_as_a_data_package(output: Path) -> None:
    years = _years(output)
    assert len(years) > 1  # the fixture spans years, so the files are really split
    records = []
    for year in sorted(years):
        in_year = json.loads((output / urls.data_url("json", year)).read_text(encoding="utf-8"))
        # A year's file holds that year's records and no other.
        assert in_year and {r["date"][:4] for r in in_year} == {f"{year:04d}"}
        text = (output / urls.data_url("csv", year)).read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["title"] for r in rows] == [r["title"] for r in in_year]
        assert rows[0]["tags"] == "; ".join(in_year[0]["tags"])
        records += in_year
    by_title = {r["title"]: r for r in records}
    assert len(records) == len(STORY)
    german = by_title["Russland und Usbekistan vereinbaren einen Plan"]
    assert german["countries"] == ["RU", "UZ"] and german["language"] == "de"
    assert german["story"] == "plan-2030" and german["story_title"] == "The 2030 plan"
    assert german["file"] == "articles/de.md"
    page = _page_titled(output, german["title"])
    assert german["page"] == page.relative_to(output).as_posix()
    assert len({r["id"] for r in records}) == len(records)
    assert by_title["Kazakhstan holds talks"]["mentions"] == ["UZ", "KG"]

    # One package describes every year's files, each a resource; the CSV ones share a schema.
    descriptor = json.loads((output / urls.DATAPACKAGE).read_text(encoding="utf-8"))
    paths = {r["path"] for r in descriptor["resources"]}
    data = output / urls.DATAPACKAGE
    expected = {urls.data_url(f, y) for f in urls.DATA_FORMATS for y in years}
    assert {(data.parent / p).relative_to(output).as_posix() for p in paths} == expected
    tabular = [r for r in descriptor["resources"] if r["format"] == "csv"]
    assert len(tabular) == len(years) and len({r["schema"] for r in tabular}) == 1
    report = frictionless.validate(str(data))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert len(report.tasks) == len(descriptor["resources"])
    cli = str(Path(sys.executable).parent / "frictionless")
    done = subprocess.run(
        [cli, "validate", "datapackage.json"],
        cwd=output / "data",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    index = lxml.html.parse(str(output / "index.html"))
    hrefs = {a.get("href") for a in index.iter("a")}
    assert {urls.DOWNLOADS, urls.DATAPACKAGE} <= hrefs


def test_a_broken_year_file_fails_the_package(output: Path) -> None:
    # The shared schema is really applied to each year's file: a wrong date in one fails it.
    year = min(_years(output))
    path = output / urls.data_url("csv", year)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[1][rows[0].index("date")] = "not a date"
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    report = frictionless.validate(str(output / urls.DATAPACKAGE))
    assert not report.valid
    (failed,) = [task for task in report.tasks if not task.valid]
    assert failed.name == f"articles-{year:04d}"


def _data_files(output: Path) -> dict[str, bytes]:
    """Every open data and citation file of the built site, by address."""
    return {
        p.relative_to(output).as_posix(): p.read_bytes()
        for p in (output / "data").rglob("*")
        if p.is_file()
    }


def test_editing_one_article_re_makes_only_its_years_data(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site(STORY)
    build(config)
    output = config.path("output")
    before = _data_files(output)
    # Which data and citation files are made (by format and year), whatever process runs them.
    made: list[tuple[str, tuple[int, ...]]] = []
    for name, make in list(render.GENERATED.items()):

        def recording(context: Any, config: Config, name: str = name, make: Any = make) -> bytes:
            years = tuple(sorted({a.year for a in context.get("articles", ())}))
            made.append((name, years))
            return bytes(make(context, config))

        monkeypatch.setitem(render.GENERATED, name, recording)
    edited = config.path("source") / "other.md"
    year = _year_of(edited.read_text())
    edited.write_text(edited.read_text().replace("Kazakhstan holds talks", "Kazakhstan talks"))

    report = build(config, workers=1)

    formats = [f"data:{f}" for f in urls.DATA_FORMATS] + [f"cite:{f}" for f in cite.FORMATS]
    assert sorted(made) == sorted((name, (year,)) for name in formats)
    year_files = {urls.data_url(f, year) for f in urls.DATA_FORMATS} | {
        urls.citation_url(f, year) for f in urls.CITATION_FORMATS
    }
    assert {url for url in report.written if url.startswith("data/")} == year_files
    after = _data_files(output)
    assert after.keys() == before.keys()
    assert {url for url in after if after[url] != before[url]} == year_files
    assert b"Kazakhstan talks" in after[urls.data_url("csv", year)]


def test_a_new_year_adds_its_files_and_a_line_to_the_package(site: Callable[..., Config]) -> None:
    config = site(STORY)
    build(config)
    output = config.path("output")
    before = _data_files(output)
    years = _years(output)
    new_year = min(years) - 3
    (config.path("source") / "old.md").write_text(
        article_text("An old report", date=f"{new_year:04d}-06-01", countries="[KZ]")
    )
    report = build(config)
    new_files = {urls.data_url(f, new_year) for f in urls.DATA_FORMATS} | {
        urls.citation_url(f, new_year) for f in urls.CITATION_FORMATS
    }
    assert {url for url in report.written if url.startswith("data/")} == new_files | {
        urls.DATAPACKAGE
    }
    after = _data_files(output)
    # The other years' files are byte for byte what they were.
    assert {url: after[url] for url in before if url != urls.DATAPACKAGE} == {
        url: data for url, data in before.items() if url != urls.DATAPACKAGE
    }
    about = lxml.html.parse(str(output / urls.ABOUT))
    assert {urls.data_url("csv", new_year), urls.citation_url("ris", new_year)} <= {
        a.get("href") for a in about.iter("a")
    }
    report = frictionless.validate(str(output / urls.DATAPACKAGE))
    assert report.valid and len(report.tasks) == 2 * (len(years) + 1)


ABOUT = "---\ntitle: About the Test Archive\n---\nWhat this archive holds, and *how*.\n"


def test_about_md_becomes_a_page_linked_from_every_page(site: Callable[..., Config]) -> None:
    config = site(STORY)
    (config.root / "about.md").write_text(ABOUT)
    build(config)
    output = config.path("output")
    about = lxml.html.parse(str(output / "about.html"))
    assert about.findtext(".//h1") == "About the Test Archive"
    assert "<em>how</em>" in (output / "about.html").read_text()
    links = {a.get("href") for a in about.iter("a")}
    for year in _years(output):
        assert {urls.data_url(f, year) for f in urls.DATA_FORMATS} <= links
        assert {urls.citation_url(f, year) for f in urls.CITATION_FORMATS} <= links
    assert {urls.DATAPACKAGE, urls.DATA_SCHEMA} <= links
    for page in output.rglob("*.html"):
        nav = lxml.html.parse(str(page)).find(".//nav[@aria-label='Main']")
        assert "About" in [a.text_content() for a in nav.iter("a")], page


def test_an_edited_about_md_is_rebuilt(site: Callable[..., Config]) -> None:
    config = site(STORY)
    build(config)
    about = config.path("output") / "about.html"
    assert lxml.html.parse(str(about)).findtext(".//h1") == "About this archive"
    (config.root / "about.md").write_text(ABOUT)
    build(config)
    assert lxml.html.parse(str(about)).findtext(".//h1") == "About the Test Archive"


def test_an_about_md_without_a_title_is_an_error_naming_it(site: Callable[..., Config]) -> None:
    config = site(STORY)
    (config.root / "about.md").write_text("---\ntitel: About\n---\nText.\n")
    with pytest.raises(BuildFailed) as caught:
        build(config)
    (error,) = caught.value.errors
    assert error.path == config.root / "about.md"
    assert "'title'" in error.message


def test_a_topic_with_many_articles_gets_a_page_per_year(site: Callable[..., Config]) -> None:
    articles = {
        f"a{i}.md": article_text(f"Report {i}", date=f"{2019 + i % 2}-0{i + 1}-01", tags="[Bases]")
        for i in range(5)
    }
    config = site(articles, settings="country_page_size: 3\nlatest_count: 2\n")
    build(config)
    output = config.path("output")
    main = lxml.html.parse(str(output / urls.topic_url("bases")))
    assert len(main.findall(".//li[@class='entry']")) == 2
    for year, count in ((2019, 3), (2020, 2)):
        page = lxml.html.parse(str(output / urls.topic_year_url("bases", year)))
        assert page.findtext(".//h1") == f"Bases, {year}"
        assert len(page.findall(".//li[@class='entry']")) == count
        assert main.find(f".//a[@href='bases/{year}.html']") is not None
