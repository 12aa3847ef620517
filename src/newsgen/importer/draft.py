"""A draft article: what the importer made of a page, written out as an article file."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import yaml

from newsgen.countries import country_name

# What no article file may hold (newsgen refuses it at build): C0 and C1 controls but tab
# and newline, and the non-characters U+FFFE and U+FFFF. Line and paragraph separators
# (U+2028, U+2029, NEL) break YAML lines: they become newlines.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85]")


def clean_text(raw: str) -> str:
    """A text as an article file may hold it: plain newlines, no control characters."""
    return _CONTROL.sub("", _BREAKS.sub("\n", raw.lstrip("\ufeff")))


@dataclass(frozen=True)
class Provenance:
    """Where a text came from, as the author said on the command line."""

    url: str | None = None
    retrieved: dt.date | None = None
    on_publishers_site: bool = False
    """Whether the address is the publisher's own page (source_url) or a copy's (via_url)."""
    via: str | None = None
    """The name of the site the copy is on, where it is not the publisher's."""
    via_named: bool = False
    """Whether that name is the table of outlets' (else it is only the address's host)."""


@dataclass(frozen=True)
class Draft:
    """What the importer made of a page."""

    title: str
    body: str
    language: str
    countries: tuple[str, ...]
    """ISO codes of the countries the text is about: named in its headline or several times."""
    mentions: tuple[str, ...] = ()
    """ISO codes of the other countries it names."""
    date: dt.date | None = None
    date_evidence: str | None = None
    relative_date: str | None = None
    """Words like "2 hours ago" where the page gives only a date relative to its reading."""
    source: str | None = None
    source_evidence: str | None = None
    summary: str | None = None
    author: str | None = None
    provenance: Provenance = field(default_factory=Provenance)
    removed: tuple[str, ...] = ()
    """The furniture lines that were dropped, for the author to glance over."""
    barrier: str | None = None
    """A line of a subscriber's barrier the page held: its text is likely cut short."""
    method: str = "a copied page's text, its furniture removed"

    def to_markdown(self, today: dt.date, slug: str | None = None) -> str:
        """The draft as an article file; what must be checked is marked TODO or says so."""
        lines = ["---", f"title: {yaml_value(self.title)}", self._date_line(today)]
        if self.source:
            evidence = _comment(self.source_evidence)
            lines.append(f"source: {yaml_value(self.source)}  # from {evidence}: check it")
        else:
            lines.append("source: TODO  # who published it?")
        lines.extend(_provenance_lines(self.provenance))
        cut_short = (
            f"  # TODO: the page asks for a subscription ({_comment(self.barrier)}): "
            "its text is likely cut short"
            if self.barrier
            else ""
        )
        lines.append(f"notes: {yaml_value(self.notes())}{cut_short}")
        if self.author:
            lines.append(f"author: {yaml_value(self.author)}")
        lines.append(f"language: {self.language}")
        names = ", ".join(yaml_value(country_name(code, "en")) for code in self.countries)
        also = ", ".join(country_name(code, "en") for code in self.mentions)
        note = f"  # also named in the text: {also}" if also else ""
        lines.append(
            f"countries: [{names}]{note}"
            if names or note
            else "countries: []  # TODO: which countries does it concern?"
        )
        lines.append("tags: []  # TODO: topics")
        if self.summary:
            lines.append(f"summary: {yaml_value(self.summary)}")
        if slug:
            lines.append(f"slug: {slug}  # the title's own slug is taken by another article")
        lines.append("---")
        return "\n".join(lines) + "\n" + self.body

    def _date_line(self, today: dt.date) -> str:
        if self.date:
            return f"date: {self.date.isoformat()}  # from {_comment(self.date_evidence)}: check it"
        if self.relative_date:
            why = f"the page says only {_comment(repr(self.relative_date))}"
        else:
            why = "no date in the text"
        return f"date: {today.isoformat()}  # TODO: {why}; today's stands in"

    def notes(self) -> str:
        """How the record was made: where the date and the publisher were read, what was cut."""
        date = (
            f"the date from {_comment(self.date_evidence)}"
            if self.date
            else "no date found"
            + (f" (the page says {self.relative_date!r})" if self.relative_date else "")
        )
        source = (
            f"the publisher from {_comment(self.source_evidence)}"
            if self.source
            else "no publisher found"
        )
        cut = f"{len(self.removed)} more lines dropped" if self.removed else "nothing else dropped"
        return f"Imported with newsgen add from {self.method}: {date}; {source}; {cut}."


def _provenance_lines(found: Provenance) -> list[str]:
    """The front matter that says where the text came from and when it was taken."""
    lines = []
    if found.url and found.on_publishers_site:
        lines.append(f"source_url: {yaml_value(found.url)}")
    elif found.url:
        # A host stands in for a name the table of outlets does not know: a strict build
        # must not publish it unchecked.
        said = "from its address: check it" if found.via_named else "TODO: the site's name"
        lines.append(f"via: {yaml_value(found.via or found.url)}  # {said}")
        lines.append(f"via_url: {yaml_value(found.url)}")
    if found.retrieved:
        lines.append(f"retrieved: {found.retrieved.isoformat()}")
    return lines


def yaml_value(value: str) -> str:
    """A string as one line of YAML, quoted where YAML needs it."""
    dumped = yaml.safe_dump(clean_text(value), allow_unicode=True, width=1_000_000)
    return dumped.strip().removesuffix("\n...").strip()


def _comment(text: str | None) -> str:
    """Words to put in a YAML comment: one line, short."""
    flat = re.sub(r"\s+", " ", clean_text(text or "the text")).strip()
    return flat if len(flat) <= 90 else flat[:89] + "…"
