"""The one place where output paths are decided, and where links between them are made.

Every path is relative to the site's root and names a file (never a folder),
so the archive browses from ``file://`` with no server. Every link is
relative to the page it stands on, so the site works from any sub-folder.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import string
from typing import Protocol

INDEX = "index.html"
NOT_FOUND = "404.html"
STYLESHEET = "static/style.css"
COUNTRIES = "countries/index.html"
TIMELINE = "timeline/index.html"
SITE_FEED = "feeds/all.atom.xml"
SITEMAP = "sitemap.xml"
SEARCH = "search/index.html"
FEEDS = "feeds/index.html"
ROBOTS = "robots.txt"
TOPICS = "topics/index.html"
ABOUT = "about.html"
DOWNLOADS = f"{ABOUT}#downloads"
"""The table of the open data and citation files, a row per year."""
DATAPACKAGE = "data/datapackage.json"
DATA_SCHEMA = "data/schema.json"
DATA_FORMATS = {"csv": "csv", "json": "json"}
"""Open data format → the file name ending its files carry."""
CITATION_FORMATS = {"bibtex": "bib", "ris": "ris", "csl-json": "csl.json"}
"""Citation format → the file name ending its files carry."""
MANIFEST = ".newsgen-manifest.json"


class _Addressed(Protocol):
    """A record that knows its page's address (decided by `permalink` when it was loaded)."""

    @property
    def url(self) -> str: ...


def article_url(article: _Addressed) -> str:
    """An article's page."""
    return article.url


DEFAULT_PERMALINK = "articles/{year}/{month}/{day}-{slug}.html"
PERMALINK_FIELDS = {
    "year": "the year, four digits",
    "month": "the month, two digits",
    "day": "the day of the month, two digits",
    "slug": "the article's slug (from its title, or its 'slug:' field)",
    "language": "its language tag, e.g. 'de'",
}


def permalink(pattern: str, date: dt.date, slug: str, language: str) -> str:
    """An article's page from the site's permalink pattern."""
    return pattern.format(
        year=f"{date.year:04d}",
        month=f"{date.month:02d}",
        day=f"{date.day:02d}",
        slug=slug,
        language=language,
    )


# What a permalink may say around its fields: an address's own characters, which need no
# escaping in a link and make file names every system can hold.
_PERMALINK_TEXT = re.compile(r"[A-Za-z0-9._~+/-]*")


def reserved_name(name: str) -> bool:
    """Whether Windows refuses a file of this name ('con', 'NUL.html', 'com1'): an archive
    must unpack anywhere."""
    stem = name.split(".", 1)[0].casefold()
    return stem in _RESERVED_NAMES


_RESERVED_NAMES = {"con", "prn", "aux", "nul", "conin$", "conout$"} | {
    f"{device}{n}" for device in ("com", "lpt") for n in (*"123456789", "¹", "²", "³")
}


def check_permalink(pattern: str) -> str | None:
    """What is wrong with a permalink pattern, or None when it is sound."""
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        return f"'permalink' is not a pattern: {exc}"
    names = {name for _, name, _, _ in parsed if name is not None}
    for literal, name, spec, conversion in parsed:
        if name is not None and (spec or conversion):
            # Each field is text made to measure; a format or a conversion could only
            # cut a slug short (two articles on one page) or pad it with spaces.
            written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            return f"'permalink' fields take no format: write {{{name}}}, not {{{written}}}"
        if ":" in literal or "\\" in literal:
            return _NO_COLON
        if not _PERMALINK_TEXT.fullmatch(literal):
            return (
                "'permalink' may hold, besides its fields, only ASCII letters, digits and "
                f"'-', '_', '.', '~', '+', '/': not {literal!r}"
            )
    unknown = names - set(PERMALINK_FIELDS)
    if unknown:
        known = ", ".join(f"{{{n}}}" for n in PERMALINK_FIELDS)
        return f"'permalink' names unknown fields {sorted(unknown)}; it may use {known}"
    if "slug" not in names:
        return "'permalink' must hold {slug}, or every article of a day would share one page"
    sample = permalink(pattern, dt.date(2021, 10, 14), "slug", "en")
    if (
        not sample.endswith(".html")
        or sample.startswith("/")
        or any(part in {"", ".", ".."} for part in sample.split("/"))
    ):
        return "'permalink' must be a relative path of folders ending in a .html file name"
    if ":" in sample or "\\" in sample:
        # A link whose first part holds a colon reads as a scheme ("c:x.html"), a file name
        # with one cannot be checked out on Windows, and a page's address is a key of the
        # build state beside keys like "c:FR" (see pages.article_keys).
        return _NO_COLON
    return None


_NO_COLON = "'permalink' may not hold ':' or '\\'"


def data_url(format_name: str, year: int) -> str:
    """One year's records in an open data format."""
    # A file per year: a change to one article re-makes one year's file, and no file
    # grows with the whole archive.
    return f"data/articles/{year:04d}.{DATA_FORMATS[format_name]}"


def sitemap_url(key: str) -> str:
    """One of the sitemaps the sitemap index lists ('2021', '2021-03', 'pages', …).

    Beside the index at the site's root: the protocol lets a sitemap list only addresses
    in its own folder and below it.
    """
    return f"sitemap-{key}.xml"


def citation_url(format_name: str, year: int) -> str:
    """One year's citations in a format."""
    return f"data/citations/{year:04d}.{CITATION_FORMATS[format_name]}"


def citation_file_name(format_name: str, article: _Addressed) -> str:
    """The name an article's citation is saved under when a reader downloads it."""
    return f"{record_key(article)}.{CITATION_FORMATS[format_name]}"


def record_key(article: _Addressed) -> str:
    """An article's identifier in citations and open data, made from its address (unique)."""
    path = article.url.removesuffix(".html")
    path = path.removeprefix("articles/") if path.count("/") > 1 else path
    return re.sub(r"[^A-Za-z0-9._-]+", "-", path).strip("-")


def story_url(key: str) -> str:
    """A story's page: its reports side by side, in a folder of names that start alike."""
    return f"stories/{_bucket(key)}/{key}.html"


def topic_url(slug: str) -> str:
    """A topic's page, in a folder of names that start alike."""
    return f"topics/{_bucket(slug)}/{slug}.html"


def topic_year_url(slug: str, year: int) -> str:
    """One year of a topic's articles, for topics with many (a folder: slugs may hold '-')."""
    return f"topics/{_bucket(slug)}/{slug}/{year:04d}.html"


def _bucket(name: str) -> str:
    """The first two characters of a name: an archive of a million reports may hold tens of
    thousands of stories and topics, and no folder should hold more than a few thousand."""
    return name[:2].lower()


def country_url(code: str) -> str:
    """A country's page."""
    return f"countries/{code.lower()}.html"


def country_year_url(code: str, year: int) -> str:
    """One year of a country's articles, for countries with many."""
    return f"countries/{code.lower()}/{year:04d}.html"


def country_feed_url(code: str) -> str:
    """A country's Atom feed."""
    return f"feeds/countries/{code.lower()}.atom.xml"


def year_url(year: int) -> str:
    """One year of the timeline."""
    return f"timeline/{year:04d}.html"


def country_timeline_url(code: str) -> str:
    """The timeline narrowed to one country."""
    return f"timeline/countries/{code.lower()}.html"


def year_anchor(year: int) -> str:
    """The fragment of a year on a page that groups articles by year."""
    return f"y{year:04d}"


def month_anchor(year: int, month: int) -> str:
    """The fragment of a month on its year's page."""
    return f"m{year:04d}-{month:02d}"


def search_shard_folder(key: str) -> str:
    """The folder of one Pagefind index shard ('2021', or '2021-03' for a large year)."""
    return f"search/pagefind/{key}/"


def search_shard_url(key: str) -> str:
    """The one file every Pagefind shard holds under this name: it stands for the shard."""
    return f"{search_shard_folder(key)}pagefind-entry.json"


def search_titles_url(key: str) -> str:
    """One shard of the small title index that the search page loads from ``file://``."""
    return f"search/titles/{key}.js"


def folder_of(url: str) -> str:
    """The folder a file of the site lies in, as the start of its neighbours' paths: a
    bundle page's files sit beside it ('search/pagefind/2021/')."""
    return url.rpartition("/")[0] + "/"


def static_url(name: str) -> str:
    """A file copied from static/."""
    return f"static/{name}"


def section(url: str) -> str:
    """The part of the site a page belongs to, for marking the navigation: its top folder."""
    return url.split("/", 1)[0]


def relative(from_url: str, to_url: str) -> str:
    """The link from one page to another, relative, with any #fragment kept."""
    target, hash_, fragment = to_url.partition("#")
    return f"{_relative_path(from_url, target)}{hash_}{fragment}"


@functools.lru_cache(maxsize=65536)
def _relative_path(from_url: str, target: str) -> str:
    # Site paths are plain 'folder/file' strings, so this needs no file system and no
    # normalizing: up from the page's folder to the folders both share, then down.
    if not target:
        return from_url.rpartition("/")[2]
    here = from_url.split("/")[:-1]
    there = target.split("/")
    shared = 0
    while shared < len(here) and shared < len(there) - 1 and here[shared] == there[shared]:
        shared += 1
    return "../" * (len(here) - shared) + "/".join(there[shared:])


def to_root(from_url: str) -> str:
    """The relative link from a page to the site's root folder ('' at the root, '../' below)."""
    return "../" * from_url.count("/")


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
