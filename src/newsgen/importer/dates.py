"""The date of an article, read from the lines around it and its dateline, in its language.

Dates are looked for where a page puts the article's own: in the lines just above the
article (under the headline) and in its first paragraphs (the dateline, "ANKARA, May 9
(Reuters) -", "Алматы, 3 марта."), before the lines below it, and never in a site's legal
lines. A date without a year takes the year of the nearest full date. ``dateparser``
reads each candidate in the text's language (month names, their cases and abbreviations).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from newsgen.importer.furniture import is_caption

# Candidates: a day, a month (a number or a word), maybe a year. The month word is any
# word: dateparser decides, in the text's language, whether it names a month.
_WORD_MONTH = r"[^\W\d_]{3,12}\.?"
_YEAR = r"(?:19|20)\d\d"
_FULL = [
    re.compile(rf"\b(?P<y>{_YEAR})-(?P<m>\d\d)-(?P<d>\d\d)\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})\.(?P<y>{_YEAR})"),
    re.compile(rf"\b(?P<d>\d{{1,2}})\.? (?P<w>{_WORD_MONTH}),? (?P<y>{_YEAR})"),
    re.compile(rf"\b(?P<w>{_WORD_MONTH}) (?P<d>\d{{1,2}}),? (?P<y>{_YEAR})"),
]
_YEARLESS = [
    re.compile(rf"\b(?P<d>\d{{1,2}}) (?P<w>{_WORD_MONTH})(?=[\s.,)—–-]|$)"),
    re.compile(rf"\b(?P<w>{_WORD_MONTH}) (?P<d>\d{{1,2}})(?= \(|,|$)"),
]
# How many lines above the article, and paragraphs into it, a page's own date stands.
_ABOVE = 12
_INTO = 2


@dataclass(frozen=True)
class FoundDate:
    """A date and the words it was read from; or why there is none."""

    date: dt.date | None
    evidence: str | None = None
    relative: str | None = None
    """Words like "2 hours ago" when the page gives only a date relative to its reading."""


def find_date(
    header: Sequence[str],
    body: Sequence[str],
    footer: Sequence[str],
    language: str,
    title: str = "",
) -> FoundDate:
    """The article's date from the lines around its headline, its dateline, then below it."""
    zones = [_near_headline(header, title), list(body[:_INTO]), list(footer)]
    anchor = None
    for zone in zones:
        for line in zone:
            if _is_legal(line) or is_caption(line):
                continue
            found = _full_date(line, language)
            if found:
                return found
    for zone in zones[:2]:  # a dateline without a year: only where no full date is
        for line in zone:
            anchor = anchor or _year_nearby([*header, *body[:_INTO]], language)
            found = _yearless_date(line, language, anchor)
            if found:
                return found
    relative = next((m.group(0) for line in header[-_ABOVE:] if (m := _relative(line))), None)
    return FoundDate(None, relative=relative)


def _near_headline(header: Sequence[str], title: str) -> list[str]:
    """The lines under the headline down to the article, then a few above it, nearest first."""
    at = max((i for i, line in enumerate(header) if title and line == title), default=None)
    if at is None:
        return list(header[-_ABOVE:])[::-1]
    return [*header[at + 1 :], *list(header[max(0, at - _ABOVE // 2) : at])[::-1]]


def _full_date(line: str, language: str) -> FoundDate | None:
    for pattern in _FULL:
        for match in pattern.finditer(line):
            date = _parse(match, language, match.group("y"))
            if date:
                return FoundDate(date, f'"{match.group(0).strip()}"')
    return None


def _yearless_date(line: str, language: str, year: str | None) -> FoundDate | None:
    if year is None:
        return None
    for pattern in _YEARLESS:
        for match in pattern.finditer(line, 0, 200):  # a dateline opens its paragraph
            date = _parse(match, language, year)
            if date:
                return FoundDate(date, f'"{match.group(0).strip()}" (year {year} from the page)')
    return None


def _year_nearby(lines: Iterable[str], language: str) -> str | None:
    """The year of the first full date near the article, to complete a dateline."""
    for line in lines:
        found = _full_date(line, language)
        if found and found.date:
            return str(found.date.year)
    return None


def _parse(match: re.Match[str], language: str, year: str) -> dt.date | None:
    parts = match.groupdict()
    if parts.get("m"):
        try:
            return dt.date(int(year), int(parts["m"]), int(parts["d"]))
        except ValueError:
            return None
    return _parse_words(f"{parts['d']} {parts['w']} {year}", language)


@functools.lru_cache(maxsize=4096)
def _parse_words(text: str, language: str) -> dt.date | None:
    """A 'day month-word year' text read by dateparser in the language, or None."""
    import dateparser

    languages = list(dict.fromkeys([language.split("-")[0], "en"]))
    settings: Any = {"STRICT_PARSING": True, "DATE_ORDER": "DMY", "PARSERS": ["absolute-time"]}
    try:
        parsed = dateparser.parse(text, languages=languages, settings=settings)
    except (ValueError, LookupError):
        return None
    return parsed.date() if parsed else None


@functools.cache
def _table() -> dict[str, re.Pattern[str]]:
    text = resources.files("newsgen").joinpath("data/dates.yaml").read_text("utf-8")
    data: dict[str, list[str]] = yaml.safe_load(text)
    return {key: re.compile("|".join(f"(?:{p})" for p in data[key]), re.I) for key in data}


def _is_legal(line: str) -> bool:
    return bool(_table()["legal"].search(line))


def _relative(line: str) -> re.Match[str] | None:
    return _table()["relative"].search(line)
