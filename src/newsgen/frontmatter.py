"""A file's text → its front matter (a mapping, with the line of every value) and its body.

YAML is read with a safe loader that refuses duplicate keys, tags and aliases,
and leaves dates as text (the loader checks them, with a clear message). Every
problem becomes a ``ContentError`` naming the file and the line in the file:
YAML counts from the front matter's first line, so the offset is added here.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from newsgen.errors import ConfigError, ContentError, NewsgenError

_FENCE = re.compile(r"(---|\.\.\.)[ \t]*")
# The front matter starts on line 2 of the file; YAML counts from 0.
FRONT_MATTER_OFFSET = 2
# C0 controls but tab, line feed and carriage return, DEL and the C1 controls, and the two
# noncharacters XML forbids: none can stand in an Atom feed or be typed by an author.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def read_text(path: Path) -> str:
    """A file's text, or a ContentError saying why it is not an article's UTF-8 text."""
    data = path.read_bytes()
    if not data.strip():
        raise ContentError("the file is empty; an article starts with '---' front matter", path, 1)
    text = decode_text(data, path)
    check_characters(text, path)
    return text


# Unicode text in another form than UTF-8, known by its byte order mark (UTF-32's marks
# begin with UTF-16's: they come first), or, without one, by the zero bytes its first
# two characters carry when they are ASCII, as the XML standard tells them (Appendix F).
# Windows' Notepad and PowerShell's '>' write UTF-16.
_MARKED_FORMS = (
    ("UTF-32", "utf-32", (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)),
    ("UTF-16", "utf-16", (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)),
)
_UNMARKED_FORMS = (
    ("UTF-32", re.compile(rb"[^\x00]\x00\x00\x00|\x00\x00\x00[^\x00]")),
    ("UTF-16", re.compile(rb"[^\x00]\x00[^\x00]\x00|\x00[^\x00]\x00[^\x00]")),
)


def decode_text(data: bytes, path: Path) -> str:
    """Bytes as text: UTF-8 (with or without a byte order mark), or UTF-16 or UTF-32 with
    the mark that says which; else a ContentError saying why they are not text to read."""
    for name, codec, marks in _MARKED_FORMS:
        if data.startswith(marks):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                message = f"the file is not whole {name} text, as its first bytes say it is"
                raise ContentError(message, path, 1, hint="save it as UTF-8") from None
    for name, form in _UNMARKED_FORMS:
        if form.match(data):
            message = f"the file is {name} text without the mark that says which kind"
            raise ContentError(message, path, 1, hint="save it as UTF-8") from None
    if b"\x00" in data:
        line = line_at(data, data.index(b"\x00"))
        raise ContentError("this is not a text file (it holds binary data)", path, line)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContentError(
            f"the file is not UTF-8: byte 0x{data[exc.start]:02x} cannot be read",
            path,
            line_at(data, exc.start),
            hint="save it as UTF-8",
        ) from None


def line_at(text: str | bytes, index: int) -> int:
    """The line (from 1) that text[index] stands on, its lines ended as editors end them:
    by a line feed, a carriage return and line feed, or a carriage return alone."""
    if isinstance(text, bytes):  # latin-1: a character for each byte, the same counts
        text = text[:index].decode("latin-1")
    ends = text.count("\n", 0, index) + text.count("\r", 0, index)
    return ends - text.count("\r\n", 0, index) + 1


CONTROL_CHARACTERS = _CONTROL
_CONTROL_HINT = "delete it; it cannot be shown in a page or a feed"


def check_characters(text: str, path: Path, first_line: int = 1) -> None:
    """Refuse control characters, which no page or feed can carry."""
    found = _CONTROL.search(text)
    if found is not None:
        line = line_at(text, found.start()) + first_line - 1
        raise ContentError(_control_message(found.group()), path, line, hint=_CONTROL_HINT)


def _control_message(character: str) -> str:
    return f"the text holds the control character U+{ord(character):04X}"


# Lines as editors count them: str.splitlines() also ends one at U+2028, U+0085, a form feed…,
# which would put the body's first line, and every line after one, below where it is shown.
_EDITOR_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_front_matter(text: str, path: Path) -> tuple[str, str, int]:
    """Split a file into (front matter, body, the body's first line)."""
    # Line by line up to the closing fence only: the body is sliced, never split (every
    # article is split twice a build, once to load it and once to render its body).
    lines = _EDITOR_LINES.finditer(text)
    first = next(lines, None)
    if first is None or first.group().rstrip("\r\n").strip() != "---":
        raise ContentError(
            "no front matter: the file must begin with a '---' line",
            path,
            1,
            hint="see README.md for the article format",
        )
    for number, line in enumerate(lines, 2):
        if _FENCE.fullmatch(line.group().rstrip("\r\n")):
            return text[first.end() : line.start()], text[line.end() :], number + 1
    raise ContentError("the front matter is never closed: add a '---' line after it", path, 1)


@dataclass
class Located:
    """Where each top-level value stands in the file, and how it was written."""

    lines: dict[str, int] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    items: dict[str, list[tuple[int, str]]] = field(default_factory=dict)


def parse_front_matter(front: str, path: Path) -> tuple[dict[Any, Any], Located]:
    """Front-matter YAML → (mapping, where each value stands), or a ContentError."""
    data, located = parse_yaml(front, path, FRONT_MATTER_OFFSET, ContentError)
    if data is None:
        return {}, located
    if not isinstance(data, dict):
        raise ContentError("the front matter must be 'field: value' lines", path, 2)
    return data, located


def parse_yaml(
    text: str,
    path: Path,
    offset: int = FRONT_MATTER_OFFSET,
    error: type[NewsgenError] = ContentError,
    what: str = "the front matter",
) -> tuple[Any, Located]:
    """Plain YAML values and where they stand; a problem becomes `error` at path:line."""
    try:
        _check_line_breaks(text, what)
        return _parse(text, offset)
    except _Problem as exc:
        raise error(exc.message, path, exc.yaml_line + offset, exc.hint) from None
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(exc, text, path, offset, error, what) from None
    except yaml.YAMLError as exc:
        raise error(f"{what} is not valid YAML: {exc}", path, max(offset - 1, 1)) from None


# Characters YAML ends a line at, besides line feed and carriage return, that editors show
# inside a line: a value holding one would be cut in two, and YAML's count of every line
# after it would be one more than the editor's. Named here: U+0085 has no Unicode name.
_YAML_LINE_BREAKS = {
    "\x85": "NEXT LINE",
    "\u2028": "LINE SEPARATOR",
    "\u2029": "PARAGRAPH SEPARATOR",
}
_YAML_LINE_BREAK = re.compile(f"[{''.join(_YAML_LINE_BREAKS)}]")


def _check_line_breaks(text: str, what: str) -> None:
    """Refuse the line breaks that YAML sees and editors do not, at the line editors show."""
    found = _YAML_LINE_BREAK.search(text)
    if found is not None:
        character = found.group()
        name = _YAML_LINE_BREAKS[character]
        raise _Problem(
            f"{what} holds U+{ord(character):04X} ({name}), which YAML reads as a line break",
            line_at(text, found.start()) - 1,
            "delete it, or put a space or a line break in its place",
        )


def parse_settings(text: str, path: Path) -> tuple[Any, Located]:
    """A settings file's YAML, with the same safety as front matter, and where each stands."""
    return parse_yaml(text, path, 1, ConfigError, "cannot read the settings: the file")


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """A safe YAML loader that refuses duplicate keys and leaves dates as text."""

    offset = FRONT_MATTER_OFFSET

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise _Problem("a key must be plain text", key_node.start_mark.line)
            if key in seen:
                raise _Problem(
                    f"'{key}' is given twice (first on line {seen[key] + self.offset})",
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


class _Problem(Exception):
    def __init__(self, message: str, yaml_line: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.yaml_line = yaml_line
        self.hint = hint


class _Aliased(Exception):
    """A node met twice: an alias stands somewhere for it."""


def _parse(text: str, offset: int) -> tuple[Any, Located]:
    loader = _Loader(text)
    loader.offset = offset
    try:
        node = loader.get_single_node()
        if node is None:
            return None, Located()
        # Before any value is built: an alias makes a node appear twice, and a few
        # hundred bytes of nested aliases would expand to gigabytes.
        _check_nodes(node)
        data = loader.construct_document(node)
    except _Aliased:
        raise _alias_problem(text) from None
    except yaml.composer.ComposerError as exc:
        if "undefined alias" in str(exc.problem):  # refused as any alias is, defined or not
            raise _alias_problem(text) from None
        raise
    finally:
        loader.dispose()
    return data, _locate(node, offset)


def _alias_problem(text: str) -> _Problem:
    """Aliases refused, at the first one written: the node an alias stands for starts at
    its anchor, so the composed document knows only the anchor's line."""
    line = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent) and event.start_mark is not None:
                line = event.start_mark.line
                break
    except yaml.YAMLError:  # a later syntax error: the alias came first, or there was none
        pass
    return _Problem("YAML aliases (*name) are not allowed: write the value out again", line)


def _check_nodes(root: yaml.Node) -> None:
    """Refuse aliases, and control characters that YAML escapes ("\\x01", "\\0") let in."""
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            raise _Aliased()
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                pending.extend((key, value))
        elif isinstance(node, yaml.ScalarNode):
            found = _CONTROL.search(node.value)
            if found is not None:
                message = _control_message(found.group())
                raise _Problem(message, node.start_mark.line, _CONTROL_HINT)


def _locate(node: yaml.Node, offset: int) -> Located:
    located = Located()
    if not isinstance(node, yaml.MappingNode):
        return located
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key = str(key_node.value)
        located.lines[key] = value_node.start_mark.line + offset
        if isinstance(value_node, yaml.ScalarNode):
            located.raw[key] = str(value_node.value)
        elif isinstance(value_node, yaml.SequenceNode):
            located.items[key] = [
                (item.start_mark.line + offset, _scalar_text(item)) for item in value_node.value
            ]
    return located


def _scalar_text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


_UNCLOSED = {
    "flow sequence": "[ … ] list",
    "flow mapping": "{ … } mapping",
    "quoted scalar": "quoted text",
}


def _marked_error(
    exc: yaml.MarkedYAMLError,
    text: str,
    path: Path,
    offset: int,
    error: type[NewsgenError],
    what: str,
) -> NewsgenError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + offset if mark is not None else 1
    problem = exc.problem or "cannot be read"
    if "constructor for the tag" in problem:
        quoted = re.search(r"'([^']+)'", problem)
        tag = (quoted.group(1) if quoted else "?").replace("tag:yaml.org,2002:", "!!")
        return error(f"YAML tag '{tag}' is not allowed: {what} holds plain values only", path, line)
    character = _character_at(text, mark)
    if character == "\t" or "tab character" in problem:
        # libyaml names no character, and its words for a tab differ with where it stands.
        message = f"{what} is not valid YAML: a tab stands where YAML allows only spaces"
        return error(message, path, line, "indent with spaces")
    if "cannot start any token" in problem and character:
        message = f"{what} is not valid YAML: {character!r} cannot start a value"
        return error(message, path, line, "put the value in quotes")
    if "duplicate anchor" in str(exc.context) and exc.context_mark is not None:
        first = exc.context_mark.line + offset
        return error(f"a YAML anchor (&name) is given twice (first on line {first})", path, line)
    hint = None
    context = exc.context_mark
    if exc.context and context is not None and mark is not None and context.line != mark.line:
        # "while parsing a flow sequence": say, in plain words, where the unclosed thing began.
        kind = next((plain for word, plain in _UNCLOSED.items() if word in exc.context), "value")
        hint = f"see the {kind} that starts on line {context.line + offset}"
    return error(f"{what} is not valid YAML: {problem}", path, line, hint)


def _character_at(text: str, mark: yaml.Mark | None) -> str:
    """The character a YAML mark points at ('' past the end): its line and column count
    characters, with lines ended as YAML ends them (its other breaks are refused first)."""
    if mark is None:
        return ""
    lines = re.split(r"\r\n|\r|\n", text)
    if mark.line >= len(lines):
        return ""
    return lines[mark.line][mark.column : mark.column + 1]
