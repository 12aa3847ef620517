"""The one place where output paths are decided, and where links between them are made.

Every path is relative to the site's root and names a file (never a folder),
so the archive browses from ``file://`` with no server. Every link is
relative to the page it stands on, so the site works from any sub-folder.
"""

from __future__ import annotations

import posixpath

INDEX = "index.html"
NOT_FOUND = "404.html"
STYLESHEET = "static/style.css"
COUNTRIES = "countries/index.html"
TIMELINE = "timeline/index.html"
SITE_FEED = "feeds/all.atom.xml"
SITEMAP = "sitemap.xml"
MANIFEST = ".newsgen-manifest.json"


def article_url(slug: str) -> str:
    """An article's page."""
    return f"articles/{slug}.html"


def country_url(code: str) -> str:
    """A country's page."""
    return f"countries/{code.lower()}.html"


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
    base = posixpath.dirname(from_url) or "."
    link = posixpath.relpath(target, base) if target else posixpath.basename(from_url)
    return f"{link}{hash_}{fragment}"


def absolute(base_url: str, url: str) -> str:
    """A page's full address when the site's base URL is known, else the path itself."""
    return f"{base_url}{url}" if base_url else url
