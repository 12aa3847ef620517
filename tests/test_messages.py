"""The site's own words come from message catalogs: extracted from the templates, complete in
every language shipped, and used by a build in the site's language."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from newsgen import urls
from newsgen.config import Config
from newsgen.pipeline import build, render_all
from newsgen.render import catalog_folder, plural, translations

from .conftest import PROJECT, article_text

SHIPPED = ("en", "de", "ru")


def _template_ids() -> set[object]:
    with (PROJECT / "babel.cfg").open(encoding="utf-8") as stream:
        method_map, options_map = parse_mapping_cfg(stream)  # type: ignore[no-untyped-call]
    return {
        message[2] if isinstance(message[2], str) else tuple(message[2][:2])
        for message in extract_from_dir(str(PROJECT), method_map, options_map)
    }


def test_the_template_catalog_holds_exactly_the_templates_words() -> None:
    with (catalog_folder() / "newsgen.pot").open("rb") as stream:
        pot = {m.id for m in read_po(stream) if m.id}
    assert _template_ids() == pot, "run the pybabel extract command in README"


@pytest.mark.parametrize("language", SHIPPED)
def test_every_catalog_is_complete_and_keeps_its_placeholders(language: str) -> None:
    path = catalog_folder() / language / "LC_MESSAGES" / "newsgen.po"
    with path.open("rb") as stream:
        catalog = read_po(stream, locale=language)
    with (catalog_folder() / "newsgen.pot").open("rb") as stream:
        pot = {m.id for m in read_po(stream) if m.id}
    assert {m.id for m in catalog if m.id} == pot
    problems = [(message.id, errors) for message, errors in catalog.check() if errors]
    assert problems == []
    if language != "en":  # English is the msgids themselves
        untranslated = [m.id for m in catalog if m.id and not all(_strings(m.string))]
        assert untranslated == []


def _strings(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple) else (str(value),)


def test_plural_forms_follow_the_language() -> None:
    russian = translations("ru")
    assert [plural(russian, n, "article", "articles") for n in (1, 2, 5, 21, 11)] == [
        "1 статья",
        "2 статьи",
        "5 статей",
        "21 статья",
        "11 статей",
    ]
    assert plural(translations("de"), 2, "article", "articles") == "2 Artikel"
    assert plural(translations("fr"), 2, "article", "articles") == "2 articles"  # no catalog


ARTICLES = {
    "a.md": article_text("One", date="2019-05-02", countries="[UZ]", language="en"),
    "b.md": article_text("Two", date="2020-05-02", countries="[UZ, KZ]", language="de"),
}


def test_a_german_site_has_german_chrome(site: Callable[..., Config]) -> None:
    files = render_all(site(ARTICLES, "language: de\n"))
    index = files[urls.INDEX].decode()
    assert '<html lang="de">' in index
    for word in ("Neueste", "Länder", "Zeitleiste", "Suche", "Zum Inhalt springen"):
        assert word in index, word
    assert "2 Artikel von 2019 bis 2020" in index
    timeline = files[urls.TIMELINE].decode()
    assert "Artikel pro Jahr" in timeline and "Mai" in timeline
    # English articles on a German site are labelled as such.
    assert re.search(r'lang="en">One</a>.*?Englisch', files[urls.year_url(2019)].decode(), re.S)
    search = files[urls.SEARCH].decode()
    assert 'data-text-found-other="{n} Artikel gefunden"' in search
    # Every visible English word of the chrome is gone.
    for english in ("Latest", "Timeline", "Skip to content", "Built with newsgen"):
        assert english not in index, english


def test_a_russian_site_counts_in_russian(site: Callable[..., Config]) -> None:
    files = render_all(site(ARTICLES, "language: ru\n"))
    countries = files[urls.COUNTRIES].decode()
    assert "2 страны упоминаются в архиве" in countries
    assert "1 статья" in countries and "2 статьи" in countries
    search = files[urls.SEARCH].decode()
    assert 'data-text-found-few="Найдено {n} статьи"' in search
    assert 'data-text-found-many="Найдено {n} статей"' in search


def test_a_german_archive_says_where_a_text_comes_from_in_german(
    site: Callable[..., Config],
) -> None:
    config = site(
        {
            "a.md": article_text(
                "Bericht", source_url="https://example.org/a", retrieved="2024-05-02"
            )
        },
        settings="language: de\n",
    )
    build(config)
    page = next((config.path("output") / "articles").rglob("*.html")).read_text()
    assert "Woher dieser Text stammt" in page
    assert "Veröffentlicht von A Source (" in page and "Abgerufen am" in page
    assert "Where this text comes from" not in page


def test_a_storys_other_reports_are_told_in_the_sites_language(
    site: Callable[..., Config],
) -> None:
    texts = {
        "a.md": article_text("Talks", date="2019-05-01", story="talks", language="en"),
        "b.md": article_text("Gespräche", date="2019-05-02", story="talks", language="de"),
        "c.md": article_text("Weiter", date="2019-05-03", story="talks", language="de"),
    }
    files = render_all(site(texts, "language: de\n"))
    pages = {name: files[url].decode() for name, url in _article_urls(files, texts).items()}
    assert "dasselbe Ereignis, auf Englisch ·" in pages["b.md"]  # the English report
    assert "dasselbe Ereignis ·" in pages["b.md"]  # the German one
    assert "same story" not in "".join(pages.values())


def _article_urls(files: dict[str, bytes], texts: dict[str, str]) -> dict[str, str]:
    """Each article file's page, found by its title."""
    found: dict[str, str] = {}
    for name, text in texts.items():
        title = re.search(r"^title: (.+)$", text, re.M)
        assert title is not None
        heading = f">{title.group(1).strip()}</h1>".encode()
        (url,) = [
            url for url, data in files.items() if url.startswith("articles/") and heading in data
        ]
        found[name] = url
    return found
