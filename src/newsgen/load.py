"""Article files → frozen ``Article`` records, or errors that name the file and line.

An article file is YAML front matter between two ``---`` lines, then Markdown
(``frontmatter`` splits and reads it). Each field is checked by its row in the
table of ``fields``; every problem in every file is collected, so an author
sees them all at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import hashlib
import html
import os
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from newsgen.config import ABOUT_FILE, Config, clock_change, local_time
from newsgen.errors import BuildWarning, ContentError, NewsgenError, shown_path
from newsgen.fields import BY_NAME, FIELDS, Invalid, Where
from newsgen.files import FileStatus, Found, look_at, walk
from newsgen.forked import forked_map
from newsgen.frontmatter import (
    FRONT_MATTER_OFFSET,
    Located,
    check_characters,
    parse_front_matter,
    read_text,
    split_front_matter,
)
from newsgen.mdlinks import file_links, link_lines, resolve
from newsgen.model import Article, Document
from newsgen.outlets import host_of, is_web_archive, outlet_named, outlet_of_url
from newsgen.state import CachedRecord, MentionCache, RecordCache
from newsgen.urls import ABOUT, make_slug, permalink

_RECORD_FIELDS = {f.name for f in dataclasses.fields(Article)}


def parse_article(
    path: Path, text: str, config: Config
) -> tuple[Article | None, list[NewsgenError], list[BuildWarning]]:
    """One file's text → its record, or every error found in it."""
    try:
        check_characters(text, path)
        front, body, body_line = split_front_matter(text, path)
        data, located = parse_front_matter(front, path)
    except ContentError as exc:
        return None, [exc], []
    values, errors, warnings = check_fields(path, data, located, config)
    warnings.extend(_marked_todo(front, path))
    if errors:
        return None, errors, warnings
    values.setdefault("language", config.language)
    values.setdefault("countries", ())
    values.setdefault("tags", ())
    if "summary" not in values:
        values["summary"] = first_paragraph_text(body)
    if "slug" not in values:
        values["slug"] = make_slug(values["title"], values["language"])
        if not values["slug"]:
            error = ContentError(
                "cannot make a file name from the title",
                path,
                located.lines.get("title", 1),
                hint="add a 'slug:' field",
            )
            return None, [error], warnings
    moment = values.pop("date")
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:  # told in the site's time zone: published with its offset
            problem = clock_change(moment, config.timezone)
            if problem:
                message = f"'date': {problem}; write its offset from UTC (+hh:mm)"
                warnings.append(BuildWarning(message, path, located.lines.get("date")))
            moment = local_time(moment, config.timezone)
        values["date"], values["timestamp"] = moment.date(), moment
    else:
        values["date"] = moment
    values["url"] = permalink(config.permalink, values["date"], values["slug"], values["language"])
    record = {key: value for key, value in values.items() if key in _RECORD_FIELDS}
    article = Article(
        path=path,
        body_line=body_line,
        body_digest=digest(body),
        digest=digest(text),
        links=file_links(body),
        **record,
    )
    return article, errors, warnings


def check_fields(
    path: Path, data: dict[Any, Any], located: Located, config: Config
) -> tuple[dict[str, Any], list[NewsgenError], list[BuildWarning]]:
    """Each field through its validator: the values, and every problem found."""
    errors: list[NewsgenError] = []
    warnings = _unknown_and_todo(path, data, located, config, errors)
    values: dict[str, Any] = {}
    for row in FIELDS:
        line = located.lines.get(row.name, 1)
        if row.name not in data:
            if row.required:
                what = re.split(r"[.:]", row.doc, maxsplit=1)[0]
                message = f"missing required field '{row.name}' ({what[:1].lower()}{what[1:]})"
                errors.append(ContentError(message, path, 1))
            continue
        value = data[row.name]
        if value is None and not row.required:
            continue
        where = Where(
            row.name,
            located.raw.get(row.name, ""),
            located.items.get(row.name, []),
            line,
            config,
            values,
        )
        try:
            values[row.name] = row.validate(value, where)
        except Invalid as exc:
            errors.extend(ContentError(m, path, n or line, h) for m, h, n in exc.problems)
    misattributed, unsure = _misattributed(path, values, located)
    errors.extend(misattributed)
    warnings.extend(unsure)
    return values, errors, warnings


def _misattributed(
    path: Path, values: dict[str, Any], located: Located
) -> tuple[list[ContentError], list[BuildWarning]]:
    """Addresses that would send a reader from one publisher's name to another's page.

    A page shows 'source_url' as the publisher's own copy and 'via_url' as where the
    text was found. An address on a site the table of outlets gives to another publisher
    than the one named, or a web archive's snapshot given as the original, is an error.
    Where the name is one the table does not know ('Thomson Reuters', a blog), it may be
    the same publisher by another name: a warning, which a strict build makes an error.
    """
    errors: list[ContentError] = []
    warnings: list[BuildWarning] = []
    for name_field, url_field in (("source", "source_url"), ("via", "via_url")):
        url, named = values.get(url_field), values.get(name_field)
        if not url:
            continue
        line = located.lines.get(url_field, 1)
        if url_field == "source_url" and is_web_archive(url):
            message = f"'source_url' is a web archive's copy ({host_of(url)}), not the original"
            hint = "give it as 'archived_url', and the publisher's own address as 'source_url'"
            errors.append(ContentError(message, path, line, hint))
            continue
        site = outlet_of_url(url)
        if site is None or named is None:
            continue
        known = outlet_named(named)
        if known is site:
            continue
        if known is None:
            message = (
                f"'{url_field}' is on {host_of(url)}, a site of {site.name}; is {named} "
                f"another name of {site.name}?"
            )
            hint = f"if so, name it '{site.name}'; if not, the address is not its copy"
            warnings.append(BuildWarning(f"{message} ({hint})", path, line))
            continue
        message = f"'{url_field}' is on {host_of(url)}, a site of {site.name}, not of {named}"
        if url_field == "source_url":
            hint = "'source_url' is the original on its publisher's site; a copy found "
            hint += "elsewhere goes in 'via' and 'via_url'"
        else:
            hint = f"'via' names the site the copy was found on: {site.name}?"
        errors.append(ContentError(message, path, line, hint))
    return errors, warnings


# A field whose line ends in a comment marked TODO: "date: 2024-05-01  # TODO: no date
# found; today's stands in", as `newsgen add` writes what it could not find out.
_FIELD_LINE = re.compile(r"^(?P<field>[A-Za-z_][\w-]*)[ \t]*:(?P<rest>[^\n]*)$", re.M)
_TODO = re.compile(r"#[ \t]*TODO\b[: \t]*(?P<said>.*)")


def _marked_todo(front: str, path: Path) -> list[BuildWarning]:
    """A warning for each field a comment marks TODO: a value still to check is no value
    to publish in a strict build."""
    warnings = []
    front = front.replace("\r\n", "\n").replace("\r", "\n")  # as YAML ends lines
    for match in _FIELD_LINE.finditer(front):
        comment = _comment_of(match["rest"])
        found = _TODO.match(comment) if comment is not None else None
        if found is None:
            continue
        line = front.count("\n", 0, match.start()) + FRONT_MATTER_OFFSET
        said = found["said"].strip()
        message = f"'{match['field']}' is still marked TODO" + (f": {said}" if said else "")
        warnings.append(BuildWarning(message, path, line))
    return warnings


def _comment_of(rest: str) -> str | None:
    """The comment after a value on one line, as YAML reads it: from the first '#' that
    follows a space and stands outside a quoted value ('C#' and '"a #b"' are values)."""
    start = 0
    stripped = rest.lstrip(" \t")
    if stripped[:1] in ("'", '"'):
        quote, at = stripped[0], len(rest) - len(stripped) + 1
        while at < len(rest):
            if quote == '"' and rest[at] == "\\":
                at += 2
                continue
            if rest[at] == quote:
                if quote == "'" and rest[at + 1 : at + 2] == "'":  # '' is a quote inside
                    at += 2
                    continue
                break
            at += 1
        start = at + 1
    found = re.search(r"(?:^|[ \t])#", rest[start:])
    return rest[start + found.end() - 1 :] if found else None


def _unknown_and_todo(
    path: Path, data: dict[Any, Any], located: Located, config: Config, errors: list[NewsgenError]
) -> list[BuildWarning]:
    warnings: list[BuildWarning] = []
    for key, value in data.items():
        line = located.lines.get(str(key), 1)
        if value == "TODO":
            warnings.append(BuildWarning(f"'{key}' is still marked TODO", path, line))
        if key in BY_NAME:
            continue
        close = difflib.get_close_matches(str(key), list(BY_NAME), n=1)
        hint = f"did you mean '{close[0]}'?" if close else None
        message = f"unknown field '{key}'"
        if config.strict:
            errors.append(ContentError(message, path, line, hint))
        else:
            suffix = f" ({hint})" if hint else " is ignored"
            warnings.append(BuildWarning(message + suffix, path, line))
    return warnings


# --- the body --------------------------------------------------------------------------


def digest(text: str) -> str:
    """The sha256 of a text, as hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_INLINE_MARKUP = [
    (re.compile(r"\[\^[^\]\s]+\]"), ""),  # footnote marks: [^1]
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their alt text
    # A link's text holds no '[' here: a run of '[' without ']' stays linear to scan.
    (re.compile(r"!?\[([^\[\]]*)\]\[[^\[\]]*\]"), r"\1"),  # reference links: [text][ref]
    (re.compile(r"\[([^\[\]]*)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # autolinks: their address
    (re.compile(r"<[^>]+>"), ""),  # raw HTML tags
    (re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # emphasis, code
    (re.compile(r"^\s{0,3}>\s?", re.M), ""),  # quote markers
]


def first_paragraph_text(body: str) -> str:
    """The body's first paragraph as plain text, for listings and feeds."""
    for block in re.split(r"\n\s*\n", body.strip()):
        block = block.strip()
        if block and not block.startswith(("#", "<", "---", "```", "|")):
            for pattern, replacement in _INLINE_MARKUP:
                block = pattern.sub(replacement, block)
            return re.sub(r"\s+", " ", html.unescape(block)).strip()
    return ""


def read_body(article: Article | Document) -> str:
    """Read an article's Markdown body again, checking it is the one that was loaded."""
    try:
        text = read_text(article.path)
    except FileNotFoundError:
        raise _went_away(article.path) from None
    _, body, _ = split_front_matter(text, article.path)
    if digest(body) != article.body_digest:
        raise ContentError("the file changed during the build; build again", article.path)
    return body


def check_file_links(articles: Iterable[Article]) -> list[BuildWarning]:
    """A warning at each body link to a '.md' file that is no article of the archive
    (a misspelt or moved file: the link would lead nowhere on the site)."""
    articles = list(articles)
    linking = [article for article in articles if article.links]
    if not linking:
        return []
    files = {article.path for article in articles}
    warnings = []
    for article in linking:
        dead = [t for t in article.links if resolve(article.path, t) not in files]
        if not dead:
            continue
        try:  # the lines, found in one reading of the body whatever the number of links
            lines = link_lines(read_body(article))
        except (OSError, NewsgenError):
            lines = {}
        for target in dead:
            message = (
                f"its link to '{target}' leads to no article of the archive (a link to "
                "another article names its file, relative to this one's folder)"
            )
            line = article.body_line + lines.get(target, 0)
            warnings.append(BuildWarning(message, article.path, line))
    return warnings


def find_all_mentions(
    articles: Iterable[Article], cache: MentionCache | None = None, workers: int | None = None
) -> dict[str, tuple[str, ...]]:
    """Address → the countries its body names; a body is read only when the cache lacks it.

    Many bodies to read (a cold build) are read on `workers` forked processes.
    """
    articles = list(articles)
    known = [cache.get(a.body_digest, a.language, a.year) if cache else None for a in articles]
    unread = [article for article, codes in zip(articles, known, strict=True) if codes is None]
    found = iter(forked_map(_mentions_in, unread, workers))
    mentions: dict[str, tuple[str, ...]] = {}
    for article, codes in zip(articles, known, strict=True):
        if codes is None:
            codes = next(found)
            if cache is not None:
                cache.put(article.body_digest, article.language, article.year, codes)
        mentions[article.url] = codes
    return mentions


def _mentions_in(article: Article) -> tuple[str, ...]:
    from newsgen.countries import find_mentions

    return tuple(find_mentions(read_body(article), article.language, article.year))


def load_about(config: Config) -> tuple[Document | None, list[NewsgenError]]:
    """The about page's record, None when the project has no about.md, or its errors."""
    path = config.root / ABOUT_FILE
    found = look_at(path, within=config.root)  # as an article's file: no link out of the project
    if found is None:
        return None, []
    if found.kind == "problem":
        return None, [ContentError(found.problem, path)]
    try:
        text = read_text(path)
        check_characters(text, path)
        front, body, body_line = split_front_matter(text, path)
        data, located = parse_front_matter(front, path)
    except ContentError as exc:
        return None, [exc]
    except OSError as exc:
        return None, [ContentError(f"cannot read the file: {exc.strerror}", path)]
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        line = located.lines.get("title", 1)
        return None, [ContentError("'title' must be the about page's title", path, line)]
    unknown = sorted(str(key) for key in data if key != "title")
    if unknown:
        line = located.lines.get(unknown[0], 1)
        message = f"unknown field '{unknown[0]}': about.md has only a 'title'"
        return None, [ContentError(message, path, line)]
    document = Document(path, ABOUT, title.strip(), body_line, digest(body), digest(text))
    return document, []


# --- all files -------------------------------------------------------------------------


def find_article_files(
    config: Config, found: Iterable[Found] | None = None
) -> tuple[list[tuple[str, FileStatus]], list[NewsgenError], list[BuildWarning]]:
    """Every article file under the articles folder with its status, in a stable order,
    what cannot be read, and Markdown files that are not read (warnings).

    Hidden names (an editor's lock file ``.#a.md``) are skipped, and so are the files that
    tools leave beside articles (an office suite's lock file ``~$a.md``, a sync conflict's
    copy: data/tool_files.yaml), some of them named in a warning; only regular files are
    articles, and links are followed only inside the project (see ``files.walk``).
    found: what a walk of the articles folder just met (deps.scan_inputs), if there was one.
    """
    files: list[tuple[str, FileStatus]] = []
    problems: list[NewsgenError] = []
    unread: list[BuildWarning] = []
    if found is None:
        found = walk(config.path("source"), follow_within=config.root)
    tool_files = _tool_files()
    for one in found:
        name = one.relative.rpartition("/")[2]
        if (
            tool_files.marks.search(name)
            and (left := _left_by_a_tool(name)) is not None
            # A copy sits beside its article: without one, the name is an article's own
            # ('elections_LOCAL_2020.md'), or the copy is all that is left of it.
            and (not left[1] or Path(one.path).with_name(left[1]).exists())
        ):
            if one.kind == "file" and left[0].what:
                unread.append(_tool_file_warning(*left, Path(one.path)))
            continue
        if one.kind == "problem" and _may_hold_articles(one.relative):
            problems.append(ContentError(one.problem, Path(one.path)))
        elif one.kind == "file" and name.endswith(".md"):
            assert isinstance(one.stat, FileStatus)  # the walker gives every file its status
            files.append((one.path, one.stat))
        elif one.kind == "file" and name.lower().endswith(_MARKDOWN_SUFFIXES):
            message = "not read: an article's file name ends in '.md' (lower case)"
            unread.append(BuildWarning(message, Path(one.path)))
    # In pathlib's order (part by part) without a Path for each file: a file whose record
    # is reused never needs one (200,000 Paths made and compared took 0.4 s of adding one
    # article to 100,000).
    files.sort(key=lambda file: file[0].split(os.sep))
    return files, problems, unread


@dataclasses.dataclass(frozen=True)
class _ToolFile:
    """A kind of file a tool leaves beside an article: a row of data/tool_files.yaml."""

    name: re.Pattern[str]
    what: str
    """What such a file is; '' for one skipped without a word."""


@dataclasses.dataclass(frozen=True)
class _ToolFiles:
    rows: tuple[_ToolFile, ...]
    marks: re.Pattern[str]
    """Any row's mark: a name without one is no tool's file, told at a glance."""


@functools.cache
def _tool_files() -> _ToolFiles:
    """The table of files that tools leave beside articles, read once."""
    from importlib import resources

    import yaml

    text = resources.files("newsgen").joinpath("data/tool_files.yaml").read_text("utf-8")
    table = yaml.safe_load(text)
    rows = tuple(_ToolFile(re.compile(row["name"]), str(row.get("what") or "")) for row in table)
    return _ToolFiles(rows, re.compile("|".join(re.escape(str(row["mark"])) for row in table)))


def _left_by_a_tool(name: str) -> tuple[_ToolFile, str] | None:
    """The row of the table a file's name matches, and the name of the article it copies."""
    for row in _tool_files().rows:
        if (match := row.name.fullmatch(name)) is not None:
            stem = match.groupdict().get("stem") or ""
            return row, f"{stem}.md" if stem else ""
    return None


def _tool_file_warning(row: _ToolFile, copied: str, path: Path) -> BuildWarning:
    """A file a tool left, named: it may hold an author's edits, so it is never dropped unsaid."""
    message = f"not read: {row.what}"
    if copied:
        message += f" of {copied}; merge what it adds into {copied}, then delete it"
    return BuildWarning(message, path)


_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn")
"""Names that Markdown files go by: one of them not ending in '.md' is a file not read."""


def _may_hold_articles(relative: str) -> bool:
    """An article file, or what may be a folder of them (a name with no suffix)."""
    name = relative.rpartition("/")[2]
    return name.endswith(".md") or "." not in name


_Loaded = tuple[Article | None, list[NewsgenError], list[BuildWarning]]
"""A file's record (None when it has errors), its errors and its warnings."""


@dataclasses.dataclass(frozen=True)
class _ToParse:
    """A file no earlier build has seen with these bytes: to be read and parsed where it is
    parsed, so that loading never holds more than a few files' text at once."""

    path: Path
    mtime_ns: int
    size: int


def load_article(
    path: Path,
    config: Config,
    cache: RecordCache | None = None,
    stat: os.stat_result | FileStatus | None = None,
) -> _Loaded:
    """One file → its record, or its errors; an unchanged file is taken from the cache.

    stat: the file's status where the caller has it; taken before the file is read, so a
    file changed in between is read again by the next build, never cached as unchanged.
    """
    found = _reuse_or_read(str(path), cache, stat)
    if not isinstance(found, _ToParse):
        return found
    return _keep(found, _parse(found, config), cache)


def _reuse_or_read(
    name: str, cache: RecordCache | None, stat: os.stat_result | FileStatus | None = None
) -> _Loaded | _ToParse:
    """The cached record of a file (by its size and time, else by the hash of its bytes),
    or the file to parse, or why it cannot be read."""
    try:
        if stat is None:
            stat = os.stat(name)
        if cache is not None and (hit := cache.by_stat(name, stat)) is not None:
            return hit.article, [], list(hit.warnings)
    except OSError as exc:
        return None, [_unreadable(Path(name), exc)], []
    path = Path(name)  # a file read or parsed here; a reused record has its own
    try:
        # A file the cache knows may be its bytes under a new time (a fresh checkout): it is
        # read here to see. Any other is read only where it is parsed.
        if cache is not None and cache.knows(path):
            text = read_text(path)
            if (hit := cache.by_digest(path, digest(text))) is not None:
                cache.keep(path, replace(hit, mtime_ns=stat.st_mtime_ns, size=stat.st_size))
                return hit.article, [], list(hit.warnings)
    except ContentError as exc:
        return None, [exc], []
    except OSError as exc:
        return None, [_unreadable(path, exc)], []
    return _ToParse(path, stat.st_mtime_ns, stat.st_size)


def _unreadable(path: Path, exc: OSError) -> ContentError:
    if isinstance(exc, FileNotFoundError):
        return _went_away(path)
    return ContentError(f"cannot read the file: {exc.strerror}", path)


def _went_away(path: Path) -> ContentError:
    """A file the walk of the articles folder found, gone when it came to be read: deleted
    or moved (an editor saving, a sync tool) while the build ran."""
    return ContentError("the file went away during the build (deleted or moved); build again", path)


def _keep(found: _ToParse, loaded: _Loaded, cache: RecordCache | None) -> _Loaded:
    """A parsed record, remembered for the next build."""
    article, _, warnings = loaded
    if cache is not None and article is not None:
        entry = CachedRecord(found.mtime_ns, found.size, article.digest, article, tuple(warnings))
        cache.keep(found.path, entry)
    return loaded


def load_articles(
    config: Config,
    cache: RecordCache | None = None,
    workers: int | None = None,
    found: Iterable[Found] | None = None,
) -> tuple[list[Article], list[NewsgenError], list[BuildWarning]]:
    """All files → records, with every error and warning found in any of them.

    Files no earlier build has seen are parsed on `workers` forked processes (default:
    one per core) when there are many: a cold build of 10,000 files, say.
    found: what a walk of the articles folder just met (deps.scan_inputs), if there was one.
    """
    source = config.path("source")
    if not source.is_dir():
        what = "is not a folder" if os.path.lexists(source) else "does not exist"
        return [], [ContentError(f"the articles folder {what}", source)], []
    articles: list[Article] = []
    files, errors, warnings = find_article_files(config, found)
    loaded = [_reuse_or_read(path, cache, stat) for path, stat in files]
    to_parse = [item for item in loaded if isinstance(item, _ToParse)]
    parsed = forked_map(functools.partial(_parse, config=config), to_parse, workers)
    for item in loaded:
        if isinstance(item, _ToParse):
            item = _keep(item, next(parsed), cache)
        article, file_errors, file_warnings = item
        errors.extend(file_errors)
        warnings.extend(file_warnings)
        if article is not None:
            articles.append(article)
    errors.extend(find_clashes(articles, source.parent))
    return articles, errors, warnings


def _parse(found: _ToParse, config: Config) -> _Loaded:
    try:
        text = read_text(found.path)
    except ContentError as exc:
        return None, [exc], []
    except OSError as exc:
        return None, [_unreadable(found.path, exc)], []
    return parse_article(found.path, text, config)


def find_clashes(articles: Iterable[Article], root: Path) -> list[NewsgenError]:
    """Two articles that would write one page (also on case-blind file systems)."""
    owners: dict[str, Article] = {}
    errors: list[NewsgenError] = []
    for article in sorted(articles, key=lambda a: str(a.path).split(os.sep)):  # as pathlib
        first = owners.setdefault(article.url.casefold(), article)
        if first is not article:
            errors.append(
                ContentError(
                    f"{shown_path(first.path, root)} already makes the page {article.url}: "
                    "both would write it",
                    article.path,
                    1,
                    hint="give one of them its own 'slug:'",
                )
            )
    return errors
