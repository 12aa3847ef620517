from __future__ import annotations

import pytest

from newsgen.countries import country_name, resolve_country, suggest_country


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
