"""The article format as a table: each front-matter field is a row of a name, a validator and a
docstring, in the shape of MkDocs' ``config_options``.

A validator turns a YAML value into the record's value, or raises ``Invalid``
with a message for the article's author (a list validator collects a problem
per item, each with its own line). Adding a field is adding a row.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from newsgen.config import Config
from newsgen.urls import reserved_name

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WEB_ADDRESS = re.compile(r"https?://[^\s/?#]+[^\s]*")
_YAML_BOOLS = {"yes", "no", "on", "off", "true", "false", "y", "n"}
NAME_LIMIT = 100
"""The longest slug or story key: it names a file, and file systems stop at 255 bytes."""


class Invalid(Exception):
    """One or more problems with a value: (message, hint, line); line None means the key's."""

    def __init__(self, message: str, hint: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.problems: list[tuple[str, str | None, int | None]] = [(message, hint, line)]

    @classmethod
    def many(cls, problems: Sequence[tuple[str, str | None, int | None]]) -> Invalid:
        """Several problems at once (one per item of a list)."""
        error = cls(*problems[0])
        error.problems = list(problems)
        return error


@dataclass
class Where:
    """What a validator may know besides the value: how it was written, and what came before."""

    key: str
    raw: str
    """The value's text as written, for messages ('quote it: …')."""
    items: list[tuple[int, str]]
    """For a list: each item's line and text."""
    line: int
    config: Config
    values: dict[str, Any] = field(default_factory=dict)
    """The fields already validated (the table's order), e.g. the article's language."""


Validator = Callable[[Any, Where], Any]


def wrong_type(value: Any, where: Where, wanted: str) -> Invalid:
    """The problem with a value of the wrong kind, saying how YAML read it."""
    key, raw = where.key, where.raw
    if isinstance(value, bool):
        return Invalid(
            f"'{key}' must be {wanted}, but {raw or value} was read as {str(value).lower()}",
            f'quote it: {key}: "{raw}"',
        )
    if isinstance(value, int | float):
        return Invalid(f"'{key}' must be {wanted}, not a number", f'quote it: {key}: "{raw}"')
    if isinstance(value, str):
        return Invalid(f"'{key}' must not be empty")
    if value is None:
        return Invalid(f"'{key}' is empty; it must be {wanted}")
    kind = "a list" if isinstance(value, list) else "a mapping"
    return Invalid(f"'{key}' must be {wanted}, not {kind}")


def text(value: Any, where: Where) -> str:
    """Non-empty text, stripped."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise wrong_type(value, where, "text")


def web_address(value: Any, where: Where) -> str:
    """An http(s) address."""
    address = text(value, where)
    if not _WEB_ADDRESS.fullmatch(address):
        raise Invalid(
            f"'{where.key}' must be a web address starting with http:// or https://: '{address}'"
        )
    return address


def date_or_time(value: Any, where: Where) -> dt.date | dt.datetime:
    """A date (YYYY-MM-DD) or an ISO 8601 date-time."""
    raw = value.strip() if isinstance(value, str) else ""
    if not raw:
        raise Invalid(f"'{where.key}' must be a date like 2021-10-14")
    try:
        if _DATE.fullmatch(raw):
            return dt.date.fromisoformat(raw)
        moment = dt.datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError as exc:
        if not _DATE.fullmatch(raw[:10]):
            raise Invalid(f"'{where.key}' is not a date: '{raw}'", _iso_hint(raw)) from None
        try:
            dt.date.fromisoformat(raw[:10])
        except ValueError as day_exc:
            raise Invalid(f"'{where.key}' is not a real date: '{raw}' ({day_exc})") from None
        raise Invalid(f"'{where.key}' has no real time of day: '{raw}'", _TIME_HINT) from exc
    offset = moment.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        # Feeds and citations write RFC 3339 and ISO 8601 times, whose offsets are hh:mm.
        raise Invalid(
            f"'{where.key}' has an offset from UTC of hours, minutes and seconds: '{raw}'",
            _TIME_HINT,
        )
    return moment


# The orders a date written with numbers may be in: where they read it as different days
# (03/04/2021), each reading is named with its order, never one chosen for the author.
_DAY_ORDERS = (
    ("DMY", "if the day comes first"),
    ("MDY", "if the month comes first"),
    ("YMD", "if the year comes first"),
)
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")


def _iso_hint(raw: str) -> str:
    """How to write a date written another way ('14.10.2021', 'October 14, 2021') as ISO
    8601: its one reading, or each reading where the order of day and month is unsure."""
    readings: dict[dt.date, list[str]] = {}
    for order, words in _DAY_ORDERS:
        read = _read_date(raw, order)
        if read is not None:
            readings.setdefault(read, []).append(words)
    # A year of two digits is a century guessed: only a year written out is read.
    years = set(_FOUR_DIGITS.findall(raw))
    readings = {day: orders for day, orders in readings.items() if f"{day.year:04d}" in years}
    if len(readings) == 1:
        return f"write it as {next(iter(readings)).isoformat()}"
    if readings:
        each = ", or ".join(f"{day.isoformat()} {orders[0]}" for day, orders in readings.items())
        return f"write it as {each}"
    return "write it as YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS+hh:mm"


@functools.lru_cache(maxsize=256)
def _read_date(raw: str, order: str) -> dt.date | None:
    """A whole date (day, month and year; no time) read from text by dateparser, month
    names in any language it knows, numbers in the given order; None if it is not one."""
    if ":" in raw:  # a time of day: its zone cannot be told from here
        return None
    import dateparser

    settings: Any = {
        "STRICT_PARSING": True,  # a day, a month and a year, each written
        "DATE_ORDER": order,
        "PREFER_LOCALE_DATE_ORDER": False,
        "PARSERS": ["absolute-time"],  # not "yesterday", not a timestamp
    }
    try:
        parsed: dt.datetime | None = dateparser.parse(raw, settings=settings)
    except (ValueError, LookupError, OverflowError):
        return None
    if parsed is None or parsed.time() != dt.time() or parsed.tzinfo is not None:
        return None
    return parsed.date()


_TIME_HINT = (
    "write the time as HH:MM or HH:MM:SS and an offset from UTC as +hh:mm, -23:59 to +23:59"
)


def day(value: Any, where: Where) -> dt.date:
    """A date; a date-time is cut to its day."""
    found = date_or_time(value, where)
    return found.date() if isinstance(found, dt.datetime) else found


def language(value: Any, where: Where) -> str:
    """A BCP 47 language tag that CLDR knows."""
    from newsgen.locales import UnknownLanguage, check_language

    if not isinstance(value, str):
        raise wrong_type(value, where, "a language code like 'de'")
    try:
        return check_language(value)
    except UnknownLanguage as exc:
        raise Invalid(str(exc), exc.hint) from None


def name(value: Any, where: Where) -> str:
    """One file-name-safe word: a slug or a story key."""
    if not isinstance(value, str):
        raise wrong_type(value, where, "text")
    if not _NAME.fullmatch(value):
        raise Invalid(
            f"'{where.key}' must be one name of letters, digits, '-', '_' or '.': {value!r}",
            "it names a file, so it cannot hold '/', '\\', '..' or start with '.'",
        )
    if len(value) > NAME_LIMIT:
        raise Invalid(f"'{where.key}' is {len(value)} characters long; at most {NAME_LIMIT} fit")
    if reserved_name(value):
        raise Invalid(
            f"'{where.key}' may not be {value!r}: Windows keeps that name for a device",
            "the archive would not unpack there; add a word",
        )
    return value


def country(value: Any, where: Where) -> str:
    """A country's name in any language, an alias or an ISO code → its ISO 3166 code."""
    from newsgen.countries import resolve_country, suggest_country

    if not isinstance(value, str):
        raise Invalid(f"a country must be a name or code, not {value!r}")
    code = resolve_country(value, (where.values.get("language", where.config.language),))
    if code is None:
        guess = suggest_country(value)
        hint = (
            f"did you mean '{guess}'?" if guess else "use a country name or an ISO code like 'UZ'"
        )
        raise Invalid(f"unknown country '{value}'", hint)
    return code


def list_item_text(value: Any, where: Where) -> str:
    """One item of a list of texts (a topic)."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, str) or value is None:  # '' or a bare '-' in a block list
        raise Invalid(f"an item of '{where.key}' is empty", "remove it, or write the topic")
    raise Invalid(f"each of '{where.key}' must be text, not {value!r}", f'quote it: "{where.raw}"')


def tag_key(tag: str) -> str:
    """A tag as one topic: case and runs of spaces do not matter."""
    return " ".join(tag.split()).casefold()


def one_or_more(item: Validator, noun: str) -> Validator:
    """One text, or a list of them (each through `item`): always a tuple."""
    many = list_of(item, noun)

    def validate(value: Any, where: Where) -> tuple[Any, ...]:
        if isinstance(value, list):
            return tuple(many(value, where))
        return (text(value, where),)

    return validate


def list_of(
    item: Validator, noun: str, same: Callable[[Any], Any] = lambda value: value
) -> Validator:
    """A YAML list whose items each pass `item`; repeats are dropped (items that are `same`,
    the first spelling kept), every bad item reported."""

    def validate(value: Any, where: Where) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise Invalid(
                f"'{where.key}' must be a list",
                f"write it as a list: {where.key}: [{where.raw or '…'}]",
            )
        result: list[Any] = []
        seen: set[Any] = set()
        problems: list[tuple[str, str | None, int | None]] = []
        for index, element in enumerate(value):
            line, raw = where.items[index] if index < len(where.items) else (where.line, "")
            if isinstance(element, bool) and raw.lower() in _YAML_BOOLS:
                read = f"'{raw}' was read as {str(element).lower()}, not as {noun}"
                problems.append((read, f'quote it: "{raw}"', line))
                continue
            try:
                checked = item(element, Where(where.key, raw, [], line, where.config, where.values))
            except Invalid as exc:
                problems.extend((m, h, n or line) for m, h, n in exc.problems)
                continue
            if same(checked) not in seen:
                seen.add(same(checked))
                result.append(checked)
        if problems:
            raise Invalid.many(problems)
        return tuple(result)

    return validate


@dataclass(frozen=True)
class Field:
    """One front-matter field: its name, its validator, and what it means."""

    name: str
    validate: Validator
    doc: str
    required: bool = False


FIELDS: tuple[Field, ...] = (
    Field("title", text, "The headline.", required=True),
    Field("date", date_or_time, "When it was published: 2021-10-14, or 2021-10-14T09:30:00+05:00.", required=True),
    Field("source", text, "Who published it: the original publisher.", required=True),
    Field("source_url", web_address, "The original's address, on the publisher's own site."),
    Field("via", text, "Where this copy of the text was found, when it is not the original: a repost, an aggregator, a press digest."),
    Field("via_url", web_address, "The address of that copy."),
    Field("retrieved", day, "The date the text was taken."),
    Field("archived_url", web_address, "A snapshot of the page, e.g. in a web archive."),
    Field("notes", text, "The curator's notes, in Markdown: how the date was established, what was cleaned, doubts."),
    Field("author", one_or_more(list_item_text, "an author"), "Who wrote it: a name, or a list of names."),
    Field("language", language, "Its language, a BCP 47 tag; default: the site's language."),
    Field("countries", list_of(country, "a country"), "The countries it is about: names in any language, aliases or ISO codes."),
    Field("tags", list_of(list_item_text, "a topic", tag_key), "Its topics."),
    Field("summary", text, "One paragraph for listings and feeds; default: the body's first paragraph."),
    Field("story", name, "A key shared by reports of one event: translations, follow-ups."),
    Field("story_title", text, "The story's title, for its page; default: the earliest report's headline."),
    Field("slug", name, "The page's file name; default: made from the title."),
)  # fmt: skip
"""The article format, in the order fields are checked (language before countries)."""

BY_NAME = {f.name: f for f in FIELDS}
