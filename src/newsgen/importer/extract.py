"""What extraction finds in a page: the article, what stands around it, the page's metadata."""

from __future__ import annotations

from dataclasses import dataclass

UNTITLED = "Untitled"
"""The title an extract stands in where the page has none."""


@dataclass(frozen=True)
class Extract:
    """A page taken apart: the article (title, paragraphs) and where its date and source may be."""

    title: str
    body: tuple[str, ...]
    header: tuple[str, ...]
    """The lines above the article, nearest last: kicker, date, byline, the site's name."""
    footer: tuple[str, ...]
    """The lines below it: credits, copyright, related lists."""
    summary: str | None = None
    removed: tuple[str, ...] = ()
    """The lines dropped as page furniture, for the author to glance over."""
    published: str | None = None
    """A publication date the page's metadata states (ISO 8601), from HTML only."""
    publisher: str | None = None
    """The publisher or site name the page's metadata states, from HTML only."""
    url: str | None = None
    """The page's own address, as its metadata states it."""
    author: str | None = None
    language: str | None = None
    """The language the page declares (``<html lang>``, JSON-LD ``inLanguage``)."""
    method: str = "a copied page's text, its furniture removed"
    """How the article was taken from the page, for the draft's notes."""

    @property
    def found_nothing(self) -> bool:
        """Whether extraction found neither a headline nor a paragraph: no article to draft."""
        return not self.body and self.title == UNTITLED
