from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from newsgen.config import Config
from newsgen.load import first_paragraph_text, load_articles, read_body
from newsgen.urls import make_slug

from .conftest import article_text


def test_front_matter_becomes_a_record(site: Callable[..., Config]) -> None:
    config = site(
        {
            "a.md": article_text(
                "Russland und Usbekistan",
                date="2025-01-21",
                language="de",
                countries="[Russland, UZ]",
                tags="[military, treaty]",
                story="plan-2030",
                source_url="https://example.org/a",
            )
        }
    )
    articles, errors, warnings = load_articles(config)
    assert errors == [] and warnings == []
    (article,) = articles
    assert article.title == "Russland und Usbekistan"
    assert article.date == dt.date(2025, 1, 21)
    assert article.language == "de"
    assert article.countries == ("RU", "UZ")
    assert article.tags == ("military", "treaty")
    assert article.story == "plan-2030"
    assert article.slug == "russland-und-usbekistan"
    assert article.summary == "The first paragraph."
    assert article.source_url == "https://example.org/a"


def test_a_datetime_is_kept(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text(date="2021-10-14T09:30:00+05:00")})
    (article,), _, _ = load_articles(config)
    assert article.date == dt.date(2021, 10, 14)
    assert article.timestamp is not None and article.timestamp.hour == 9


def test_language_defaults_to_the_site_language(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text()}, settings="language: de\n")
    (article,), _, _ = load_articles(config)
    assert article.language == "de"


def test_russian_and_english_names_land_on_one_code(site: Callable[..., Config]) -> None:
    config = site(
        {
            "ru.md": article_text("Новости", language="ru", countries="[Киргизия]", slug="ru-news"),
            "en.md": article_text("News", countries="[Kyrgyzstan]"),
        }
    )
    articles, errors, _ = load_articles(config)
    assert errors == []
    assert {a.countries for a in articles} == {("KG",)}


def test_the_body_is_read_again_not_held(site: Callable[..., Config]) -> None:
    body = "# Heading\n\nFirst *words*.\n\nSecond paragraph.\n"
    config = site({"a.md": article_text(body=body)})
    (article,), _, _ = load_articles(config)
    assert "Second" not in repr(article)
    assert read_body(article) == body
    assert article.summary == "First words."
    assert article.body_line == 6


def test_hidden_files_are_skipped(site: Callable[..., Config], tmp_path: Path) -> None:
    config = site({"a.md": article_text(), ".draft.md": "not an article", ".git/x.md": "nor this"})
    articles, errors, _ = load_articles(config)
    assert len(articles) == 1 and errors == []


def test_slugs_transliterate_by_language() -> None:
    assert make_slug("Kooperation im Militärbereich", "de") == "kooperation-im-militaerbereich"
    assert make_slug("Россия и Узбекистан", "ru") == "rossiia-i-uzbekistan"
    assert make_slug("Côte d’Ivoire talks", "en") == "cote-divoire-talks"


def test_first_paragraph_skips_headings_and_strips_markup() -> None:
    assert (
        first_paragraph_text("## Sub\n\nA [link](x) and **bold** & more.\n\nNext.")
        == "A link and bold & more."
    )


def test_a_summary_is_the_first_paragraphs_words_without_markdown() -> None:
    from newsgen.load import first_paragraph_text

    body = (
        "Text with a footnote[^n], a [reference link][r], an ![image][i], <b>inline html</b>"
        " and an autolink <https://a.example/x>, [a link](https://b.example) and **bold**.\n\n"
        "[r]: https://c.example\n[^n]: The note.\n"
    )
    assert first_paragraph_text(body) == (
        "Text with a footnote, a reference link, an image, inline html and an autolink "
        "https://a.example/x, a link and bold."
    )
