"""Citations: each article's BibTeX, RIS and CSL-JSON, and the whole archive's, read back by
the libraries reference managers use, say what the front matter says."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import pytest
import rispy
from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares import LatexDecodingMiddleware
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON

from newsgen import urls
from newsgen.config import Config
from newsgen.pipeline import build

from .conftest import article_text

BASE = "https://archive.example.org/news/"
ARTICLES: dict[str, dict[str, str]] = {
    "a.md": {
        "title": "Tajikistan says Russia is main partner, rejects foreign offers",
        "date": "2012-04-17",
        "source": "Reuters",
        "via": "a blog's repost",
        "via_url": "https://someblog.wordpress.com/2012/04/23/report/",
        "retrieved": "2024-05-02",
        "tags": "[military bases, NATO withdrawal]",
    },
    "b.md": {
        "title": "Russland und Usbekistan vereinbaren Kooperation: 50 % mehr & {neu}",
        "date": "2025-01-21",
        "source": "RT DE",
        "language": "de",
        "author": "Anna Schmidt",
    },
    "c.md": {
        "title": "Uzbekistan does not want US mission, Russia says",
        "date": "2021-10-14",
        "source": "World Bulletin",
        "source_url": "https://www.worldbulletin.example/asia/h210579.html",
    },
}


def _yaml(value: str) -> str:
    return value if value.startswith("[") else json.dumps(value, ensure_ascii=False)


@pytest.fixture
def built(site: Callable[..., Config]) -> tuple[Path, dict[str, dict[str, str]]]:
    """The built site, and each article page's address → the fields its file was given."""
    files = {
        name: article_text(**{k: _yaml(v) for k, v in fields.items()})
        for name, fields in ARTICLES.items()
    }
    config = site(files, settings=f"base_url: {BASE}\ntitle: Test Archive\n")
    build(config)
    output = config.path("output")
    # Each article's page: the page whose <h1> is its title.
    pages: dict[str, dict[str, str]] = {}
    for page in (output / "articles").rglob("*.html"):
        heading = lxml.html.parse(str(page)).findtext(".//h1")
        fields = next(f for f in ARTICLES.values() if f["title"] == heading)
        pages[page.relative_to(output).as_posix()] = fields
    assert len(pages) == len(ARTICLES)
    return output, pages


class _Download:
    """An article's citation, as its page offers it for download (a data: link)."""

    def __init__(self, href: str, name: str) -> None:
        header, _, payload = href.partition(",")
        assert header.startswith("data:") and header.endswith(";charset=utf-8"), header
        self.media_type = header.removeprefix("data:").removesuffix(";charset=utf-8")
        self.name = name
        self.text = unquote(payload)

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.text


def _file(output: Path, page: str, ending: str) -> _Download:
    """The citation an article's page offers in a format (by the ending of its file name)."""
    tree = lxml.html.parse(str(output / page))
    (link,) = [a for a in tree.iter("a") if a.get("download", "").endswith(ending)]
    return _Download(link.get("href"), link.get("download"))


def _key(output: Path, page: str) -> str:
    """The record's identifier, as its CSL-JSON file gives it (the other formats must agree)."""
    return str(json.loads(_file(output, page, ".csl.json").read_text())[0]["id"])


def _date(fields: dict[str, str], key: str = "date") -> dt.date:
    return dt.date.fromisoformat(fields[key])


def _by_year(output: Path, articles: dict[str, dict[str, str]]) -> dict[int, list[str]]:
    """Each year of the fixture's articles → its records' keys, sorted."""
    years: dict[int, list[str]] = {}
    for page, fields in articles.items():
        years.setdefault(_date(fields).year, []).append(_key(output, page))
    return {year: sorted(keys) for year, keys in years.items()}


def _year_file(output: Path, format_name: str, year: int) -> str:
    """The text of one year's citation file in a format, as the about page links it."""
    about = lxml.html.parse(str(output / urls.ABOUT))
    url = urls.citation_url(format_name, year)
    assert url in {a.get("href") for a in about.iter("a")}
    return (output / url).read_text(encoding="utf-8")


def test_bibtex_reads_back_with_bibtexparser(
    built: tuple[Path, dict[str, dict[str, str]]],
) -> None:
    output, articles = built
    for page, fields in articles.items():
        text = _file(output, page, ".bib").read_text(encoding="utf-8")
        library = parse_string(text, append_middleware=[LatexDecodingMiddleware()])
        assert library.failed_blocks == []
        (entry,) = library.entries
        values = {f.key: f.value for f in entry.fields}
        assert entry.key == _key(output, page)
        assert entry.entry_type == "article"
        assert values["title"] == fields["title"]
        assert values["journal"] == fields["source"]
        day = _date(fields)
        assert (values["year"], values["month"], values["day"]) == tuple(
            str(n) for n in (day.year, day.month, day.day)
        )
        assert values["date"] == fields["date"]
        assert values.get("url") == fields.get("source_url")
        assert values.get("urldate") == fields.get("retrieved")
        assert values.get("author") == fields.get("author")
        if "via_url" in fields:
            # Where the copy came from is a note, never the publisher's address.
            assert fields["via_url"] in values["note"]
        assert f"{BASE}{page}" in values["note"]
    keys = []
    for year, in_year in _by_year(output, articles).items():
        whole = parse_string(
            _year_file(output, "bibtex", year), append_middleware=[LatexDecodingMiddleware()]
        )
        assert whole.failed_blocks == []
        assert sorted(e.key for e in whole.entries) == in_year
        assert {e.fields_dict["year"].value for e in whole.entries} == {str(year)}
        keys += in_year
    assert sorted(keys) == sorted(_key(output, page) for page in articles)
    assert len(set(keys)) == len(keys)


def test_ris_reads_back_with_rispy(built: tuple[Path, dict[str, dict[str, str]]]) -> None:
    output, articles = built
    for page, fields in articles.items():
        (record,) = rispy.loads(_file(output, page, ".ris").read_text(encoding="utf-8"))
        assert record["type_of_reference"] == "NEWS"
        assert record["id"] == _key(output, page)
        assert record["title"] == fields["title"]
        assert record["secondary_title"] == fields["source"]
        assert record["publisher"] == fields["source"]
        assert record["date"] == _date(fields).strftime("%Y/%m/%d")
        assert record.get("urls") == ([fields["source_url"]] if "source_url" in fields else None)
        assert record.get("authors") == ([fields["author"]] if "author" in fields else None)
        if "retrieved" in fields:
            assert record["access_date"] == _date(fields, "retrieved").strftime("%Y/%m/%d")
    for year, in_year in _by_year(output, articles).items():
        whole = rispy.loads(_year_file(output, "ris", year))
        assert sorted(r["id"] for r in whole) == in_year


def test_csl_json_renders_in_a_standard_style_with_citeproc(
    built: tuple[Path, dict[str, dict[str, str]]],
) -> None:
    output, articles = built
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    for page, fields in articles.items():
        items = json.loads(_file(output, page, ".csl.json").read_text())
        key = items[0]["id"]
        assert items[0]["type"] == "article-newspaper"
        assert items[0]["title"] == fields["title"]
        assert items[0]["container-title"] == fields["source"]
        source = CiteProcJSON(items)
        bibliography = CitationStylesBibliography(style, source, formatter.plain)
        bibliography.register(Citation([CitationItem(key)]))
        (rendered,) = [str(item) for item in bibliography.bibliography()]
        day = _date(fields)
        assert f"“{fields['title']}”" in rendered
        assert fields["source"] in rendered
        assert str(day.year) in rendered and f"{day.day} {day.strftime('%B')}" in rendered
        if "source_url" in fields:
            assert fields["source_url"] in rendered
        if "via_url" in fields:
            assert fields["via_url"] not in rendered  # a copy is not the publisher's address
    for year, in_year in _by_year(output, articles).items():
        whole = json.loads(_year_file(output, "csl-json", year))
        assert sorted(item["id"] for item in whole) == in_year
        source = CiteProcJSON(whole)
        bibliography = CitationStylesBibliography(style, source, formatter.plain)
        bibliography.register(Citation([CitationItem(key) for key in in_year]))
        assert len(bibliography.bibliography()) == len(in_year)


def test_each_article_page_offers_a_citation_and_citation_meta_tags(
    built: tuple[Path, dict[str, dict[str, str]]],
) -> None:
    output, articles = built
    for page, fields in articles.items():
        tree = lxml.html.parse(str(output / page))
        meta = {m.get("name"): m.get("content") for m in tree.iter("meta") if m.get("name")}
        assert meta["citation_title"] == fields["title"]
        assert meta["citation_publication_date"] == _date(fields).strftime("%Y/%m/%d")
        assert meta["citation_publisher"] == fields["source"]
        assert meta["citation_journal_title"] == fields["source"]
        assert meta["citation_language"] == fields.get("language", "en")
        assert meta["citation_public_url"] == f"{BASE}{page}"
        citation = " ".join(tree.findtext(".//p[@class='citation']").split())
        assert f"“{fields['title']}”. {fields['source']}, {fields['date']}." in citation
        assert f"{BASE}{page}" in citation
        if "source_url" not in fields:
            assert "Original address not known." in citation
        downloads = {a.text_content(): a.get("download") for a in tree.iter("a")}
        key = _key(output, page)
        assert downloads["BibTeX"] == f"{key}.bib"
        assert downloads["RIS"] == f"{key}.ris"
        assert downloads["CSL-JSON"] == f"{key}.csl.json"
        assert _file(output, page, ".ris").media_type == "application/x-research-info-systems"


@pytest.mark.parametrize("date", ["0999-03-04", "1850-12-31", "2024-02-29"])
def test_a_year_is_cited_in_four_digits_however_old(site: Callable[..., Config], date: str) -> None:
    config = site({"a.md": article_text("An old report", date=date, retrieved="0999-03-05")})
    build(config)
    year = date[:4]
    (ris,) = rispy.loads(
        (config.path("output") / urls.citation_url("ris", int(year))).read_text(encoding="utf-8")
    )
    assert ris["year"] == year and ris["date"] == date.replace("-", "/")
    library = parse_string(
        (config.path("output") / urls.citation_url("bibtex", int(year))).read_text("utf-8")
    )
    (entry,) = library.entries
    assert entry.fields_dict["year"].value == year


def test_several_authors_are_each_cited_whole(site: Callable[..., Config]) -> None:
    names = ["Jane Doe", "Office for the Coordination of Humanitarian Affairs", "Мария Иванова"]
    text = article_text("Three hands", author="[" + ", ".join(f'"{n}"' for n in names) + "]")
    config = site({"a.md": text, "b.md": article_text("One hand", author="Max Müller")})
    build(config)
    out = config.path("output")

    refs = {
        r["title"]: r
        for r in rispy.loads((out / urls.citation_url("ris", 2021)).read_text(encoding="utf-8"))
    }
    assert refs["Three hands"]["authors"] == names
    assert refs["One hand"]["authors"] == ["Max Müller"]
    library = parse_string(
        (out / urls.citation_url("bibtex", 2021)).read_text("utf-8"),
        append_middleware=[LatexDecodingMiddleware()],
    )
    by_title = {e.fields_dict["title"].value.strip("{}"): e for e in library.entries}
    bib_names = by_title["Three hands"].fields_dict["author"].value.split(" and ")
    assert [n.strip("{}") for n in bib_names] == names  # each braced: never split up
    csl = json.loads((out / urls.citation_url("csl-json", 2021)).read_text("utf-8"))
    (three,) = [item for item in csl if item["title"] == "Three hands"]
    assert three["author"] == [{"literal": n} for n in names]
    page = next(p for p in out.rglob("*three-hands.html"))
    meta = lxml.html.parse(str(page)).getroot().xpath('//meta[@name="citation_author"]/@content')
    assert meta == names
