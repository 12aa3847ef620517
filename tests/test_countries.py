from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from babel import Locale

from newsgen import countries, urls
from newsgen.config import Config
from newsgen.countries import (
    count_mentions,
    country_codes,
    country_name,
    find_mentions,
    region_of,
    resolve_country,
    suggest_country,
)
from newsgen.pipeline import build

from .conftest import article_text


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Uzbekistan", "UZ"),
        ("Usbekistan", "UZ"),  # German
        ("Узбекистан", "UZ"),  # Russian
        ("Киргизия", "KG"),
        ("Kyrgyzstan", "KG"),
        ("Kirghizia", "KG"),  # alias CLDR lacks
        ("US", "US"),
        ("USA", "US"),
        ("the United States", "US"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Côte d'Ivoire", "CI"),
        ("Côte d’Ivoire", "CI"),
        ("uz", "UZ"),
        ("DE", "DE"),
        ("Russland", "RU"),
        ("Китай", "CN"),
        ("Estados Unidos", "US"),  # Spanish, found by the all-language table
        ("Palestine", "PS"),  # CLDR's English name is "Palestinian Territories"
        ("State of Palestine", "PS"),
    ],
)
def test_names_codes_and_aliases_resolve(name: str, code: str) -> None:
    assert resolve_country(name) == code


def test_unknown_names_do_not_resolve() -> None:
    assert resolve_country("Atlantis") is None
    assert resolve_country("EU") is None  # a CLDR territory, not a country


def test_names_in_the_site_language() -> None:
    assert country_name("UZ", "en") == "Uzbekistan"
    assert country_name("UZ", "de") == "Usbekistan"
    assert country_name("KG", "ru") == "Киргизия"


def test_suggestions_for_misspellings() -> None:
    assert suggest_country("Uzbekstan") == "Uzbekistan"
    assert suggest_country("Tadjikistan") == "Tajikistan"
    assert suggest_country("qqqqqq") is None


@pytest.mark.parametrize(
    ("text", "language", "codes"),
    [
        ("Визит в Казахстан, переговоры в Таджикистане и Киргизии", "ru", ["KZ", "TJ", "KG"]),
        ("Граждане Киргизия, Кыргызстана и киргизские власти", "ru", ["KG"]),
        ("Россией, России, Россию; российские и россияне", "ru", ["RU"]),
        ("АСТАНА, 12 марта. /ТАСС/. Соглашение с США и КНР", "ru", ["KZ", "US", "CN"]),
        ("Die kirgisischen Behörden und Russlands Präsident in Usbekistans Hauptstadt", "de",
         ["KG", "RU", "UZ"]),
        ("US-Truppen in Kasachstans Norden; die Türkei", "de", ["US", "KZ", "TR"]),
        ("Russia's army, the U.S. and Côte d’Ivoire; Nigeria, not Niger", "en",
         ["RU", "US", "CI", "NG", "NE"]),
    ],
)  # fmt: skip
def test_mentions_in_inflected_and_old_forms(text: str, language: str, codes: list[str]) -> None:
    assert sorted(find_mentions(text, language)) == sorted(codes)


def test_mentions_are_counted_and_ordered() -> None:
    text = "Uzbekistan and Russia. Tashkent said Uzbek troops would stay; Moscow agreed."
    assert count_mentions(text, "en") == [("UZ", 3), ("RU", 2)]
    assert find_mentions(text, "en") == ["UZ", "RU"]


def test_words_that_only_look_like_names_are_not_mentions() -> None:
    assert find_mentions("Малая и малые; us and them; Chinaware", "ru") == []
    assert find_mentions("Nigerian, Georgian? no: Niger", "en") == ["GE", "NE"]
    assert find_mentions("anything", "xx-unknown") == []


# --- states that no longer exist ---------------------------------------------------------


def _former() -> dict[str, dict[str, object]]:
    text = (Path(countries.__file__).parent / "data" / "historical.yaml").read_text("utf-8")
    return {str(e["code"]): e for e in yaml.safe_load(text)}


def test_former_states_table_is_sound() -> None:
    former = _former()
    present = {c for c in country_codes() if len(c) == 2}
    english = Locale("en").territories
    for code, entry in former.items():
        # An ISO 3166-3 code: four letters, so never one a present-day country has.
        assert len(code) == 4 and code.isalpha() and code.isupper(), code
        assert code not in present
        names = entry["names"]
        assert isinstance(names, dict) and names.get("en"), code
        assert english.get(str(entry["region"])), (code, entry["region"])  # a region CLDR names
    # No name is given to two states, nor is any a present-day country's name.
    seen: dict[str, str] = {}
    for code, entry in former.items():
        for language, names in entry["names"].items():  # type: ignore[attr-defined]
            for name in names:
                key = (language, countries.normalize(name))
                assert seen.setdefault(str(key), code) == code, key
                assert resolve_country(name, (language,)) == code, (name, language)


@pytest.mark.parametrize(
    ("name", "language", "code"),
    [
        ("USSR", "en", "SUHH"),
        ("Soviet Union", "en", "SUHH"),
        ("СССР", "ru", "SUHH"),
        ("UdSSR", "de", "SUHH"),
        ("suhh", "en", "SUHH"),
        ("DDR", "de", "DDDE"),
        ("East Germany", "en", "DDDE"),
        ("Jugoslawien", "de", "YUCS"),
        ("Russia", "en", "RU"),  # the present-day country stays itself
        ("Germany", "en", "DE"),
    ],
)
def test_former_states_are_countries_of_their_own(name: str, language: str, code: str) -> None:
    assert resolve_country(name, (language,)) == code
    assert resolve_country(name) == code  # any language's name, without being told which


def test_former_states_are_named_and_placed_in_the_sites_language() -> None:
    assert country_name("SUHH", "de") == "Sowjetunion"
    assert country_name("SUHH", "ru") == "Советский Союз"
    assert country_name("SUHH", "ja") == "Soviet Union"  # no Japanese name: English
    assert region_of("SUHH") == region_of("PL") == "151"  # Eastern Europe
    assert find_mentions("In 1985 he visited the Soviet Union and the GDR.", "en") == [
        "SUHH",
        "DDDE",
    ]
    assert find_mentions("В Советском Союзе и за пределами Советского Союза", "ru") == ["SUHH"]


def test_an_archive_keeps_the_soviet_union_apart_from_russia(
    site: Callable[..., Config],
) -> None:
    config = site(
        {
            "a.md": article_text("Summit in Reykjavik", date="1986-10-11", countries="[USSR, US]"),
            "b.md": article_text("Sanctions", date="2022-03-01", countries="[Russia]"),
        }
    )
    build(config)
    output = config.path("output")
    soviet = (output / urls.country_url("SUHH")).read_text()
    assert "<h1>Soviet Union</h1>" in soviet and "Summit in Reykjavik" in soviet
    assert "Sanctions" not in soviet
    assert "Summit in Reykjavik" not in (output / urls.country_url("RU")).read_text()
    index = (output / urls.COUNTRIES).read_text()
    assert "Soviet Union" in index and "Eastern Europe" in index


def test_a_former_state_is_mentioned_only_in_its_own_years(
    site: Callable[..., Config],
) -> None:
    from newsgen.pipeline import load_archive

    assert countries.existed("SUHH", 1991) and not countries.existed("SUHH", 1992)
    assert countries.existed("RU", 1900)  # a present-day country, whatever the year
    texts = {
        "1985.md": ("1985-06-01", "Die Delegation reiste in die DDR und nach Jugoslawien."),
        "2015.md": ("2015-06-01", "DDR-RAM wurde billiger; Serbia and Montenegro signed."),
    }
    config = site(
        {
            name: article_text(f"Bericht {day}", date=day, language="de", body=body + "\n")
            for name, (day, body) in texts.items()
        }
    )
    archive, _ = load_archive(config, use_cache=False)
    found = {a.date.year: archive.mentions.get(a.url, ()) for a in archive.articles}
    assert found[1985] == ("DDDE", "YUCS")
    # In 2015 the former state's name names the countries within it, 'DDR-RAM' nothing.
    assert found[2015] == ("RS", "ME")


@pytest.mark.parametrize(
    ("text", "language", "year", "expected"),
    [
        ("the former East Germany, and East Germany again", "en", 2015, [("DE", 2)]),
        ("the former East Germany, and East Germany again", "en", 1985, [("DDDE", 2)]),
        ("Serbia and Montenegro left the union; Serbia stayed", "en", 2010,
         [("RS", 2), ("ME", 1)]),
        ("Serbia and Montenegro left the union; Serbia stayed", "en", 2004,
         [("CSXX", 1), ("RS", 1)]),
        ("the Soviet Union and South Yemen", "en", 2000, [("YE", 1)]),  # no country within
        ("the Soviet Union and South Yemen", "en", None, [("SUHH", 1), ("YDYE", 1)]),
        ("Советский Союз и Германия", "ru", 2015, [("DE", 1)]),
    ],
)  # fmt: skip
def test_a_former_states_name_out_of_its_years_names_the_countries_within_it(
    text: str, language: str, year: int | None, expected: list[tuple[str, int]]
) -> None:
    assert count_mentions(text, language, year) == expected


def test_a_body_naming_a_former_state_is_read_once(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site(
        {
            "a.md": article_text("A", date="1985-01-01", body="Talks in the Soviet Union.\n"),
            "b.md": article_text("B", date="1985-01-02"),
        }
    )
    build(config)
    read: list[str] = []
    real = countries.find_mentions

    def counted(text: str, language: str, year: int | None = None) -> list[str]:
        read.append(text)
        return real(text, language, year)

    monkeypatch.setattr(countries, "find_mentions", counted)
    source = config.path("source") / "b.md"
    source.write_text(source.read_text() + "\nMore.\n")
    build(config)
    assert len(read) == 1 and "More." in read[0]  # the changed body only: a's is remembered


def test_newsgen_add_proposes_former_states_only_in_their_years() -> None:
    from newsgen.importer import _countries

    title, body = "Handelsabkommen", ("Die DDR und Polen schlossen ein Abkommen.",)
    assert _countries(title, body, "de", 1985) == (("DDDE", "PL"), ())
    assert _countries(title, body, "de", 2015) == (("PL",), ())
    assert _countries(title, body, "de", None) == (("DDDE", "PL"), ())  # no date found
