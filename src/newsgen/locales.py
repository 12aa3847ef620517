"""Language tags: BCP 47 codes as authors write them ↔ the CLDR locales Babel knows."""

from __future__ import annotations

import difflib
import functools
import re

from babel import Locale, UnknownLocaleError, localedata

# language[-Script][-REGION]: the part of BCP 47 that names a language CLDR describes.
_TAG = re.compile(
    r"(?P<lang>[A-Za-z]{2,3})(?:-(?P<script>[A-Za-z]{4}))?(?:-(?P<region>[A-Za-z]{2}|\d{3}))?"
)


class UnknownLanguage(ValueError):
    """A language tag that is malformed or that CLDR does not know."""

    def __init__(self, tag: str, suggestion: str | None) -> None:
        super().__init__(f"unknown language '{tag}'")
        self.hint = (
            f"did you mean '{suggestion}'?" if suggestion else "use a code like 'en', 'de' or 'ru'"
        )


@functools.cache
def parse_locale(tag: str) -> Locale:
    """The Babel locale of a language tag ('de', 'pt-BR', 'sr_Latn')."""
    return Locale.parse(tag.replace("-", "_"))


def base_language(tag: str) -> str:
    """A language tag's primary language, lower case: 'pt-BR' → 'pt', 'sr_Latn' → 'sr'."""
    return tag.replace("_", "-").split("-")[0].lower()


def check_language(value: str) -> str:
    """A well-formed language tag CLDR knows, normalised ('pt_br' → 'pt-BR'), or UnknownLanguage."""
    tag = value.strip().replace("_", "-")
    match = _TAG.fullmatch(tag)
    if match is None or match["lang"].lower() in {"und", "root"}:
        raise UnknownLanguage(value, _suggest(tag))
    normal = "-".join(
        part
        for part in (
            match["lang"].lower(),
            match["script"] and match["script"].title(),
            match["region"] and match["region"].upper(),
        )
        if part
    )
    try:
        parse_locale(normal)
    except (UnknownLocaleError, ValueError):
        raise UnknownLanguage(value, _suggest(tag)) from None
    return normal


def _suggest(tag: str) -> str | None:
    known = _known_tags()
    head = re.split(r"[^A-Za-z]", tag.strip(), maxsplit=1)[0].lower()
    if head in known:
        return known[head]
    close = difflib.get_close_matches(tag.lower(), known, n=1, cutoff=0.6)
    return known[close[0]] if close else None


@functools.cache
def _known_tags() -> dict[str, str]:
    """Every tag CLDR knows, by its lower-case spelling."""
    tags = (i.replace("_", "-") for i in localedata.locale_identifiers() if i != "root")
    return {tag.lower(): tag for tag in tags}
