"""The one place where output paths are decided, and where links between them are made.

Every path is relative to the site's root and names a file (never a folder),
so the archive browses from ``file://`` with no server. Every link is
relative to the page it stands on, so the site works from any sub-folder.
"""

from __future__ import annotations

import functools
from typing import Protocol

INDEX = "index.html"
NOT_FOUND = "404.html"
STYLESHEET = "static/style.css"
COUNTRIES = "countries/index.html"
TIMELINE = "timeline/index.html"
SITE_FEED = "feeds/all.atom.xml"
SITEMAP = "sitemap.xml"
MANIFEST = ".newsgen-manifest.json"


class _Addressed(Protocol):
    """What an article's address is made from."""

    @property
    def slug(self) -> str: ...


def article_url(article: _Addressed) -> str:
    """An article's page."""
    return f"articles/{article.slug}.html"


def country_url(code: str) -> str:
    """A country's page."""
    return f"countries/{code.lower()}.html"


def country_year_url(code: str, year: int) -> str:
    """One year of a country's articles, for countries with many."""
    return f"countries/{code.lower()}-{year:04d}.html"


def country_feed_url(code: str) -> str:
    """A country's Atom feed."""
    return f"feeds/countries/{code.lower()}.atom.xml"


def year_url(year: int) -> str:
    """One year of the timeline."""
    return f"timeline/{year:04d}.html"


def month_anchor(year: int, month: int) -> str:
    """The fragment of a month on its year's page."""
    return f"m{year:04d}-{month:02d}"


def static_url(name: str) -> str:
    """A file copied from static/."""
    return f"static/{name}"


def relative(from_url: str, to_url: str) -> str:
    """The link from one page to another, relative, with any #fragment kept."""
    target, hash_, fragment = to_url.partition("#")
    return f"{_relative_path(from_url, target)}{hash_}{fragment}"


@functools.lru_cache(maxsize=65536)
def _relative_path(from_url: str, target: str) -> str:
    # Site paths are plain 'folder/file' strings, so this needs no file system and no
    # normalizing: up to the root, then down to the target (or across, within one folder).
    base, _, name = from_url.rpartition("/")
    if not target:
        return name
    if base and target.startswith(base + "/") and "/" not in target[len(base) + 1 :]:
        return target[len(base) + 1 :]
    if not base:
        return target
    return "../" * (base.count("/") + 1) + target


def absolute(base_url: str, url: str) -> str:
    """A page's full address when the site's base URL is known, else the path itself."""
    return f"{base_url}{url}" if base_url else url


_TRANSLITERATIONS = {
    # Where a language has its own way to write its letters in ASCII.
    "de": [
        ["Ä", "Ae"],
        ["Ö", "Oe"],
        ["Ü", "Ue"],
        ["ä", "ae"],
        ["ö", "oe"],
        ["ü", "ue"],
        ["ß", "ss"],
    ],
}


def make_slug(title: str, language: str = "en") -> str:
    """A short ASCII file name from a title, transliterated the way its language does it."""
    from slugify import slugify  # here: only parsing a new or changed file needs it

    replacements = _TRANSLITERATIONS.get(language.split("-")[0], [])
    return str(slugify(title, max_length=80, word_boundary=True, replacements=replacements))
