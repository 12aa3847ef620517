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

# An inline link or image, [text](target "title") or [text](<target>), and a reference
# definition, [name]: target. The text in brackets is not read: only what follows it.
_INLINE = re.compile(r"\]\(\s*(?:<([^<>\n]+)>|([^\s()<>]+))")
_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*(?:<([^<>\n]+)>|(\S+))", re.MULTILINE)
# Code is shown, not followed: fenced blocks and code spans are left out before looking.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TICKS = re.compile(r"`+")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def file_links(body: str) -> tuple[str, ...]:
    """The relative links of a Markdown body to '.md' files, as written (without any
    '#part'), each once, in the order they first appear."""
    if ".md" not in body:  # most bodies: nothing to look for
        return ()
    text = _without_code_spans(_without_fences(body))
    found: dict[str, None] = {}
    for pattern in (_INLINE, _DEFINITION):
        for match in pattern.finditer(text):
            target = _file_part(match[1] or match[2])
            if target is not None:
                found.setdefault(target, None)
    return tuple(found)


def _without_code_spans(text: str) -> str:
    """The text with each code span's content blanked: a run of backticks opens one that
    the next run of the same length closes (an unclosed run is text).

    In one pass over the runs, in time linear in the text however many are unclosed.
    """
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(text)]
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


def _without_fences(body: str) -> str:
    """The body with its fenced code blocks' lines emptied (their line breaks kept)."""
    lines = body.split("\n")
    fence: str | None = None
    for index, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence is None:
            if opened:
                fence = opened[1]
                lines[index] = ""
        else:
            if opened and opened[1][0] == fence[0] and len(opened[1]) >= len(fence):
                fence = None
            lines[index] = ""
    return "\n".join(lines)


def _file_part(target: str) -> str | None:
    """A link's target when it names a Markdown file relative to the body's own: its path
    without '#part'; else None (an address with a scheme, one from the site's root, an
    anchor, or a file of another kind)."""
    if _SCHEME.match(target) or target.startswith(("/", "\\", "#", "?")):
        return None
    path = re.split(r"[#?]", target, maxsplit=1)[0]
    return path if path.endswith(".md") and path != ".md" else None


def resolve(article_file: Path, target: str) -> Path:
    """The file a link of an article's body names: relative to the article's folder."""
    return Path(os.path.normpath(article_file.parent / unquote(target)))


def line_of(text: str, target: str, body_line: int) -> int:
    """The line of a file on which a body's first link to target is written (its body
    begins on body_line); body_line when it cannot be found."""
    for pattern in (_INLINE, _DEFINITION):
        for match in pattern.finditer(text):
            if _file_part(match[1] or match[2]) == target:
                return body_line + text.count("\n", 0, match.start())
    return body_line


# A link in rendered, sanitised HTML: its value is in double quotes, '&' written '&amp;'.
_HREF = re.compile(r'(\bhref=")([^"#?]*\.md)([#?][^"]*)?"')


def point_links(
    rendered: str, targets: Mapping[str, str | None], relative: Callable[[str], str]
) -> str:
    """A body's rendered HTML with each link to an article's file leading to its page.

    targets: each link's target as written → the page's address (None: no article);
    relative: an address → the link to it from the page the body is shown on.
    """

    def point(match: re.Match[str]) -> str:
        address = targets.get(html.unescape(match[2]))
        if address is None:
            return match[0]
        return f'{match[1]}{html.escape(relative(address))}{match[3] or ""}"'

    return _HREF.sub(point, rendered)
