"""Raw article text or a saved web page → a draft article with front matter.

The stages, one module each:

    page ─┬─ plaintext (a whole-page text copy: jusText's classification, furniture table)
          └─ html      (a saved page: trafilatura, the page's metadata)
               ─▶ Extract (title, paragraphs, the lines around them, metadata)
               ─▶ language, dates, sources, countries
               ─▶ Draft ─▶ an article file (save: never over another file or slug)

Whatever could not be inferred is marked TODO for the author.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

from newsgen.countries import count_mentions
from newsgen.errors import ContentError
from newsgen.importer.dates import find_date
from newsgen.importer.draft import Draft, Provenance, clean_text, yaml_value
from newsgen.importer.extract import Extract
from newsgen.importer.furniture import is_barrier
from newsgen.importer.language import detect_language, page_language
from newsgen.importer.save import Saved, draft_file_name, new_article, save_article
from newsgen.importer.sources import find_source, outlet_of_url, strip_site_name

__all__ = [
    "Draft",
    "Provenance",
    "Saved",
    "detect_language",
    "draft_file_name",
    "import_html",
    "import_page",
    "import_text",
    "new_article",
    "save_article",
    "yaml_value",
]

# A country named this many times in the body is a subject of the article, not a mention.
_SUBJECT_MENTIONS = 3
_SUB_HEAD = re.compile(r"[.!?:;,\"”“»)]$")


def import_text(
    raw: str,
    url: str | None = None,
    retrieved: dt.date | None = None,
    language: str = "en",
    *,
    where: Path | None = None,
) -> Draft:
    """A raw text (a whole-page copy, or the article alone) → a draft.

    `language` stands in where the text's own cannot be told. A text with neither a
    headline nor a paragraph is a ContentError about `where`, the file it was read from.
    """
    from newsgen.importer.plaintext import extract_text

    return _draft(extract_text(clean_text(raw)), url, retrieved, language, where)


def import_html(
    raw: str,
    url: str | None = None,
    retrieved: dt.date | None = None,
    language: str = "en",
    *,
    where: Path | None = None,
) -> Draft:
    """A saved web page → a draft, from its metadata where it states them."""
    from newsgen.importer.html import extract_html

    return _draft(extract_html(clean_text(raw)), url, retrieved, language, where)


def import_page(
    raw: str,
    name: str = "-",
    url: str | None = None,
    retrieved: dt.date | None = None,
    language: str = "en",
) -> Draft:
    """A page as read from a file (by its name) or standard input ('-'): HTML when it looks so."""
    where = Path("<stdin>") if name == "-" else Path(name)
    if name.lower().endswith((".html", ".htm")) or _looks_like_html(raw):
        return import_html(raw, url, retrieved, language, where=where)
    return import_text(raw, url, retrieved, language, where=where)


def _looks_like_html(raw: str) -> bool:
    head = raw.lstrip("\ufeff \t\r\n")[:200].lower()
    return head.startswith(("<!doctype html", "<html"))


def _draft(
    found: Extract, url: str | None, retrieved: dt.date | None, default: str, where: Path | None
) -> Draft:
    """What the extract says, with language, date, source and countries worked out."""
    if found.found_nothing:  # a draft of nothing would be an empty "Untitled" article
        raise ContentError(
            "holds no text to import (no headline, no paragraph); nothing was written", where
        )
    language = page_language(" ".join([found.title, *found.body])[:5000], found.language, default)
    date = find_date(found.header, found.body, found.footer, language, found.title)
    published = _iso_date(found.published)
    page_url = url or found.url
    source = find_source(
        found.header, found.body, found.footer, found.title, found.publisher, page_url
    )
    when = published or date.date
    subjects, mentions = _countries(found.title, found.body, language, when.year if when else None)
    return Draft(
        title=strip_site_name(found.title),
        body="\n\n".join(_as_markdown(p) for p in found.body) + "\n",
        language=language,
        countries=subjects,
        mentions=mentions,
        date=published or date.date,
        date_evidence="the page's metadata" if published else date.evidence,
        relative_date=None if published else date.relative,
        source=source.name if source else None,
        source_evidence=source.evidence if source else None,
        summary=found.summary,
        author=found.author,
        # A saved page's own address (og:url) counts too; the day it was saved is not known.
        provenance=_provenance(
            page_url, retrieved if url else None, source.name if source else None
        ),
        removed=found.removed,
        # Wherever the page shows it: an extractor may have left it out of the article.
        barrier=next(
            (line for line in (*found.removed, *found.footer, *found.header) if is_barrier(line)),
            None,
        ),
        method=found.method,
    )


def _countries(
    title: str, body: tuple[str, ...], language: str, year: int | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The countries the text is about (in its headline or named often), and the others it
    names; of former states, only those that existed in its year, when it is known."""
    in_title = {code for code, _ in count_mentions(title, language, year)}
    counted = count_mentions("\n".join(body), language, year)
    top = counted[0][1] if counted else 0
    subjects = [
        code
        for code, times in counted
        if code in in_title or times >= max(_SUBJECT_MENTIONS, (top + 1) // 2)
    ]
    subjects += sorted(in_title - set(subjects))
    if not subjects and counted:  # a text about a place names it, if not often
        subjects = [code for code, times in counted if times == top]
    return tuple(subjects), tuple(code for code, _ in counted if code not in subjects)


def _provenance(url: str | None, retrieved: dt.date | None, publisher: str | None) -> Provenance:
    """Where the text came from: the publisher's own page, or a copy on another site."""
    if not url:
        return Provenance()
    outlet = outlet_of_url(url)
    own = outlet is not None and outlet.name == publisher
    host = urlsplit(url).hostname or url
    via = None if own else (outlet.name if outlet else host.removeprefix("www."))
    return Provenance(url, retrieved, own, via, via_named=outlet is not None)


def _iso_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _as_markdown(paragraph: str) -> str:
    # A short line with no closing punctuation between paragraphs is a sub-head.
    if len(paragraph) < 60 and not _SUB_HEAD.search(paragraph) and paragraph[:1].isupper():
        return f"## {paragraph}"
    return paragraph
