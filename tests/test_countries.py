from __future__ import annotations

import pytest

from newsgen.countries import (
    count_mentions,
    country_name,
    find_mentions,
    resolve_country,
    suggest_country,
)


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
