"""Country names in many languages ↔ ISO 3166 alpha-2 codes, from Babel's CLDR data.

CLDR knows every country's name in hundreds of languages ("Киргизия",
"Usbekistan", "Côte d’Ivoire"). A small alias table covers what CLDR lacks:
former and informal names ("Turkey", "Kirghizia", "USA"). States that no longer exist
(the Soviet Union, Yugoslavia) are countries of their own, by their ISO 3166-3 codes
('SUHH'), named in data/historical.yaml.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from babel import UnknownLocaleError, localedata

from newsgen.locales import base_language, parse_locale

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
    "ivory coast": "CI",
    "palestine": "PS",
    "state of palestine": "PS",
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
    """Every ISO 3166 alpha-2 code CLDR names, and the ISO 3166-3 codes of former states."""
    territories: Iterable[str] = [str(code) for code in parse_locale("en").territories]
    return frozenset(code for code in territories if _is_country(code)) | _historical().keys()


@dataclass(frozen=True)
class _Former:
    """A state that no longer exists, as data/historical.yaml gives it."""

    names: dict[str, tuple[str, ...]]
    """Language → its names there, the one shown first."""
    region: str
    """The UN M49 sub-region of most of its territory."""
    first: int
    last: int
    """The years it existed."""


@functools.cache
def _historical() -> dict[str, _Former]:
    """Former states by their ISO 3166-3 code, from data/historical.yaml."""
    text = resources.files("newsgen").joinpath("data/historical.yaml").read_text("utf-8")
    found: dict[str, _Former] = {}
    for entry in yaml.safe_load(text):
        first, _, last = str(entry["years"]).partition("-")
        names = {str(lang): tuple(map(str, each)) for lang, each in entry["names"].items()}
        found[str(entry["code"])] = _Former(names, str(entry["region"]), int(first), int(last))
    return found


def existed(code: str, year: int) -> bool:
    """Whether a country existed in a year: a former state only within its years.

    A text's mentions are weighed by it: 'DDR' in a report of 2015 is memory, not East
    Germany (``count_mentions`` then reads the countries within its name: 'the former East
    Germany' names Germany, 'Serbia and Montenegro' Serbia and Montenegro).
    """
    former = _historical().get(code)
    return former is None or former.first <= year <= former.last


def _historical_names(language: str) -> dict[str, str]:
    """A language's names of former states (as written) → code; its own name first."""
    base = base_language(language)
    return {
        name: code for code, former in _historical().items() for name in former.names.get(base, ())
    }


@functools.cache
def _names_in(language: str) -> dict[str, str]:
    """Folded name → code, for one language."""
    try:
        territories = parse_locale(language).territories
    except (ValueError, LookupError, UnknownLocaleError):
        return {}
    table = {normalize(name): code for code, name in territories.items() if _is_country(code)}
    for name, code in _historical_names(language).items():
        table.setdefault(normalize(name), code)
    return table


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
    if len(stripped) in (2, 4) and stripped.isascii() and stripped.upper() in country_codes():
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
    english = _names_in("en")  # the former states' names among them
    candidates = list(english) + list(ALIASES)
    matches = difflib.get_close_matches(normalize(name), candidates, n=1, cutoff=0.75)
    if not matches:
        return None
    code = english.get(matches[0]) or ALIASES[matches[0]]
    return country_name(code, "en")


@functools.cache
def country_name(code: str, language: str) -> str:
    """A country's name in a language, falling back to English, then to the code."""
    former = _historical().get(code)
    if former is not None:
        for candidate in (language, "en"):
            names = former.names.get(base_language(candidate))
            if names:
                return names[0]
        return code
    for candidate in (language.replace("-", "_"), "en"):
        try:
            name = parse_locale(candidate).territories.get(code)
        except (ValueError, LookupError, UnknownLocaleError):
            continue
        if name:
            return str(name)
    return code


def _is_country(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES


@functools.cache
def _mention_data() -> dict[str, Any]:
    """The table of names, endings, demonyms and capitals that find_mentions reads."""
    text = resources.files("newsgen").joinpath("data/mentions.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _inflected(name: str, rules: Mapping[str, Any]) -> set[str]:
    """A name and the forms the cases of a language give it ('Киргизия' → 'Киргизии' …)."""
    script = _CYRILLIC if rules["script"] == "cyrillic" else _LATIN
    if not script.fullmatch(name):
        return {name}
    endings: Mapping[str, list[str]] = rules["by_ending"]
    for ending in sorted(endings, key=len, reverse=True):
        if name.endswith(ending) and len(name) - len(ending) >= rules["min_stem"]:
            stem = name[: len(name) - len(ending)]
            return {name, *(stem + form for form in endings[ending])}
    return {name}


_CYRILLIC = re.compile(r"[\u0400-\u04ff -]+")
_LATIN = re.compile(r"[A-Za-zÀ-ÿ -]+")


@functools.cache
def _mention_pattern(language: str, former: bool = True) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regular expression, compiled once per language, for every way to name a country
    (of former states too, unless not former)."""
    data = _mention_data()
    base = base_language(language)
    names: dict[str, str] = {}
    for lang in dict.fromkeys((base, "en")):
        try:
            territories = parse_locale(lang).territories
        except (ValueError, LookupError, UnknownLocaleError):
            continue
        for code, name in territories.items():
            if _is_country(str(code)):
                names.setdefault(str(name).replace("’", "'"), str(code))
        for name, code in data["names"].get(lang, {}).items():
            names.setdefault(name, code)
        for name, code in _historical_names(lang).items() if former else ():
            names.setdefault(name, code)
    for name, code in data["capitals"].items():
        names.setdefault(name, code)
        names.setdefault(name.upper(), code)  # datelines: "ASTANA, May 9", "АСТАНА, 12 марта"
    rules = data["inflection"].get(base)
    forms: dict[str, str] = {}
    for name, code in names.items():
        for form in _inflected(name, rules) if rules else {name}:
            forms.setdefault(form, code)
    demonyms = data["demonyms"].get(base, {"words": {}, "suffix": ""})
    stems = {stem.casefold(): code for stem, code in demonyms["words"].items()}
    pattern = (
        rf"(?<![\w.])(?:(?P<name>{_trie(forms)})"
        rf"|(?i:(?P<stem>{_trie(stems) if stems else '(?!)'})){demonyms['suffix']})(?!\w)"
    )
    return re.compile(pattern), {**forms, **stems}


def _trie(words: Iterable[str]) -> str:
    """A regular expression matching any of the words, as a trie: linear in the text's length."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_regex(tree)


def _trie_regex(node: dict[str, Any]) -> str:
    ends = "" in node
    branches = [_escape(char) + _trie_regex(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        return f"(?:{body})?"
    return body


def _escape(char: str) -> str:
    # An apostrophe in a name ("Côte d'Ivoire") matches the typographic one too.
    return "['’]" if char == "'" else re.escape(char)


def find_mentions(text: str, language: str, year: int | None = None) -> list[str]:
    """The countries a text names (by name, alias, demonym or capital), most mentioned first;
    of a text of a known year, only the states that existed then (see ``count_mentions``)."""
    return [code for code, _ in count_mentions(text, language, year)]


def count_mentions(text: str, language: str, year: int | None = None) -> list[tuple[str, int]]:
    """Each country a text names and how often, most mentioned first (ties: first named).

    year: the text's, when known. A former state's name in a text of another year names
    the countries within it instead ('the former East Germany' in 2015: Germany).
    """
    pattern, lookup = _mention_pattern(language)
    counts: dict[str, int] = {}
    for match in pattern.finditer(text):
        code = _code_of(match, lookup)
        if code and year is not None and not existed(code, year):
            # Read again without former states' names, within the name's own span (the
            # text around it still bounds each word).
            inner, inner_lookup = _mention_pattern(language, former=False)
            found = inner.finditer(text, match.start(), match.end())
            for code in filter(None, (_code_of(m, inner_lookup) for m in found)):
                counts[code] = counts.get(code, 0) + 1
        elif code:
            counts[code] = counts.get(code, 0) + 1
    first = {code: index for index, code in enumerate(counts)}
    return sorted(counts.items(), key=lambda item: (-item[1], first[item[0]]))


def _code_of(match: re.Match[str], lookup: Mapping[str, str]) -> str | None:
    """The country a match of ``_mention_pattern`` names."""
    word = match.group("name")
    if word is not None:
        return lookup.get(word.replace("’", "'"))
    return lookup.get(match.group("stem").casefold())


OTHER_REGION = "ZZ"
"""CLDR's code for a territory in no known region."""


@functools.cache
def _containment() -> dict[str, str]:
    """Country code → the CLDR sub-region (UN M49) that holds it, from data/regions.tsv."""
    from importlib import resources

    text = resources.files("newsgen").joinpath("data/regions.tsv").read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            region, members = line.split("\t")
            found.update(dict.fromkeys(members.split(), region))
    return found


def region_of(code: str) -> str:
    """The CLDR sub-region of a country ('UZ' → '143'), or 'ZZ' when it has none."""
    former = _historical().get(code.upper())
    if former is not None:
        return former.region
    return _containment().get(code.upper(), OTHER_REGION)


def region_name(region: str, language: str) -> str:
    """A region's name in a language: '143' in English is 'Central Asia'."""
    return str(parse_locale(language).territories.get(region) or region)
