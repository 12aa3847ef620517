"""A whole-page text copy (select all, copy) → the article block, its title and what surrounds it.

jusText's method: every line is a paragraph, classified as content or boilerplate by
its length and the density of the language's stop words, then revised by its
neighbours. Lines of known page furniture are boilerplate whatever their shape. The
article is the longest run of content; its title is the line above it that reads as
its headline.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from newsgen.importer.extract import UNTITLED, Extract
from newsgen.importer.furniture import is_furniture, is_list_head
from newsgen.importer.language import detect_language

# Content lines further apart than this many boilerplate lines are two runs, not one.
_MAX_GAP = 3
# How far above the article its headline may stand (kicker, date, byline, caption between).
_HEADER_REACH = 16
_SENTENCE_END = re.compile(r"[.!?…][\"”»']?$")
_WORD = re.compile(r"[^\W\d_]{4,}")


def extract_text(raw: str, language: str | None = None) -> Extract:
    """Find the article in a copied page: title, paragraphs, and the lines around them."""
    lines = [_drop_caption(re.sub(r"\s+", " ", line).strip()) for line in raw.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return Extract(UNTITLED, (), (), ())
    language = language or detect_language(_prose_sample(lines))
    junk = _furniture_marks(lines)
    good = _classify(lines, junk, language)
    if not any(good):  # no stop words to go by (a language jusText lacks): judge by shape
        good = [not flag and _is_prose(line) for line, flag in zip(lines, junk, strict=True)]
    start, end = _longest_run(lines, good)
    start = _article_start(lines, good, junk, start, end)
    title_at = _find_title(lines, good, junk, start, end)
    if title_at is None:
        title, body_from = _title_from_body(lines[start])
        start = start if body_from == 0 else start + 1
    else:
        title = lines[title_at]
    kept = [
        line
        for index, line in enumerate(lines[start:end], start)
        if good[index] and line != title and not junk[index]
    ]
    removed = [
        line
        for index, line in enumerate(lines)
        if index != title_at and not (start <= index < end and good[index])
    ]
    header_from = title_at if title_at is not None else start
    summary = _standfirst(lines, junk, header_from, start)
    return Extract(
        title=title,
        body=tuple(kept),
        header=tuple(lines[:start]),
        footer=tuple(lines[end:]),
        summary=summary,
        removed=tuple(line for line in removed if line != summary),
    )


# A photo's caption and credit run into the dateline when a page is copied:
# "Uzbek President Islam Karimov (file photo) (AFP) Moscow, 14 November 2005 (RFE/RL) --".
_CREDIT = re.compile(r"\((?:file photo|photo|AFP|AP|Reuters|EPA|Getty Images|dpa)\)\s+", re.I)
_DATELINE_START = re.compile(r"[A-Z][\w.'-]*(?: [\w.'-]+){0,3}, \d")
_CAPTION_REACH = 200


def _drop_caption(line: str) -> str:
    """A line without the caption and photo credit that a copy ran into its dateline."""
    cut = 0
    for match in _CREDIT.finditer(line, 0, _CAPTION_REACH):
        cut = match.end()
    if cut and _DATELINE_START.match(line, cut):
        return line[cut:]
    return line


def _prose_sample(lines: Sequence[str]) -> str:
    """The lines that read as prose, where a page's language shows rather than in its menus."""
    prose = [line for line in lines if len(line.split()) >= 10]
    return " ".join(prose or lines)[:4000]


def _furniture_marks(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it is furniture; the entries of a 'Related' list count too."""
    marks: list[bool] = []
    in_list = False
    for line in lines:
        if is_list_head(line):
            in_list = True
            marks.append(True)
            continue
        furniture = is_furniture(line)
        # A list of other headlines runs until prose or the next piece of furniture.
        in_list = in_list and not furniture and not _is_prose(line)
        marks.append(in_list or furniture)
    return marks


def _is_prose(line: str) -> bool:
    return len(line.split()) >= 8 and bool(_SENTENCE_END.search(line))


def _classify(lines: Sequence[str], junk: Sequence[bool], language: str) -> list[bool]:
    """jusText's verdict on each line (content or not), furniture forced to boilerplate."""
    from justext.core import (
        ParagraphMaker,
        classify_paragraphs,
        html_to_dom,
        preprocessor,
        revise_paragraph_classification,
    )

    page = "<html><body>" + "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    paragraphs = ParagraphMaker.make_paragraphs(preprocessor(html_to_dom(page + "</body></html>")))
    if len(paragraphs) != len(lines):  # jusText merged or dropped one: judge by shape alone
        return [not flag and _is_prose(line) for line, flag in zip(lines, junk, strict=True)]
    # News paragraphs are shorter than the web pages jusText's defaults were set for.
    classify_paragraphs(
        paragraphs,
        _stoplist(language),
        length_low=40,
        length_high=100,
        stopwords_low=0.2,
        stopwords_high=0.3,
    )
    for paragraph, flag in zip(paragraphs, junk, strict=True):
        if flag:
            paragraph.cf_class = "bad"
    revise_paragraph_classification(paragraphs)
    return [p.class_type == "good" for p in paragraphs]


def _stoplist(language: str) -> frozenset[str]:
    """jusText's stop words for a language (by its English name), or none."""
    import justext
    from babel import UnknownLocaleError

    from newsgen.locales import parse_locale

    try:
        name = parse_locale(language).get_language_name("en")
    except (ValueError, LookupError, UnknownLocaleError):
        return frozenset()
    if name and name in justext.get_stoplists():
        return frozenset(justext.get_stoplist(name))
    return frozenset()


def _longest_run(lines: Sequence[str], good: Sequence[bool]) -> tuple[int, int]:
    """The [start, end) of the run of content lines with the most text, gaps allowed."""
    best = (0, 0, -1)
    start = None
    weight = 0
    last = -1
    for index, is_good in enumerate(good):
        if not is_good:
            continue
        if start is None or index - last - 1 > _MAX_GAP:
            start, weight = index, 0
        weight += len(lines[index])
        last = index
        if weight > best[2]:
            best = (start, index + 1, weight)
    if best[2] < 0:
        return 0, len(lines)
    return best[0], best[1]


def _article_start(
    lines: Sequence[str], good: Sequence[bool], junk: Sequence[bool], start: int, end: int
) -> int:
    """Where the article proper begins: the first two paragraphs of prose in a row.

    A run of content often takes in the headline, a standfirst, a byline and a photo
    caption above the text; they belong to the header, where the title is looked for.
    """
    for index in range(start, min(end - 1, start + _HEADER_REACH)):
        pair = (index, index + 1)
        if all(good[i] and not junk[i] and _is_prose(lines[i]) for i in pair):
            return index
    return start


def _find_title(
    lines: Sequence[str], good: Sequence[bool], junk: Sequence[bool], start: int, end: int
) -> int | None:
    """The index of the headline: the line above the article that shares most of its words."""
    body_words = _stems(" ".join(lines[start:end]))
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    best: tuple[float, int] | None = None
    for index in range(max(0, start - _HEADER_REACH), start):
        line = lines[index]
        if junk[index] or not _headline_shaped(line) or is_furniture(line, around=True):
            continue
        words = _stems(line)
        if not words:
            continue
        shared = len(words & body_words)
        score = shared * shared / len(words) + (1.0 if counts[line] > 1 else 0.0)
        if best is None or score > best[0] + 1e-9:
            best = (score, index)
    if best is None or best[0] < 0.5:
        return None
    return best[1]


def _headline_shaped(line: str) -> bool:
    words = line.split()
    return (
        len(_WORD.findall(line)) >= 3
        and len(words) <= 30
        and len(line) <= 250
        and not _SENTENCE_STOP.search(line)
    )


_SENTENCE_STOP = re.compile(r"[.:][\"”»']?$")


def _stems(text: str) -> set[str]:
    """The words of a text, cut to five letters: near enough to match inflected forms."""
    return {word[:5].casefold() for word in _WORD.findall(text)}


def _title_from_body(first: str) -> tuple[str, int]:
    """A title when nothing stands above the article: its first line, or its first clause."""
    if (len(first) <= 160 and not first.endswith((".", "!", "?"))) or len(first) <= 100:
        return first, 1
    sentence = re.split(r"(?<=[.!?])\s", first)[0].rstrip(".")
    clause = sentence.split(", ")[0]
    words = (clause if len(clause.split()) >= 6 else sentence).split()
    return " ".join(words[:16]) + ("…" if len(words) > 16 else ""), 0


def _standfirst(
    lines: Sequence[str], junk: Sequence[bool], title_at: int, start: int
) -> str | None:
    """A sentence between the headline and the article that sums it up, if there is one."""
    for index in range(title_at + 1, start):
        line = lines[index]
        if junk[index] or is_furniture(line, around=True):
            continue
        if len(line.split()) >= 6 and line.endswith((".", "!", "?")):
            return line
    return None
