"""The chrome (the site's own words, from its catalog) says its language where it is not the
page's: a site in a language with no catalog speaks English labels as English, right to left
only where the text is."""

from __future__ import annotations

import datetime as dt
import gettext
import re
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from newsgen import render, urls
from newsgen.config import Config
from newsgen.countries import country_name
from newsgen.pipeline import render_all
from newsgen.render import catalog_folder, chrome_language, long_date, text_direction

from .conftest import article_text

OPEN, CLOSE = "\ue000", "\ue001"  # private-use marks around every message the catalog gives

# Attributes a reader hears; data-* attributes are the search script's strings, shown by it
# inside elements marked like the rest of the chrome.
_SPOKEN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}


class _Marking(gettext.NullTranslations):
    """A catalog's messages, each between OPEN and CLOSE, so that a page shows where they are."""

    def __init__(self, inner: gettext.NullTranslations) -> None:
        super().__init__()
        self.inner = inner

    def gettext(self, message: str) -> str:
        return OPEN + self.inner.gettext(message) + CLOSE

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return OPEN + self.inner.ngettext(msgid1, msgid2, n) + CLOSE


class _Languages(HTMLParser):
    """Each piece of a page's text, and each spoken attribute, with its language and direction."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str, str]] = [("", "", "ltr")]  # tag, lang, dir
        self.texts: list[tuple[str, str, str, str]] = []  # text, lang, dir, tag
        self.attributes: list[tuple[str, str, str]] = []  # value, lang, tag

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        _, lang, direction = self.stack[-1]
        lang = found.get("lang") or lang
        direction = found.get("dir") or direction
        for name in _SPOKEN_ATTRIBUTES:
            if found.get(name):
                self.attributes.append((found[name] or "", lang, tag))
        if tag not in _VOID:
            self.stack.append((tag, lang, direction))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        tags = [t for t, _, _ in self.stack]
        if data.strip() and not {"title", "script", "style"} & set(tags):
            _, lang, direction = self.stack[-1]
            self.texts.append((data, lang, direction, self.stack[-1][0]))


def _read(page: bytes) -> _Languages:
    parser = _Languages()
    parser.feed(page.decode("utf-8"))
    parser.close()
    return parser


# A title and a paragraph in each language the sites below are written in, or quote.
WORDS = {
    "ar": ("محادثات الحدود في دوشنبه", "بدأت المحادثات حول ترسيم الحدود اليوم."),
    "uz": ("Dushanbeda chegara muzokaralari", "Chegara muzokaralari bugun boshlandi."),
    "de": ("Grenzgespräche in Duschanbe", "Die Gespräche über die Grenze begannen heute."),
    "en": ("Border talks in Dushanbe", "Talks on the border began today."),
    "ru": ("Пограничные переговоры в Душанбе", "Переговоры о границе начались сегодня."),
}


def _articles(site_language: str) -> dict[str, str]:
    """Two reports of one story (in the site's language and in English) and two more in
    other languages, one of them written the other way: every kind of listing and label."""
    third = "de" if site_language != "de" else "ar"
    fourth = "ru" if site_language != "ru" else "de"
    fields = {
        site_language: {"story": "border-talks", "countries": "[TJ, KZ]", "tags": "[borders]"},
        "en": {"story": "border-talks", "countries": "[TJ]", "tags": "[borders]"},
        third: {"countries": "[KZ]", "via": "A Mirror"},
        fourth: {"countries": "[UZ]", "notes": "Date from the page."},
    }
    files = {}
    for day, (language, extra) in enumerate(fields.items(), start=10):
        title, paragraph = WORDS[language]
        files[f"{language}.md"] = article_text(
            title,
            date=f"2020-05-{day}",
            body=paragraph + "\n",
            language=language,
            source_url=f"https://example.org/{language}",
            retrieved="2024-05-02",
            **extra,
        )
    return files


def test_chrome_language_is_the_catalogs_or_english() -> None:
    for language in ("ar", "fa", "he", "uz", "ja"):
        assert chrome_language(language) == "en"
        assert type(render.translations(language)) is gettext.NullTranslations
    for language in ("de", "ru", "en"):
        assert chrome_language(language) == language
        assert type(render.translations(language)) is not gettext.NullTranslations
    # A regional variant reads its base language's catalog, and is that language.
    assert chrome_language("de-AT") == "de-AT"
    assert render.translations("de-AT").gettext("Countries") == "Länder"


def test_a_variant_of_script_keeps_its_catalogs_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = catalog_folder()
    shutil.copytree(shipped / "en", tmp_path / "sr")
    monkeypatch.setattr(render, "catalog_folder", lambda: tmp_path)
    find = chrome_language.__wrapped__  # the cache holds the shipped catalogs' answers
    assert find("sr") == "sr"
    assert find("sr-RS") == "sr-RS"
    assert find("sr-Latn") == "sr"  # the catalog is Cyrillic, the page Latin
    assert find("uz") == "en"


@pytest.mark.parametrize("site_language", ["ar", "uz", "de"])
def test_each_label_speaks_the_chromes_language_and_content_its_own(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch, site_language: str
) -> None:
    shipped = render.translations
    monkeypatch.setattr(render, "translations", lambda language: _Marking(shipped(language)))
    articles = _articles(site_language)
    config = site(articles, f"title: An archive\nlanguage: {site_language}\n")
    chrome = chrome_language(site_language)
    files = render_all(config)
    pages = {url: data for url, data in files.items() if url.endswith(".html")}
    titles = {language: WORDS[language] for language in (f.removesuffix(".md") for f in articles)}
    dates = {long_date(dt.date(2020, 5, day), site_language) for day in (10, 11, 12, 13)}
    names = {country_name(code, site_language) for code in ("TJ", "KZ", "UZ")}
    seen = {"label": 0, "title": 0, "body": 0, "date": 0, "name": 0}
    for url, data in pages.items():
        page = _read(data)
        # Every text is laid out in its language's direction.
        for text, lang, direction, _ in page.texts:
            assert direction == text_direction(lang), (url, text, lang, direction)
        # A message from the catalog is in an element whose language is the chrome's.
        for text, lang, _, tag in page.texts:
            for _ in range(text.count(OPEN)):
                seen["label"] += 1
                assert lang == chrome, (url, tag, text)
        for value, lang, tag in page.attributes:
            if OPEN in value:
                assert lang == chrome, (url, tag, value)
        # Titles and bodies keep their own language; Babel's dates and names, the site's.
        for text, lang, _, tag in page.texts:
            plain = text.replace(OPEN, "").replace(CLOSE, "").strip()
            for language, (title, paragraph) in titles.items():
                if plain == title:
                    seen["title"] += 1
                    assert lang == language, (url, tag, text, lang)
                if paragraph in plain:
                    seen["body"] += 1
                    assert lang == language, (url, tag, text, lang)
            if plain in dates:
                seen["date"] += 1
                assert lang == site_language, (url, tag, text, lang)
            if plain in names:
                seen["name"] += 1
                assert lang == site_language, (url, tag, text, lang)
    assert all(seen.values()), seen  # each kind was found, so each check was made


@pytest.mark.parametrize(("site_language", "direction"), [("ar", "rtl"), ("uz", "ltr")])
def test_a_site_with_no_catalog_marks_its_english_chrome(
    site: Callable[..., Config], site_language: str, direction: str
) -> None:
    config = site(_articles(site_language), f"title: An archive\nlanguage: {site_language}\n")
    index = render_all(config)[urls.INDEX].decode()
    turn = ' dir="ltr"' if direction == "rtl" else ""
    assert re.search(rf'<html lang="{site_language}"( dir="rtl")?>', index)
    assert f'<nav aria-label="Main" lang="en"{turn}>' in index
    assert f'<span lang="en"{turn}>Built with newsgen.</span>' in index
    assert f'<h2 id="latest-heading" lang="en"{turn}>Latest articles</h2>' in index
    # The site's title is the site's text: the header around it is not marked.
    assert '<header class="site-header">' in index


def test_a_site_with_a_catalog_marks_nothing_more(site: Callable[..., Config]) -> None:
    files = render_all(site(_articles("de"), "title: An archive\nlanguage: de\n"))
    for url in (urls.INDEX, urls.COUNTRIES, urls.TIMELINE, urls.SEARCH):
        body = files[url].decode().split("<body>", 1)[1]
        assert not re.search(r'\slang="de"', body), url  # the chrome is the page's language
