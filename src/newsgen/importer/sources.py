"""Who published an article: from its credits and datelines, read against a table of outlets.

The outlets are data (``newsgen/data/outlets.yaml``). Only the forms that credit a
publisher count: a dateline ("(Reuters) -", "/ТАСС/", "— РИА Новости.", "FERGANA -"),
a "Source:" line, a copyright line, the page's metadata, its address, or the site's name
standing alone at the top of the page. A name merely mentioned in the text does not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from newsgen.outlets import Outlet, outlet_named, outlet_of_url, outlets

__all__ = ["FoundSource", "Outlet", "find_source", "outlet_named", "outlet_of_url", "outlets"]

# How far into the first paragraph a dateline's credit may stand.
_DATELINE_REACH = 160
# How many lines at the top of a page may hold the site's name.
_MASTHEAD_LINES = 4


@dataclass(frozen=True)
class FoundSource:
    """A publisher and the words it was recognised from."""

    name: str
    evidence: str


@functools.cache
def _credit_patterns() -> tuple[re.Pattern[str], ...]:
    """The forms of a credit, each with a group 'n' for the outlet's name."""
    names = sorted({n for o in outlets() for n in (o.name, *o.names)}, key=len, reverse=True)
    alt = "|".join(re.escape(n) for n in names)
    name = rf"(?<!\w)(?P<n>{alt})(?!\w)"
    return (
        re.compile(rf"\(\s*{name}\s*\)"),  # "ANKARA, May 9 (Reuters) -"
        re.compile(rf"/\s*{name}\s*/"),  # "МОСКВА, 12 марта. /ТАСС/."
        re.compile(rf"[—–-]\s*{name}\.(?:\s|$)"),  # "27 мая — РИА Новости."
        re.compile(rf"\.\s*{name}\s*[—–-]"),  # "3 декабря. ИНТЕРФАКС -"
        re.compile(rf"^{name}\s*[—–-]\s"),  # "ФЕРГАНА - …", "24.KG -"
    )


@functools.cache
def _named_line(kind: str) -> re.Pattern[str]:
    names = sorted({n for o in outlets() for n in (o.name, *o.names)}, key=len, reverse=True)
    alt = "|".join(re.escape(n) for n in names)
    if kind == "source":  # "Source: dpa", "Quelle: dpa Hamburg", "Источник: Meduza"
        return re.compile(
            rf"^(?:source|quelle|источник|original source)\s*:\s*(?P<n>{alt})(?!\w)", re.I
        )
    # "© 2024 Reuters", "© ТАСС, 1999–2024", "Copyright (c) 2024. RFE/RL, Inc."
    return re.compile(
        rf"(?:©|\(c\)|copyright)[^\w]*(?:[\d–—-]+[.,]?\s*)?(?:АО\s*)?[«\"]?(?P<n>{alt})(?![\w])",
        re.I,
    )


def find_source(
    header: Sequence[str],
    body: Sequence[str],
    footer: Sequence[str],
    title: str = "",
    publisher: str | None = None,
    url: str | None = None,
) -> FoundSource | None:
    """The publisher, from the strongest evidence: dateline, source line, metadata, masthead, ©."""
    return (
        _from_dateline(body)
        or _from_lines(_named_line("source"), [*header, *footer, *body[-2:]])
        or _from_metadata(publisher, url)
        or _from_masthead(header, title)
        or _from_lines(_named_line("copyright"), [*footer, *header])
        or _from_original_source([*header, *body, *footer])
    )


def _from_dateline(body: Sequence[str]) -> FoundSource | None:
    for paragraph in body[:2]:
        opening = paragraph[:_DATELINE_REACH]
        for pattern in _credit_patterns():
            match = pattern.search(opening)
            if match:
                return _found(match.group("n"), match.group(0).strip())
    return None


def _from_lines(pattern: re.Pattern[str], lines: Sequence[str]) -> FoundSource | None:
    for line in lines:
        match = pattern.search(line)
        if match:
            return _found(match.group("n"), line)
    return None


def _from_metadata(publisher: str | None, url: str | None) -> FoundSource | None:
    if publisher:
        outlet = outlet_named(publisher)
        return FoundSource(outlet.name if outlet else publisher, "the page's metadata")
    if url:
        outlet = outlet_of_url(url)
        if outlet:
            return FoundSource(outlet.name, f"its address ({url})")
    return None


def _from_masthead(header: Sequence[str], title: str) -> FoundSource | None:
    """The site's name alone on a line at the top of the page, or after the headline."""
    for line in header[:_MASTHEAD_LINES]:
        outlet = outlet_named(line)
        if outlet:
            return FoundSource(outlet.name, f'"{line}" at the top of the page')
    match = re.search(r"\s[|–—-]\s+([^|–—-]+)$", title)  # "Headline | Reuters"
    if match:
        outlet = outlet_named(match.group(1))
        if outlet:
            return FoundSource(outlet.name, f'"{match.group(0).strip()}" after the headline')
    return None


def _from_original_source(lines: Sequence[str]) -> FoundSource | None:
    """'Original Source: www.themoscowtimes.com': the site, named by the table or as written."""
    for line in lines:
        match = re.match(r"(?i)original source:\s*(?:https?://)?(?:www\.)?([^\s/]+)", line)
        if match:
            site = match.group(1).lower()
            outlet = outlet_of_url(site)
            return FoundSource(outlet.name if outlet else site, f"the original's address ({site})")
    return None


def _found(name: str, evidence: str) -> FoundSource | None:
    outlet = outlet_named(name)
    return FoundSource(outlet.name, evidence) if outlet else None


def strip_site_name(title: str) -> str:
    """A headline without the site's name that a page's <title> adds ('… | Reuters')."""
    match = re.search(r"\s[|–—-]\s+([^|–—-]+)$", title)
    if match and outlet_named(match.group(1)):
        return title[: match.start()].rstrip()
    return title
