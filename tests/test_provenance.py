"""Provenance: where a text comes from is data, shown on every article page, and no link is
labelled with one publisher while it leads to another's site."""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
import yaml

import newsgen.outlets
from newsgen.config import Config
from newsgen.errors import BuildFailed
from newsgen.model import Article
from newsgen.outlets import Outlet, outlet_of_url, outlets
from newsgen.pipeline import build, load_archive

from .conftest import article_text
from .sites import PROJECT, build_real

# Publishers whose copies were found elsewhere, under names that must not label those links.
FIXTURE = {
    "repost.md": article_text(
        "Reposted report",
        source="Reuters",
        via="a blog's repost",
        via_url="https://someblog.wordpress.com/2012/04/23/report/",
        retrieved="2024-05-02",
        notes='"**Date.** The repost is dated; the report says *Tuesday*. <script>alert(1)</script>"',
    ),
    "aggregated.md": article_text(
        "Aggregated summary",
        source="The Moscow Times",
        via="an aggregator's summary",
        via_url="https://beyondmsn.example/?p=1",
        archived_url="https://web.archive.org/web/2025/https://beyondmsn.example/?p=1",
    ),
    "own-site.md": article_text(
        "On the publisher's own site",
        source="World Bulletin",
        source_url="https://www.worldbulletin.example/asia/report.html",
        via="a press digest",  # a copy with no known address
    ),
    "both.md": article_text(
        "Original and copy both known",
        source="Anadolu Agency",
        source_url="https://www.aa.example/en/report",
        via="World Bulletin",
        via_url="https://worldbulletin.example/report",
    ),
    "nothing-known.md": article_text("Nothing known", source="RT DE"),
}


def _external_links(page: Path) -> list[tuple[str, str]]:
    tree = lxml.html.parse(str(page))
    return [
        (a.get("href"), a.text_content().strip())
        for a in tree.iter("a")
        if (a.get("href") or "").startswith(("http://", "https://"))
    ]


def _site_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def _check_every_link(output: Path, publishers: set[str]) -> int:
    """Every outside link in the archive is labelled with its own site, never a publisher."""
    checked = 0
    for page in sorted(output.rglob("*.html")):
        for href, text in _external_links(page):
            assert text == _site_of(href), (page.name, href, text)
            assert text not in publishers, (page.name, href, text)
            checked += 1
    return checked


def _page_titled(output: Path, title: str) -> Path:
    """The article page whose headline is title."""
    (page,) = [
        p
        for p in (output / "articles").rglob("*.html")
        if lxml.html.parse(str(p)).findtext(".//h1") == title
    ]
    return page


def _front_matter(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
    assert isinstance(data, dict)
    return data


def test_no_link_is_labelled_with_one_publisher_and_leads_to_another(
    site: Callable[..., Config],
) -> None:
    config = site(FIXTURE)
    build(config)
    output = config.path("output")
    checked = _check_every_link(output, {"Reuters", "The Moscow Times", "World Bulletin"})
    # source_url, via_url and archived_url, each once on its article's page
    assert checked == 6


def test_the_provenance_block_says_what_is_known_and_what_is_not(
    site: Callable[..., Config],
) -> None:
    config = site(FIXTURE)
    build(config)
    output = config.path("output")

    def block(title: str) -> str:
        tree = lxml.html.parse(str(_page_titled(output, title)))
        (section,) = tree.xpath("//section[@class='provenance']")
        return " ".join(section.text_content().split())

    repost = block("Reposted report")
    assert (
        "Published by Reuters on October 14, 2021; the original's address is not known." in repost
    )
    assert "Text from a blog's repost (someblog.wordpress.com). Retrieved on May 2, 2024." in repost
    aggregated = block("Aggregated summary")
    assert "Text from an aggregator's summary (beyondmsn.example)" in aggregated
    assert "A snapshot of the page: web.archive.org." in aggregated
    assert "When it was taken is not recorded." in aggregated
    own = block("On the publisher's own site")
    assert "Published by World Bulletin (worldbulletin.example) on October 14, 2021." in own
    assert "Text from a press digest (its address is not known)" in own
    both = block("Original and copy both known")
    assert "Published by Anadolu Agency (aa.example)" in both
    assert "Text from World Bulletin (worldbulletin.example)" in both
    nothing = block("Nothing known")
    assert "the original's address is not known" in nothing
    assert "Where this copy of the text was found is not recorded" in nothing
    assert "No notes were recorded." in nothing


def test_notes_are_markdown_and_sanitised_like_bodies(site: Callable[..., Config]) -> None:
    config = site(FIXTURE)
    build(config)
    page = _page_titled(config.path("output"), "Reposted report").read_text()
    notes = page.split('<div class="notes">', 1)[1].split("</div>", 1)[0]
    assert "<strong>Date.</strong>" in notes and "<em>Tuesday</em>" in notes
    assert "<script>" not in notes
    assert "How this record was made" in page


def test_notes_are_rendered_once_and_then_come_from_the_cache(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site(
        {"repost.md": FIXTURE["repost.md"], "other.md": article_text("Other", slug="other")}
    )
    build(config)
    import newsgen.render

    rendered: list[str] = []
    original = newsgen.render.render_markdown

    def counting(text: str, allow_raw_html: bool, id_prefix: str = "body") -> object:
        rendered.append(text)
        return original(text, allow_raw_html, id_prefix)

    monkeypatch.setattr(newsgen.render, "render_markdown", counting)
    page = _page_titled(config.path("output"), "Reposted report")
    before = page.read_bytes()
    # A new headline for its neighbour re-renders the page with notes, whose text is unchanged.
    (config.path("source") / "other.md").write_text(article_text("Other, retitled", slug="other"))
    build(config)
    assert page.read_bytes() != before
    assert b"Other, retitled" in page.read_bytes()
    assert rendered == []  # bodies and notes alike came from the cache


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("via_url", "beyondmsn.com/?p=1", "'via_url' must be a web address"),
        ("retrieved", "2024-13-01", "'retrieved' is not a real date"),
        ("archived_url", "ftp://example.org/x", "'archived_url' must be a web address"),
    ],
)
def test_a_bad_provenance_field_is_an_error_with_file_and_line(
    site: Callable[..., Config], field: str, value: str, message: str
) -> None:
    config = site({"a.md": article_text(**{field: value})})
    with pytest.raises(BuildFailed) as caught:
        build(config)
    (error,) = caught.value.errors
    assert error.path is not None and error.path.name == "a.md"
    assert error.line == 5  # after ---, title, date and source
    assert message in error.message


def test_the_real_archive_labels_every_link_with_its_site(tmp_path: Path) -> None:
    """A smoke test over articles/: expectations come from each file's own fields."""
    output = build_real(tmp_path / "real")
    files = sorted((PROJECT / "articles").glob("*.md"))
    fields = [_front_matter(path) for path in files]
    publishers = {str(f["source"]) for f in fields}
    _check_every_link(output, publishers)
    for data in fields:
        page = _page_titled(output, str(data["title"]))
        links = dict(_external_links(page))
        for key in ("source_url", "via_url", "archived_url"):
            if key in data:
                assert links.get(str(data[key])) == _site_of(str(data[key])), (page.name, key)
        if "source_url" not in data:
            assert "the original's address is not known" in page.read_text(encoding="utf-8")
        assert ("No notes were recorded." in page.read_text(encoding="utf-8")) == (
            "notes" not in data
        )


def _two_outlets() -> tuple[Outlet, Outlet]:
    """Two publishers of the table of outlets, each with a site of its own."""
    first, second = [outlet for outlet in outlets() if outlet.domains][:2]
    return first, second


def _misattributed_cases() -> list[tuple[dict[str, str], str]]:
    one, other = _two_outlets()
    elsewhere = f"https://news.{other.domains[0]}/2021/10/14/report"
    return [
        # The publisher's name over a link to another publisher's copy.
        (
            {"source": one.name, "source_url": elsewhere},
            f"'source_url' is on news.{other.domains[0]}, a site of {other.name}, "
            f"not of {one.name}",
        ),
        # A copy credited to one publisher the table knows, leading to another's site.
        (
            {"source": one.name, "via": one.name, "via_url": elsewhere},
            f"'via_url' is on news.{other.domains[0]}, a site of {other.name}, not of {one.name}",
        ),
        # A snapshot is not the original.
        (
            {
                "source": one.name,
                "source_url": f"https://web.archive.org/web/2021/https://{one.domains[0]}/x",
            },
            "'source_url' is a web archive's copy (web.archive.org), not the original",
        ),
    ]


@pytest.mark.parametrize(("fields", "message"), _misattributed_cases())
def test_an_address_on_another_publishers_site_is_an_error_at_its_line(
    site: Callable[..., Config], fields: dict[str, str], message: str
) -> None:
    config = site({"a.md": article_text(**fields)})
    with pytest.raises(BuildFailed) as caught:
        build(config)
    (error,) = caught.value.errors
    assert error.path is not None and error.path.name == "a.md"
    text = article_text(**fields).splitlines()
    url_field = message.split("'")[1]
    assert text[(error.line or 0) - 1].startswith(f"{url_field}:")
    assert error.message == message


def test_an_address_on_the_publishers_own_site_under_any_of_its_names_is_taken(
    site: Callable[..., Config],
) -> None:
    one, other = _two_outlets()
    config = site(
        {
            "a.md": article_text(
                source=one.names[-1],  # as pages write it
                source_url=f"https://www.{one.domains[-1]}/2021/report",
                via=other.name,
                via_url=f"https://{other.domains[0]}/copy",
                archived_url=f"https://web.archive.org/web/2021/https://{one.domains[-1]}/x",
            ),
            "b.md": article_text("Unknown publisher", source_url="https://example.org/a"),
        }
    )
    assert build(config).articles == 2


def test_each_version_of_a_story_names_its_publisher_and_one_page_stands_for_a_language(
    site: Callable[..., Config],
) -> None:
    reports = {
        "en.md": ("Talks resume", "en", "Example Wire"),
        "fr.md": ("Les pourparlers reprennent", "fr", "Exemple"),
        "de-1.md": ("Gespräche gehen weiter", "de", "Erste Zeitung"),
        "de-2.md": ("Verhandlungen wieder aufgenommen", "de", "Zweite Zeitung"),
        "ru.md": ("Переговоры продолжаются", "ru", "Пример"),
    }
    config = site(
        {
            name: article_text(title, source=source, language=language, story="talks")
            for name, (title, language, source) in reports.items()
        }
    )
    build(config)
    archive, _ = load_archive(config, use_cache=False)
    by_url = {a.url: a for a in archive.articles}
    shared = {
        lang for _, lang, _ in reports.values() if [r[1] for r in reports.values()].count(lang) > 1
    }
    for article in archive.articles:
        page = lxml.html.parse(str(config.path("output") / article.url)).getroot()

        def target(href: str, here: str = article.url) -> Article:
            return by_url[posixpath.normpath(posixpath.join(posixpath.dirname(here), href))]

        versions = page.xpath('//p[@class="versions"]/a')
        # Every report in another language is linked, naming its language and publisher.
        assert sorted(target(a.get("href")).url for a in versions) == sorted(
            a.url for a in archive.articles if a.language != article.language
        )
        for link in versions:
            assert target(link.get("href")).source in link.text_content()
        alternates = page.xpath('//link[@rel="alternate"][@hreflang]')
        found = {(link.get("hreflang"), target(link.get("href")).url) for link in alternates}
        # One page stands for each language: none for a language several reports share,
        # and none at all from a page whose own language is shared.
        alone = [a for a in archive.articles if a.language not in shared]
        expected = (
            set()
            if article.language in shared or len(alone) < 2  # a page is no alternate of itself
            else {(a.language, a.url) for a in alone}
        )
        assert found == expected
        assert len(alternates) == len(found)


def test_a_name_the_table_does_not_know_over_a_known_site_is_a_warning(
    site: Callable[..., Config],
) -> None:
    """'Thomson Reuters' may be Reuters by another name: the author is asked, not refused."""
    one, _ = _two_outlets()
    config = site(
        {
            "a.md": article_text(
                source=f"{one.name} World Service",
                source_url=f"https://{one.domains[0]}/2021/report",
            )
        }
    )
    report = build(config)
    (warning,) = report.warnings
    assert warning.line == 5
    assert warning.message.startswith(
        f"'source_url' is on {one.domains[0]}, a site of {one.name}; "
        f"is {one.name} World Service another name of {one.name}?"
    )
    strict = dataclasses.replace(config, strict=True)
    with pytest.raises(BuildFailed):
        build(strict, full=True)


@pytest.mark.parametrize("order", ["as listed", "reversed"])
def test_an_address_belongs_to_the_outlet_of_its_longest_matching_domain(
    order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = outlets()
    nested = [
        (outer, inner)
        for outer in table
        for inner in table
        if outer is not inner
        and any(d.endswith("." + e) for d in inner.domains for e in outer.domains)
    ]
    assert nested  # the table has a site inside another's (RT DE's de.rt.com in RT's rt.com)
    if order == "reversed":  # whatever the table's order, not the first match
        monkeypatch.setattr(newsgen.outlets, "outlets", lambda: tuple(reversed(table)))
    for outer, inner in nested:
        domain = next(d for d in inner.domains if any(d.endswith("." + e) for e in outer.domains))
        assert outlet_of_url(f"https://{domain}/news/1") is inner
    assert outlet_of_url("https://nowhere.example/") is None
