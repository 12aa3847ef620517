"""Article files → frozen ``Article`` records, or errors that name the file and line.

An article file is YAML front matter between two ``---`` lines, then Markdown.
Every problem in every file is collected, so an author sees them all at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import html
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError

from newsgen.cache import CachedRecord, RecordCache
from newsgen.config import Config
from newsgen.countries import resolve_country, suggest_country
from newsgen.errors import BuildWarning, ContentError, NewsgenError, shown_path
from newsgen.model import Article
from newsgen.urls import make_slug

REQUIRED = {
    "title": "the headline",
    "date": "when it was published, e.g. 2021-10-14",
    "source": "who published it",
}
OPTIONAL = ("source_url", "author", "language", "countries", "tags", "summary", "story", "slug")
KNOWN_FIELDS = (*REQUIRED, *OPTIONAL)

_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FENCE = re.compile(r"(---|\.\.\.)[ \t]*")
_YAML_BOOLS = {"yes", "no", "on", "off", "true", "false", "y", "n"}
# The front matter starts on line 2 of the file; YAML counts from 0.
_YAML_LINE_OFFSET = 2


# --- YAML: safe values only, no duplicate keys, dates kept as text ----------------------

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """A safe YAML loader that refuses duplicate keys and leaves dates as text."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise _FrontMatterProblem("a key must be plain text", key_node.start_mark.line)
            if key in seen:
                raise _FrontMatterProblem(
                    f"'{key}' is given twice (first on line {seen[key] + _YAML_LINE_OFFSET})",
                    key_node.start_mark.line,
                )
            seen[key] = key_node.start_mark.line
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result


# Dates are parsed by us, so an impossible one gets a clear message instead of a traceback.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _FrontMatterProblem(Exception):
    def __init__(self, message: str, yaml_line: int) -> None:
        super().__init__(message)
        self.message = message
        self.yaml_line = yaml_line


@dataclass
class _Located:
    """Where each top-level value stands in the file, and how it was written."""

    lines: dict[str, int] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    items: dict[str, list[tuple[int, str]]] = field(default_factory=dict)


def _parse_yaml(text: str) -> tuple[Any, _Located]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    located = _Located()
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            located.lines[key] = value_node.start_mark.line + _YAML_LINE_OFFSET
            if isinstance(value_node, yaml.ScalarNode):
                located.raw[key] = str(value_node.value)
            elif isinstance(value_node, yaml.SequenceNode):
                located.items[key] = [
                    (item.start_mark.line + _YAML_LINE_OFFSET, str(getattr(item, "value", "")))
                    for item in value_node.value
                ]
    return data, located


# --- one file --------------------------------------------------------------------------


def read_text(path: Path) -> str:
    """A file's text, or a ContentError saying why it is not a UTF-8 text file."""
    data = path.read_bytes()
    if not data.strip():
        raise ContentError("the file is empty; an article starts with '---' front matter", path, 1)
    if b"\x00" in data[:8192]:
        raise ContentError("this is not a text file (it holds binary data)", path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ContentError(
            f"the file is not UTF-8: byte 0x{data[exc.start]:02x} cannot be read",
            path,
            line,
            hint="save it as UTF-8",
        ) from None


def split_front_matter(text: str, path: Path) -> tuple[str, str, int]:
    """Split a file into (front matter, body, the body's first line)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").strip() != "---":
        raise ContentError(
            "no front matter: the file must begin with a '---' line",
            path,
            1,
            hint="see README.md for the article format",
        )
    for index in range(1, len(lines)):
        if _FENCE.fullmatch(lines[index].rstrip("\r\n")):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    raise ContentError("the front matter is never closed: add a '---' line after it", path, 1)


def parse_article(
    path: Path, text: str, config: Config
) -> tuple[Article | None, list[NewsgenError], list[BuildWarning]]:
    """One file's text → its record, or every error found in it."""
    try:
        front, body, body_line = split_front_matter(text, path)
        data, located = _parse_yaml(front)
    except ContentError as exc:
        return None, [exc], []
    except _FrontMatterProblem as exc:
        return None, [ContentError(exc.message, path, exc.yaml_line + _YAML_LINE_OFFSET)], []
    except yaml.MarkedYAMLError as exc:
        return None, [_yaml_error(exc, path)], []
    except yaml.YAMLError as exc:
        return None, [ContentError(f"the front matter is not valid YAML: {exc}", path, 1)], []
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [ContentError("the front matter must be 'field: value' lines", path, 2)], []
    builder = _ArticleBuilder(path, data, located, config)
    article = builder.build(body, body_line, text)
    return article, builder.errors, builder.warnings


def _yaml_error(exc: yaml.MarkedYAMLError, path: Path) -> ContentError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + _YAML_LINE_OFFSET if mark is not None else 1
    problem = exc.problem or "cannot be read"
    if "constructor for the tag" in problem:
        quoted = re.search(r"'([^']+)'", problem)
        tag = (quoted.group(1) if quoted else "?").replace("tag:yaml.org,2002:", "!!")
        return ContentError(
            f"YAML tag '{tag}' is not allowed: front matter holds plain values only", path, line
        )
    hint = None
    context = exc.context_mark
    if exc.context and context is not None and mark is not None and context.line != mark.line:
        # "while parsing a flow sequence": say, in plain words, where the unclosed thing began.
        kinds = {
            "flow sequence": "[ … ] list",
            "flow mapping": "{ … } mapping",
            "quoted scalar": "quoted text",
        }
        kind = next((plain for word, plain in kinds.items() if word in exc.context), "value")
        hint = f"see the {kind} that starts on line {context.line + _YAML_LINE_OFFSET}"
    return ContentError(f"the front matter is not valid YAML: {problem}", path, line, hint)


class _ArticleBuilder:
    """Checks each field of one file's front matter, collecting every problem."""

    def __init__(self, path: Path, data: dict[Any, Any], located: _Located, config: Config):
        self.path = path
        self.data = data
        self.located = located
        self.config = config
        self.errors: list[NewsgenError] = []
        self.warnings: list[BuildWarning] = []

    def line(self, key: str) -> int:
        return self.located.lines.get(key, 1)

    def error(
        self, key: str, message: str, hint: str | None = None, line: int | None = None
    ) -> None:
        self.errors.append(ContentError(message, self.path, line or self.line(key), hint))

    def build(self, body: str, body_line: int, text: str) -> Article | None:
        self.check_fields()
        title = self.text("title", required=True)
        source = self.text("source", required=True)
        date, timestamp = self.date()
        language = self.language()
        countries = self.countries(language)
        tags = self.text_list("tags")
        summary = self.text("summary") or first_paragraph_text(body)
        source_url = self.url("source_url")
        author = self.text("author")
        story = self.name("story")
        slug = self.name("slug") if "slug" in self.data else self.slug_from(title, language)
        if self.errors:
            return None
        assert title and source and date and slug is not None
        return Article(
            path=self.path,
            slug=slug,
            title=title,
            date=date,
            source=source,
            language=language,
            countries=countries,
            tags=tags,
            summary=summary,
            source_url=source_url,
            author=author,
            story=story,
            timestamp=timestamp,
            body_line=body_line,
            body_digest=digest(body),
            digest=digest(text),
        )

    def check_fields(self) -> None:
        for key, value in self.data.items():
            if value == "TODO":
                self.warnings.append(
                    BuildWarning(f"'{key}' is still marked TODO", self.path, self.line(str(key)))
                )
        for key in REQUIRED:
            if key not in self.data:
                self.error(key, f"missing required field '{key}' ({REQUIRED[key]})")
        for key in self.data:
            if key in KNOWN_FIELDS:
                continue
            close = difflib.get_close_matches(str(key), KNOWN_FIELDS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else None
            message = f"unknown field '{key}'"
            if self.config.strict:
                self.error(str(key), message, hint)
            else:
                suffix = f" ({hint})" if hint else " is ignored"
                self.warnings.append(BuildWarning(message + suffix, self.path, self.line(str(key))))

    def text(self, key: str, required: bool = False) -> str | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if value is None and not required:
            return None
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.error(key, *self.wrong_type(key, value, "text"))
        return None

    def wrong_type(self, key: str, value: Any, wanted: str) -> tuple[str, str | None]:
        raw = self.located.raw.get(key, "")
        if isinstance(value, bool):
            return (
                f"'{key}' must be {wanted}, but {raw or value} was read as {str(value).lower()}",
                f'quote it: {key}: "{raw}"',
            )
        if isinstance(value, int | float):
            return f"'{key}' must be {wanted}, not a number", f'quote it: {key}: "{raw}"'
        if isinstance(value, str):
            return f"'{key}' must not be empty", None
        if value is None:
            return f"'{key}' is empty; it must be {wanted}", None
        kind = "a list" if isinstance(value, list) else "a mapping"
        return f"'{key}' must be {wanted}, not {kind}", None

    def date(self) -> tuple[dt.date | None, dt.datetime | None]:
        if "date" not in self.data:
            return None, None
        value = self.data["date"]
        raw = str(value).strip() if isinstance(value, str | int) else ""
        if not isinstance(value, str) or not raw:
            self.error("date", "'date' must be a date like 2021-10-14", None)
            return None, None
        try:
            if _DATE.fullmatch(raw):
                return dt.date.fromisoformat(raw), None
            stamp = dt.datetime.fromisoformat(raw.replace(" ", "T", 1))
            return stamp.date(), stamp
        except ValueError as exc:
            reason = str(exc)
            if _DATE.fullmatch(raw[:10]):
                self.error("date", f"'date' is not a real date: '{raw}' ({reason})")
            else:
                self.error(
                    "date",
                    f"'date' is not a date: '{raw}'",
                    "write it as YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS+hh:mm",
                )
            return None, None

    def language(self) -> str:
        value = self.data.get("language")
        if value is None:
            return self.config.language
        if not isinstance(value, str):
            self.error("language", *self.wrong_type("language", value, "a language code like 'de'"))
            return self.config.language
        code = value.strip().replace("_", "-")
        try:
            Locale.parse(code.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            self.error(
                "language", f"unknown language '{value}'", "use a code like 'en', 'de' or 'ru'"
            )
        return code

    def countries(self, language: str) -> tuple[str, ...]:
        value = self.data.get("countries")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(
                "countries",
                "'countries' must be a list",
                f"write it as a list: countries: [{self.located.raw.get('countries', '…')}]",
            )
            return ()
        codes: list[str] = []
        lines = self.located.items.get("countries", [])
        for index, item in enumerate(value):
            line, raw = lines[index] if index < len(lines) else (self.line("countries"), "")
            if isinstance(item, bool) and raw.lower() in _YAML_BOOLS:
                self.error(
                    "countries",
                    f"'{raw}' was read as {str(item).lower()}, not as a country",
                    f'quote it: "{raw}"',
                    line,
                )
                continue
            if not isinstance(item, str):
                self.error(
                    "countries", f"a country must be a name or code, not {item!r}", line=line
                )
                continue
            code = resolve_country(item, (language,))
            if code is None:
                guess = suggest_country(item)
                hint = (
                    f"did you mean '{guess}'?"
                    if guess
                    else "use a country name or an ISO code like 'UZ'"
                )
                self.error("countries", f"unknown country '{item}'", hint, line)
            elif code not in codes:
                codes.append(code)
        return tuple(codes)

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(
                key,
                f"'{key}' must be a list",
                f"write it as a list: {key}: [{self.located.raw.get(key, '…')}]",
            )
            return ()
        lines = self.located.items.get(key, [])
        result: list[str] = []
        for index, item in enumerate(value):
            line, raw = lines[index] if index < len(lines) else (self.line(key), "")
            if isinstance(item, str) and item.strip():
                if item.strip() not in result:
                    result.append(item.strip())
            else:
                self.error(
                    key, f"each of '{key}' must be text, not {item!r}", f'quote it: "{raw}"', line
                )
        return tuple(result)

    def url(self, key: str) -> str | None:
        value = self.text(key)
        if value is None:
            return None
        if not re.match(r"https?://[^\s/]+", value):
            self.error(
                key, f"'{key}' must be a web address starting with http:// or https://: '{value}'"
            )
            return None
        return value

    def name(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(key, *self.wrong_type(key, value, "text"))
            return None
        if not _SLUG.fullmatch(value):
            self.error(
                key,
                f"'{key}' must be one name of letters, digits, '-', '_' or '.': {value!r}",
                "it names a file, so it cannot hold '/', '\\', '..' or start with '.'",
            )
            return None
        return value

    def slug_from(self, title: str | None, language: str) -> str | None:
        if title is None:
            return None
        slug = make_slug(title, language)
        if not slug:
            self.error("title", "cannot make a file name from the title", "add a 'slug:' field")
            return None
        return slug


# --- the body --------------------------------------------------------------------------


def digest(text: str) -> str:
    """The sha256 of a text, as hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_INLINE_MARKUP = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links: their text
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


def read_body(article: Article) -> str:
    """Read an article's Markdown body again, checking it is the one that was loaded."""
    text = read_text(article.path)
    _, body, _ = split_front_matter(text, article.path)
    if digest(body) != article.body_digest:
        raise ContentError("the file changed during the build; build again", article.path)
    return body


# --- all files -------------------------------------------------------------------------


def find_article_files(source: Path) -> Iterator[Path]:
    """Every article file under the source folder, in a stable order; hidden ones skipped."""
    found: list[str] = []
    for top, folders, files in os.walk(source):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found.extend(
            os.path.join(top, n) for n in files if n.endswith(".md") and not n.startswith(".")
        )
    for name in sorted(found):
        yield Path(name)


def load_article(
    path: Path, config: Config, cache: RecordCache | None = None
) -> tuple[Article | None, list[NewsgenError], list[BuildWarning]]:
    """One file → its record, or its errors; an unchanged file is taken from the cache."""
    if path.is_symlink() and not path.resolve().is_relative_to(
        source := config.path("source").resolve()
    ):
        return (
            None,
            [ContentError(f"this link points outside {source.name}/: {path.resolve()}", path)],
            [],
        )
    try:
        stat = path.stat()
        if cache is not None and (hit := cache.by_stat(path, stat)) is not None:
            return hit.article, [], list(hit.warnings)
        text = read_text(path)
    except ContentError as exc:
        return None, [exc], []
    except OSError as exc:
        return None, [ContentError(f"cannot read the file: {exc.strerror}", path)], []
    if cache is not None and (hit := cache.by_digest(path, digest(text))) is not None:
        cache.keep(path, replace(hit, mtime_ns=stat.st_mtime_ns, size=stat.st_size))
        return hit.article, [], list(hit.warnings)
    article, errors, warnings = parse_article(path, text, config)
    if cache is not None and article is not None:
        entry = CachedRecord(
            stat.st_mtime_ns, stat.st_size, article.digest, article, tuple(warnings)
        )
        cache.keep(path, entry)
    return article, errors, warnings


def load_articles(
    config: Config, cache: RecordCache | None = None
) -> tuple[list[Article], list[NewsgenError], list[BuildWarning]]:
    """All files → records, with every error and warning found in any of them."""
    source = config.path("source")
    if not source.is_dir():
        return [], [ContentError("the articles folder does not exist", source)], []
    articles: list[Article] = []
    errors: list[NewsgenError] = []
    warnings: list[BuildWarning] = []
    for path in find_article_files(source):
        article, file_errors, file_warnings = load_article(path, config, cache)
        errors.extend(file_errors)
        warnings.extend(file_warnings)
        if article is not None:
            articles.append(article)
    errors.extend(find_clashes(articles, source.parent))
    return articles, errors, warnings


def find_clashes(articles: Iterable[Article], root: Path) -> list[NewsgenError]:
    """Two articles whose slugs would write one file (also on case-blind file systems)."""
    owners: dict[str, Article] = {}
    errors: list[NewsgenError] = []
    for article in sorted(articles, key=lambda a: a.path):
        key = article.slug.casefold()
        first = owners.setdefault(key, article)
        if first is not article:
            errors.append(
                ContentError(
                    f"slug '{article.slug}' is already used by {shown_path(first.path, root)}: "
                    "both would write the same page",
                    article.path,
                    1,
                    hint="give one of them its own 'slug:'",
                )
            )
    return errors
