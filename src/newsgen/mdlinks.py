"""Links from one article's body to another article's file, as an author writes them.

An author links to another report by its file (``[the first report](2021-10-14-talks.md)``),
which stays true whatever address the site's permalink pattern gives it. Loading finds
such links in the Markdown (``file_links``); planning resolves each to the article it
names; rendering puts that article's page in the link (``point_links``). A link to a file
that is no article of the archive is a warning at its line.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import unquote

# An inline link or image, [text](target "title") or [text](<target>) (a target may hold
# balanced parentheses), and a reference definition, [name]: target. The text in brackets
# is not read: only what follows it.
_INLINE = re.compile(r"\]\(\s*(?:<([^<>\n]+)>|([^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*))")
_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*(?:<([^<>\n]+)>|(\S+))", re.MULTILINE)
# Code is shown, not followed: fenced and indented blocks and code spans are left out.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INDENTED = re.compile(r"^(?: {4}|\t)")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_BLANK = re.compile(r"^[ \t]*$")
_BLANK_LINES = re.compile(r"(\n[ \t]*\n)")  # between blocks, kept by split
_TICKS = re.compile(r"`+")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def file_links(body: str) -> tuple[str, ...]:
    """The relative links of a Markdown body to '.md' files, each once, in the order they
    first appear: their paths as the rendered page has them (Markdown's escapes and
    character references undone), without any '#part'."""
    return tuple(link_lines(body))


def link_lines(body: str) -> dict[str, int]:
    """Each link of file_links → the line of the body it is first written on (from 0)."""
    if ".md" not in body:  # most bodies: nothing to look for
        return {}
    # Line ends as Markdown reads them: a file saved on Windows ends each in "\r\n".
    text = _prose(body.replace("\r\n", "\n").replace("\r", "\n"))
    found: dict[str, int] = {}
    matches = [*_INLINE.finditer(text), *_DEFINITION.finditer(text)]
    line = counted = 0  # lines are counted on from the last link, once over the text
    for match in sorted(matches, key=lambda m: m.start()):
        target = _file_part(match[1] or match[2] or "")
        if target is not None and target not in found:
            line += text.count("\n", counted, match.start())
            counted = match.start()
            found[target] = line
    return found


def _prose(body: str) -> str:
    """The body with its code blanked (fenced and indented blocks, code spans), each line
    where it was: what is left is what Markdown reads as prose and links."""
    lines = body.split("\n")
    fence: str | None = None
    after_blank, in_code, in_list = True, False, False
    for index, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence is not None:  # inside a fenced block, until its closing fence
            if opened and opened[1][0] == fence[0] and len(opened[1]) >= len(fence):
                fence = None
            lines[index] = ""
            continue
        if _BLANK.match(line):
            after_blank = True
            continue
        indented = _INDENTED.match(line) is not None
        if opened:
            fence, lines[index] = opened[1], ""
        elif indented and (after_blank or in_code) and not in_list:
            in_code, lines[index] = True, ""  # an indented code block
        else:
            in_code = False
            if _LIST_ITEM.match(line):
                in_list = True
            elif after_blank and not indented:
                in_list = False  # a paragraph of its own ends the list
        after_blank = False
    # Code spans open and close within a block: a stray backtick does not reach past it.
    blocks = _BLANK_LINES.split("\n".join(lines))
    return "".join(_without_code_spans(block) for block in blocks)


def _without_code_spans(text: str) -> str:
    """The text with each code span's content blanked: a run of backticks opens one that
    the next run of the same length closes (an unclosed or escaped run is text).

    In one pass over the runs, in time linear in the text however many are unclosed.
    """
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(text) if not _escaped(text, m.start())]
    if len(runs) < 2:
        return text
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    next_of = dict.fromkeys(by_length, 0)  # per length: the first run not yet passed
    parts: list[str] = []
    done = index = 0
    while index < len(runs):
        start, end = runs[index]
        same = by_length[end - start]
        at = next_of[end - start]
        while at < len(same) and same[at] <= index:
            at += 1
        next_of[end - start] = at
        if at == len(same):  # no run closes it
            index += 1
            continue
        close = runs[same[at]][0]
        parts += [text[done:end], re.sub(r"[^\n]", " ", text[end:close])]
        done, index = close, same[at] + 1
    parts.append(text[done:])
    return "".join(parts)


def _escaped(text: str, at: int) -> bool:
    """Whether the character at `at` follows an odd run of backslashes."""
    count = 0
    while at - count > 0 and text[at - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _file_part(written: str) -> str | None:
    """A link's target when it names a Markdown file relative to the body's own: its path
    as the page will have it, without '#part'; else None (an address with a scheme, one
    from the site's root, an anchor, or a file of another kind)."""
    target = html.unescape(_ESCAPED.sub(r"\1", written))
    if _SCHEME.match(target) or target.startswith(("/", "\\", "#", "?")):
        return None
    path = re.split(r"[#?]", target, maxsplit=1)[0]
    return path if path.endswith(".md") and path != ".md" else None


def resolve(article_file: Path, target: str) -> Path:
    """The file a link of an article's body names, relative to the article's folder; a
    backslash is a slash, as browsers read it, on every system."""
    parts = unquote(target).replace("\\", "/").split("/")
    return Path(os.path.normpath(os.path.join(article_file.parent, *parts)))


# A link in rendered, sanitised HTML: its value is in double quotes, '&' written '&amp;'.
_HREF = re.compile(r'(\bhref=")([^"#?]*\.md)([#?][^"]*)?"')


def point_links(
    rendered: str,
    targets: Mapping[str, str | None],
    relative: Callable[[str], str],
    section: Callable[[str, str], str],
) -> str:
    """A body's rendered HTML with each link to an article's file leading to its page.

    targets: each link's target as written → the page's address (None: no article);
    relative: an address → the link to it from the page the body is shown on; section:
    a page's address and a heading's name in a link ('x.md#methods') → its id there.
    """

    def point(match: re.Match[str]) -> str:
        address = targets.get(html.unescape(match[2]))
        if address is None:
            return match[0]
        rest = match[3] or ""
        if rest.startswith("#") and len(rest) > 1:
            rest = "#" + html.escape(section(address, unquote(html.unescape(rest[1:]))))
        return f'{match[1]}{html.escape(relative(address))}{rest}"'

    return _HREF.sub(point, rendered)
