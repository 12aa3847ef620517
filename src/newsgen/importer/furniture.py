"""Page furniture: the lines of a copied news page that are never article text.

The phrases are data (``newsgen/data/furniture.yaml``). Every kind of entry is
matched so that the time taken grows linearly with a line's length: whole-line
patterns only on lines short enough to be furniture, prefixes with ``match``,
and phrases with one ``search`` of their alternation.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

# A line longer than this is prose or a legal notice, never a menu item or a button.
_WHOLE_LINE_LIMIT = 200


@dataclass(frozen=True)
class _Patterns:
    whole: re.Pattern[str]
    starts: re.Pattern[str]
    contains: re.Pattern[str]
    list_heads: re.Pattern[str]
    around: re.Pattern[str]
    captions: re.Pattern[str]
    barrier: re.Pattern[str]


@functools.cache
def _patterns() -> _Patterns:
    """The furniture table, compiled once."""
    text = resources.files("newsgen").joinpath("data/furniture.yaml").read_text("utf-8")
    table: dict[str, list[str]] = yaml.safe_load(text)

    def join(kind: str) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p})" for p in table[kind]), re.IGNORECASE)

    return _Patterns(
        join("whole"),
        join("starts"),
        join("contains"),
        join("list_heads"),
        join("around"),
        join("captions"),
        join("barrier"),
    )


def is_furniture(line: str, around: bool = False) -> bool:
    """Whether a stripped line is page furniture (menus, buttons, credits, legal lines).

    With `around`, the line stands outside the article, where bylines, captions and
    timestamps are furniture too.
    """
    patterns = _patterns()
    if around and (patterns.around.search(line) or patterns.captions.search(line)):
        return True
    if len(line) <= _WHOLE_LINE_LIMIT and (
        patterns.whole.fullmatch(line)
        # A bar of several pieces even as a heading ("## Share this: Twitter Facebook");
        # a heading of one word ("## Economy") may be a section of the text.
        or _made_of(_MARKUP.sub("", line), patterns.whole)
    ):
        return True
    return bool(
        patterns.starts.match(line)
        or patterns.contains.search(line)
        or patterns.barrier.search(line)
    )


def is_barrier(line: str) -> bool:
    """Whether a line is a subscriber's barrier ("Subscribe to unlock this article"): the
    page then holds only the start of the text."""
    return bool(_patterns().barrier.search(line))


# Markdown's marks at a line's start: a heading, a list item, a quote.
_MARKUP = re.compile(r"^(?:#{1,6}\s+|[-*+]\s+|>\s*)+")
# What parts a bar of buttons or links: "Share this: Twitter Facebook", "Drucken | Teilen".
_PART = re.compile(r"[^\s:|·•,/–—]+")


def _made_of(line: str, whole: re.Pattern[str]) -> bool:
    """Whether a line is several pieces of furniture in a row, each a whole entry: a share
    bar with its label, a row of menu items. A line of prose holds a word that is none.

    Which runs of words make the pieces is found by trying each run (a word may end one
    entry or belong to a longer one: "share" and "share this"): some hundreds of matches
    of short slices for a line of 200 characters.
    """
    words = [(m.start(), m.end()) for m in _PART.finditer(line)]
    if len(words) < 2:
        return False
    covered = [True] + [False] * len(words)  # covered[k]: words[:k] are whole pieces
    for end in range(1, len(words) + 1):
        stop = words[end - 1][1]
        covered[end] = any(
            covered[start] and whole.fullmatch(line, words[start][0], stop) for start in range(end)
        )
    return covered[-1]


def is_list_head(line: str) -> bool:
    """Whether a line heads a list of other articles ("Related", "Читайте также")."""
    return len(line) <= _WHOLE_LINE_LIMIT and bool(_patterns().list_heads.fullmatch(line))


def is_caption(line: str) -> bool:
    """Whether a line is a photo's caption or credit ("… REUTERS/Pavel Mikheyev/File Photo")."""
    return bool(_patterns().captions.search(line))
