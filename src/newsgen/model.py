"""The records that flow through the pipeline: frozen, typed, and free of I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Article:
    """One article's front matter, plus where its body lies in its file.

    The body itself is not held: it is read again when the article's page is
    rendered, so memory grows with metadata and not with text.
    """

    path: Path
    """The article file, absolute."""
    url: str
    """Its page's path in the site, from the site's `permalink` pattern: its identity."""
    slug: str
    title: str
    date: dt.date
    source: str
    language: str
    countries: tuple[str, ...]
    """ISO 3166 alpha-2 codes, in the order the author gave them."""
    tags: tuple[str, ...]
    summary: str
    source_url: str | None = None
    """The original's address, on the publisher's own site."""
    via: str | None = None
    """Where this copy of the text was found, when it is not the original."""
    via_url: str | None = None
    retrieved: dt.date | None = None
    """When the text was taken."""
    archived_url: str | None = None
    """A snapshot of the page, e.g. in a web archive."""
    notes: str | None = None
    """The curator's notes, in Markdown."""
    author: tuple[str, ...] = ()
    """Who wrote it: one name or several, as the front matter gives them."""
    links: tuple[str, ...] = ()
    """Its body's links to other articles' files, as written (``mdlinks.file_links``)."""
    story: str | None = None
    story_title: str | None = None
    timestamp: dt.datetime | None = None
    """The full date-time when the front matter gives one."""
    body_line: int = 1
    """The line of the file on which the Markdown body begins."""
    body_digest: str = ""
    """sha256 of the body text, so a changed body is noticed without holding it."""
    digest: str = ""
    """sha256 of the whole file: the record's identity for caching and fingerprints."""

    @property
    def sort_key(self) -> tuple[dt.date, str, str, str]:
        """Timeline order: by date, then time of day, then slug, then address."""
        time = self.timestamp.strftime("%H:%M:%S") if self.timestamp else ""
        return (self.date, time, self.slug, self.url)

    @property
    def year(self) -> int:
        """The year the article appeared."""
        return self.date.year


@dataclass(frozen=True)
class Story:
    """Articles that report one event: translations and follow-ups."""

    key: str
    articles: tuple[Article, ...]
    """In timeline order."""
    title: str = ""
    """The story's name: a report's ``story_title``, else the earliest report's headline."""
    language: str = ""
    """The language of the earliest headline when that is the name; "" for the site's."""


@dataclass(frozen=True)
class Topic:
    """The articles that share a tag, however its case and spaces are written."""

    key: str
    """The tag folded: lower case, one space between words."""
    name: str
    """The spelling shown: the one the earliest article uses."""
    slug: str
    """The topic page's file name, unique within the archive."""
    articles: tuple[Article, ...]
    """Newest first."""


@dataclass(frozen=True)
class Notes:
    """A curator's notes, to be rendered as Markdown like a body (and cached alike)."""

    text: str
    url: str
    """The address its ids are made from: its article's, marked as the notes'."""
    body_digest: str
    """sha256 of the text: with url, the key of its rendered HTML in the body cache."""
    path: Path | None = None
    """The article file they are in, for the errors their Markdown meets."""


@dataclass(frozen=True)
class Document:
    """A page of prose that is not an article (the about page): a title and a Markdown body."""

    path: Path
    url: str
    """Its page's path in the site."""
    title: str
    body_line: int = 1
    body_digest: str = ""
    digest: str = ""


@dataclass(frozen=True)
class Page:
    """One output file: where it goes, how it is made, and what it is made from."""

    url: str
    """The path inside the site, e.g. 'articles/some-slug.html'."""
    template: str
    context: dict[str, Any]
    """What the template sees, besides the site-wide globals. Plain data only."""
    bodies: tuple[Article | Document, ...] = ()
    """Articles (or documents) whose Markdown body the page renders."""
    bundle: bool = False
    """The page is a folder of files that a tool makes (a search index shard): ``url`` names
    the one file always in it, and the others sit beside it under names the tool picks."""
    inputs: tuple[str, ...] | None = None
    """What of the archive the context reads, as keys (see ``state.PageTable``): ``URL``
    for an article it shows, ``c:CODE``, ``y:YEAR``, ``s:STORY``, ``t:TOPIC`` for a group
    it lists, ``g:NAME``, ``slug:TOPIC``, ``has:CODE`` for a value of the whole archive (see
    ``pages.archive_values``). None: the whole archive. A key left out makes a stale page,
    so a page that is unsure declares None."""
