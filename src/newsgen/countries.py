"""Country names in many languages ↔ ISO 3166 alpha-2 codes, from Babel's CLDR data.

CLDR knows every country's name in hundreds of languages ("Киргизия",
"Usbekistan", "Côte d’Ivoire"). A small alias table covers what CLDR lacks:
former and informal names ("Turkey", "Kirghizia", "USA").
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping

from babel import Locale, localedata

from newsgen.locales import parse_locale

# CLDR territory codes that are not countries, or only reserved in ISO 3166-1.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)

# Names people write that CLDR does not list, in any language.
ALIASES: Mapping[str, str] = {
    "america": "US",
    "united states of america": "US",
    "us": "US",
    "u.s.": "US",
    "usa": "US",
    "u.s.a.": "US",
    "uk": "GB",
    "u.k.": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "turkey": "TR",
    "kirghizia": "KG",
    "kirgizia": "KG",
    "kyrgyz republic": "KG",
    "tadzhikistan": "TJ",
    "russian federation": "RU",
    "soviet union": "RU",
    "ivory coast": "CI",
    "burma": "MM",
    "swaziland": "SZ",
    "macedonia": "MK",
    "czech republic": "CZ",
    "holland": "NL",
    "east timor": "TL",
    "cape verde": "CV",
    "vatican": "VA",
    "uae": "AE",
    "drc": "CD",
    "dr congo": "CD",
    "republic of korea": "KR",
    "korea": "KR",
    "dprk": "KP",
    "persia": "IR",
    "kosova": "XK",
}

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})


def normalize(name: str) -> str:
    """Fold a country name for lookup: case, apostrophes, spacing, a leading 'the'."""
    text = unicodedata.normalize("NFKC", name).translate(_APOSTROPHES).casefold()
    text = re.sub(r"\s+", " ", text).strip()
    return text[4:] if text.startswith("the ") else text


@functools.cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166 alpha-2 code CLDR names."""
    territories: Iterable[str] = [str(code) for code in parse_locale("en").territories]
    return frozenset(code for code in territories if _is_country(code))


@functools.cache
def _names_in(language: str) -> dict[str, str]:
    """Folded name → code, for one language."""
    try:
        territories = parse_locale(language).territories
    except (ValueError, LookupError):
        return {}
    return {normalize(name): code for code, name in territories.items() if _is_country(code)}


@functools.cache
def _all_names() -> dict[str, str]:
    """Folded name → code over every language CLDR has; English wins a clash."""
    table: dict[str, str] = {}
    for language in sorted(i for i in localedata.locale_identifiers() if "_" not in i):
        for name, code in _names_in(language).items():
            table.setdefault(name, code)
    table.update(_names_in("en"))
    return table


def resolve_country(name: str, languages: Iterable[str] = ()) -> str | None:
    """The ISO code for a country written as a code, an alias, or a name in any language."""
    stripped = name.strip()
    if len(stripped) == 2 and stripped.isascii() and stripped.upper() in country_codes():
        return stripped.upper()
    folded = normalize(stripped)
    if folded in ALIASES:
        return ALIASES[folded]
    for language in (*languages, "en"):
        code = _names_in(language).get(folded)
        if code:
            return code
    return _all_names().get(folded)


def suggest_country(name: str) -> str | None:
    """The English name closest to a misspelt country name, if one is close."""
    english = _names_in("en")
    candidates = list(english) + list(ALIASES)
    matches = difflib.get_close_matches(normalize(name), candidates, n=1, cutoff=0.75)
    if not matches:
        return None
    code = english.get(matches[0]) or ALIASES[matches[0]]
    return country_name(code, "en")


@functools.cache
def country_name(code: str, language: str) -> str:
    """A country's name in a language, falling back to English, then to the code."""
    for candidate in (language.replace("-", "_"), "en"):
        try:
            name = parse_locale(candidate).territories.get(code)
        except (ValueError, LookupError):
            continue
        if name:
            return str(name)
    return code


def _is_country(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES


# Words for a country's people and things, which CLDR does not have, by language.
# German adjectives are stems: "usbekisch" also finds "usbekischen", "usbekische" ….
DEMONYMS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "Afghan": "AF", "American": "US", "Armenian": "AM", "Azerbaijani": "AZ", "Belarusian": "BY",
        "British": "GB", "Chinese": "CN", "Estonian": "EE", "French": "FR", "Georgian": "GE",
        "German": "DE", "Indian": "IN", "Iranian": "IR", "Japanese": "JP", "Kazakh": "KZ",
        "Kazakhstani": "KZ", "Kyrgyz": "KG", "Latvian": "LV", "Lithuanian": "LT", "Moldovan": "MD",
        "Mongolian": "MN", "Pakistani": "PK", "Polish": "PL", "Russian": "RU", "Tajik": "TJ",
        "Turkish": "TR", "Turkmen": "TM", "Ukrainian": "UA", "Uzbek": "UZ", "Uzbekistani": "UZ",
    },
    "de": {
        "afghanisch": "AF", "amerikanisch": "US", "armenisch": "AM", "aserbaidschanisch": "AZ",
        "belarussisch": "BY", "britisch": "GB", "chinesisch": "CN", "estnisch": "EE",
        "französisch": "FR", "georgisch": "GE", "iranisch": "IR", "japanisch": "JP",
        "kasachisch": "KZ", "kirgisisch": "KG", "moldauisch": "MD", "mongolisch": "MN",
        "pakistanisch": "PK", "polnisch": "PL", "russisch": "RU", "tadschikisch": "TJ",
        "türkisch": "TR", "turkmenisch": "TM", "ukrainisch": "UA", "usbekisch": "UZ",
        "US-amerikanisch": "US",
    },
    "ru": {
        "российск": "RU", "русск": "RU", "узбекск": "UZ", "таджикск": "TJ", "казахск": "KZ",
        "казахстанск": "KZ", "киргизск": "KG", "кыргызск": "KG", "туркменск": "TM",
        "американск": "US", "китайск": "CN", "украинск": "UA", "афганск": "AF",
    },
}  # fmt: skip

# Capitals that name one country only, in the spellings of the languages above.
CAPITALS: Mapping[str, str] = {
    "Tashkent": "UZ", "Taschkent": "UZ", "Ташкент": "UZ", "Dushanbe": "TJ", "Duschanbe": "TJ",
    "Душанбе": "TJ", "Bishkek": "KG", "Bischkek": "KG", "Бишкек": "KG", "Astana": "KZ",
    "Астана": "KZ", "Ashgabat": "TM", "Aschgabat": "TM", "Ашхабад": "TM", "Moscow": "RU",
    "Moskau": "RU", "Москва": "RU", "Москве": "RU", "Kabul": "AF", "Кабул": "AF", "Beijing": "CN",
    "Peking": "CN", "Пекин": "CN", "Kyiv": "UA", "Kiew": "UA", "Киев": "UA", "Minsk": "BY",
    "Минск": "BY", "Tbilisi": "GE", "Tiflis": "GE", "Yerevan": "AM", "Eriwan": "AM", "Baku": "AZ",
    "Tehran": "IR", "Teheran": "IR", "Ankara": "TR", "Islamabad": "PK", "Ulaanbaatar": "MN",
    "Tallinn": "EE", "Riga": "LV", "Vilnius": "LT", "Warsaw": "PL", "Warschau": "PL",
    "Chisinau": "MD", "Kishinev": "MD",
}  # fmt: skip

_DEMONYM_SUFFIXES = {"de": r"(?:e|en|er|es|em)?", "ru": r"\w*", "en": r"s?"}


@functools.cache
def _mention_pattern(language: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regular expression for every way a text in a language may name a country."""
    table: dict[str, str] = {}
    for lang in dict.fromkeys((language, "en")):
        try:
            territories = Locale.parse(lang.replace("-", "_")).territories
        except (ValueError, LookupError):
            continue
        for code, name in territories.items():
            if _is_country(str(code)):
                table.setdefault(str(name), str(code))
    for alias in ("US", "U.S.", "USA", "UK", "Turkey", "Kirghizia", "Britain"):
        table.setdefault(alias, ALIASES[normalize(alias)])
    table.update(CAPITALS)
    words = sorted(table, key=len, reverse=True)
    names = "|".join(re.escape(w).replace(r"\’", "['’]").replace("’", "['’]") for w in words)
    demonyms = dict(DEMONYMS.get(language.split("-")[0], {}))
    suffix = _DEMONYM_SUFFIXES.get(language.split("-")[0], "")
    stems = "|".join(re.escape(s) for s in sorted(demonyms, key=len, reverse=True))
    pattern = rf"(?<![\w.])(?:(?P<name>{names})|(?i:(?P<stem>{stems})){suffix})(?!\w)"
    lookup = dict(table)
    lookup.update({stem.casefold(): code for stem, code in demonyms.items()})
    return re.compile(pattern), lookup


def find_mentions(text: str, language: str) -> list[str]:
    """The countries a text names (by name, alias, demonym or capital), most mentioned first."""
    pattern, lookup = _mention_pattern(language)
    counts: dict[str, int] = {}
    for match in pattern.finditer(text):
        word = match.group("name")
        code = (
            lookup.get(word.replace("'", "’"), lookup.get(word))
            if word
            else lookup.get(match.group("stem").casefold())
        )
        if code:
            counts[code] = counts.get(code, 0) + 1
    first = {code: index for index, code in enumerate(counts)}
    return sorted(counts, key=lambda code: (-counts[code], first[code]))
