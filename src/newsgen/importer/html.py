"""A saved web page (HTML) → the article block and the page's own metadata.

trafilatura finds the article's text; the page's metadata (JSON-LD ``NewsArticle``,
OpenGraph, ``<time>``, ``<html lang>``) is read first, since a page's statement of its
headline, date and publisher is better than any guess from its text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from newsgen.importer.extract import UNTITLED, Extract
from newsgen.importer.furniture import is_furniture
from newsgen.importer.sources import strip_site_name

_ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle"}
_META_KEYS = {
    "og:title": "og:title",
    "og:url": "url",
    "og:site_name": "site_name",
    "og:description": "description",
    "description": "description",
    "article:published_time": "published",
    "og:article:published_time": "published",
    "date": "published",
    "pubdate": "published",
}
_BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "section",
           "article", "aside", "nav", "figure", "figcaption", "time", "span", "br", "tr", "td",
           "ul", "ol", "main", "button", "a"}  # fmt: skip
_XML_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*\?>")
_METHOD = "a saved page, its text taken by trafilatura"
_PROSE = re.compile(r"[.!?…][\"”»']?$")


def extract_html(raw: str) -> Extract:
    """Find the article in a saved page: title, paragraphs, date and publisher where stated."""
    import lxml.html
    import trafilatura

    # lxml refuses a decoded text that declares its encoding, as a saved XHTML page does.
    raw = _XML_DECLARATION.sub("", raw, count=1)
    try:
        tree = lxml.html.document_fromstring(raw)
    except lxml.etree.ParserError:  # nothing but white space and comments: no page at all
        return Extract(UNTITLED, (), (), (), method=_METHOD)
    meta = _metadata(tree)
    document = trafilatura.bare_extraction(
        raw,
        with_metadata=True,
        include_comments=False,
        date_extraction_params={"original_date": True, "extensive_search": True},
    )
    found: dict[str, Any] = (
        document if isinstance(document, dict) else document.as_dict() if document else {}
    )
    title = strip_site_name(
        meta.get("headline") or meta.get("og:title") or found.get("title") or UNTITLED
    )
    lines = [line.strip() for line in (found.get("text") or "").split("\n") if line.strip()]
    body, removed = _clean(lines, title)
    visible = _visible_lines(tree)
    return Extract(
        title=title,
        body=tuple(body),
        header=tuple(_above(visible, title)),
        footer=tuple(visible[-12:]),
        summary=None,
        removed=tuple(removed),
        published=meta.get("published"),
        publisher=meta.get("publisher") or found.get("sitename"),
        url=meta.get("url") or found.get("url"),
        author=meta.get("author") or found.get("author"),
        language=meta.get("language"),
        method=_METHOD,
    )


def _metadata(tree: Any) -> dict[str, str]:
    """What the page says of itself: JSON-LD first, then OpenGraph and other <meta>, <time>."""
    meta: dict[str, str] = {}
    for item in _json_ld(tree):
        if _types(item) & _ARTICLE_TYPES:
            _take(meta, "headline", item.get("headline"))
            _take(meta, "published", item.get("datePublished"))
            _take(meta, "language", item.get("inLanguage"))
            _take(meta, "publisher", _name(item.get("publisher")))
            _take(meta, "author", _name(item.get("author")))
    for element in tree.iter("meta"):
        key = element.get("property") or element.get("name") or ""
        if key in _META_KEYS:
            _take(meta, _META_KEYS[key], element.get("content"))
    for element in tree.iter("time"):
        _take(meta, "published", element.get("datetime"))
    _take(meta, "language", tree.get("lang"))
    _take(meta, "publisher", meta.get("site_name"))
    return meta


def _json_ld(tree: Any) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if script.get("type") != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                stack.extend(item.get("@graph", []))
                yield item


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type", [])
    return {kind} if isinstance(kind, str) else {str(k) for k in kind}


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        names = [_name(v) for v in value]
        return ", ".join(n for n in names if n) or None
    if isinstance(value, dict):
        return _name(value.get("name"))
    return value.strip() if isinstance(value, str) and value.strip() else None


def _take(meta: dict[str, str], key: str, value: Any) -> None:
    if isinstance(value, str) and value.strip() and key not in meta:
        meta[key] = value.strip()


def _clean(lines: list[str], title: str) -> tuple[list[str], list[str]]:
    """The extracted text without furniture, the headline, and the kicker lines above the text."""
    body: list[str] = []
    removed: list[str] = []
    for line in lines:
        if is_furniture(line) or line == title or line.endswith(" " + title):
            removed.append(line)
        elif not body and not _PROSE.search(line):
            removed.append(line)  # a kicker or a dateline's city above the first paragraph
        else:
            body.append(line)
    return body, removed


def _visible_lines(tree: Any) -> list[str]:
    """The page's text as a reader sees it, a line per block, for dates and credits."""
    for element in tree.xpath("//script|//style|//noscript|//template"):
        element.drop_tree()
    for element in tree.iter(*_BLOCKS):  # each block on its own line, as a browser shows it
        element.tail = "\n" + (element.tail or "")
        element.text = "\n" + (element.text or "")
    text = tree.text_content()
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.split("\n")]
    return [line for line in lines if line]


def _above(lines: list[str], title: str) -> list[str]:
    """The lines from the top of the page to a few past the headline's last showing."""
    last = max((i for i, line in enumerate(lines) if title and title in line), default=-1)
    return lines[: last + 6] if last >= 0 else lines[:20]
