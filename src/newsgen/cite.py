"""Citations: records → BibTeX, RIS and CSL-JSON bytes, and a ready citation to read.

Pure functions. A citation names the original publisher and, only when it is known,
the original's address; where this copy of the text was found (``via``) goes in a
note, never under the publisher's name, so a reader cites what was really published.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from newsgen import urls
from newsgen.config import Config
from newsgen.model import Article


@dataclass(frozen=True)
class Reference:
    """What a citation of one article says."""

    key: str
    title: str
    date: dt.date
    publisher: str
    language: str
    url: str | None
    """The original's address, when known."""
    via: str | None
    via_url: str | None
    archived_url: str | None
    retrieved: dt.date | None
    author: tuple[str, ...]
    """Who wrote it, each name as given (a person or an organisation)."""
    tags: tuple[str, ...]
    archive: str
    """This archive's name."""
    record_url: str | None
    """The article's page in this archive, when the site's base URL is known."""


def reference(article: Article, config: Config) -> Reference:
    """The citation of an article in this archive."""
    record = urls.absolute(config.base_url, urls.article_url(article)) if config.base_url else None
    return Reference(
        key=urls.record_key(article),
        title=article.title,
        date=article.date,
        publisher=article.source,
        language=article.language,
        url=article.source_url,
        via=article.via,
        via_url=article.via_url,
        archived_url=article.archived_url,
        retrieved=article.retrieved,
        author=article.author,
        tags=article.tags,
        archive=config.title,
        record_url=record,
    )


def copy_note(ref: Reference) -> str:
    """Where this copy of the text came from, as one sentence-like line ('' when nothing)."""
    parts = []
    if ref.via or ref.via_url:
        found = "Text via " + ", ".join(p for p in (ref.via, ref.via_url) if p)
        if ref.retrieved:
            found += f" (retrieved {ref.retrieved.isoformat()})"
        parts.append(found)
    elif ref.retrieved:
        parts.append(f"Retrieved {ref.retrieved.isoformat()}")
    if ref.archived_url:
        parts.append(f"Snapshot: {ref.archived_url}")
    if ref.record_url:
        parts.append(f"In {ref.archive}: {ref.record_url}")
    return ". ".join(parts)


def citation_text(ref: Reference) -> str:
    """A ready citation: author, title, publisher, date, original address, copy, record."""
    head = f"{'; '.join(ref.author)}. " if ref.author else ""
    text = f"{head}“{ref.title}”. {ref.publisher}, {ref.date.isoformat()}."
    text += f" {ref.url}." if ref.url else " Original address not known."
    note = copy_note(ref)
    return f"{text} {note}." if note else text


# --- BibTeX ------------------------------------------------------------------------------

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIBTEX_PATTERN = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))


def _bib_text(value: str) -> str:
    return _BIBTEX_PATTERN.sub(lambda m: _BIBTEX_SPECIAL[m.group()], " ".join(value.split()))


def _bib_url(value: str) -> str:
    # A URL is kept verbatim (the url package reads it so), but braces would end the field.
    return value.replace("{", "%7B").replace("}", "%7D")


def bibtex(refs: Iterable[Reference]) -> bytes:
    """BibTeX entries (UTF-8), one @article per reference, the publisher as its journal."""
    entries = []
    for ref in refs:
        fields = [
            ("title", "{" + _bib_text(ref.title) + "}"),  # inner braces keep its capitals
            ("journal", _bib_text(ref.publisher)),
            ("publisher", _bib_text(ref.publisher)),
            ("date", ref.date.isoformat()),
            ("year", f"{ref.date.year:04d}"),  # as the date is: 0999, not 999
            ("month", str(ref.date.month)),
            ("day", str(ref.date.day)),
            ("language", ref.language),
        ]
        if ref.author:
            # Each name in braces: taken whole, never split into first and last names
            # (an organisation, a name in another script).
            names = " and ".join("{" + _bib_text(name) + "}" for name in ref.author)
            fields.append(("author", names))
        if ref.url:
            fields.append(("url", _bib_url(ref.url)))
        if ref.retrieved:
            fields.append(("urldate", ref.retrieved.isoformat()))
        if ref.tags:
            fields.append(("keywords", _bib_text(", ".join(ref.tags))))
        note = copy_note(ref)
        if note:
            fields.append(("note", _bib_text(note)))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@article{{{ref.key},\n{body}\n}}\n")
    return "\n".join(entries).encode("utf-8")


# --- RIS ---------------------------------------------------------------------------------


def _ris_line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(value.split())}\r\n"


def ris(refs: Iterable[Reference]) -> bytes:
    """RIS records (UTF-8, CRLF lines as the format asks), type NEWS."""
    out = []
    for ref in refs:
        lines = [
            _ris_line("TY", "NEWS"),
            _ris_line("ID", ref.key),
            _ris_line("TI", ref.title),
            _ris_line("T2", ref.publisher),
            _ris_line("PB", ref.publisher),
            _ris_line("PY", f"{ref.date.year:04d}"),  # RIS years are four digits
            _ris_line("DA", _ris_date(ref.date)),
            _ris_line("LA", ref.language),
        ]
        lines += [_ris_line("AU", name) for name in ref.author]
        if ref.url:
            lines.append(_ris_line("UR", ref.url))
        if ref.retrieved:
            lines.append(_ris_line("Y2", _ris_date(ref.retrieved)))
        lines += [_ris_line("KW", tag) for tag in ref.tags]
        note = copy_note(ref)
        if note:
            lines.append(_ris_line("N1", note))
        lines.append("ER  - \r\n")
        out.append("".join(lines))
    return "\r\n".join(out).encode("utf-8")


# --- CSL-JSON ----------------------------------------------------------------------------


def _date_parts(day: dt.date) -> dict[str, list[list[int]]]:
    return {"date-parts": [[day.year, day.month, day.day]]}


def csl_item(ref: Reference) -> dict[str, object]:
    """One reference as a CSL-JSON item of type article-newspaper."""
    item: dict[str, object] = {
        "id": ref.key,
        "type": "article-newspaper",
        "title": ref.title,
        "container-title": ref.publisher,
        "publisher": ref.publisher,
        "issued": _date_parts(ref.date),
        "language": ref.language,
    }
    if ref.author:
        item["author"] = [{"literal": name} for name in ref.author]
    if ref.url:
        item["URL"] = ref.url
    if ref.retrieved:
        item["accessed"] = _date_parts(ref.retrieved)
    if ref.tags:
        item["keyword"] = ", ".join(ref.tags)
    note = copy_note(ref)
    if note:
        item["note"] = note
    if ref.record_url:
        item["archive"] = ref.archive
        item["archive_location"] = ref.record_url
    return item


def csl_json(refs: Iterable[Reference]) -> bytes:
    """A CSL-JSON array of the references, one item a line."""
    # Item by item, so that a whole archive's items are never all held as objects at once.
    items = ",\n".join(json.dumps(csl_item(ref), ensure_ascii=False) for ref in refs)
    return f"[\n{items}\n]\n".encode()


FORMATS = {"bibtex": bibtex, "ris": ris, "csl-json": csl_json}
"""Format name (as urls.CITATION_FORMATS) → its writer."""

MEDIA_TYPES = {
    "bibtex": "application/x-bibtex",
    "ris": "application/x-research-info-systems",
    "csl-json": "application/vnd.citationstyles.csl+json",
}
"""Format name → the media type its file is served as."""


def _ris_date(day: dt.date) -> str:
    """YYYY/MM/DD; strftime's %Y gives '999' for the year 999 on some systems."""
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"
