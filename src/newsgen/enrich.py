"""Records → the ``Archive``: timeline order, groups by country and year, stories, neighbours."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from newsgen.model import Article, Story


@dataclass(frozen=True)
class Archive:
    """Every index the pages are made from, derived once from the records."""

    articles: tuple[Article, ...]
    """Timeline order: oldest first."""
    by_country: dict[str, tuple[Article, ...]]
    """Country code → its articles, newest first; codes sorted."""
    by_year: dict[int, tuple[Article, ...]]
    """Year → its articles, oldest first; years ascending."""
    stories: dict[str, Story]
    """Story key → the articles that share it (only keys two or more articles share)."""
    previous: dict[str, Article]
    """Address → the article before it in time."""
    following: dict[str, Article]
    """Address → the article after it in time."""

    def newest(self, count: int) -> tuple[Article, ...]:
        """The newest articles, newest first."""
        return tuple(reversed(self.articles[-count:])) if count > 0 else ()

    def story_of(self, article: Article) -> tuple[Article, ...]:
        """The other articles of an article's story, in timeline order."""
        if article.story is None or article.story not in self.stories:
            return ()
        return tuple(a for a in self.stories[article.story].articles if a.url != article.url)


def build_archive(records: Iterable[Article]) -> Archive:
    """Order the records and build every group the pages need."""
    articles = tuple(sorted(records, key=lambda a: a.sort_key))
    by_country: defaultdict[str, list[Article]] = defaultdict(list)
    by_year: defaultdict[int, list[Article]] = defaultdict(list)
    by_story: defaultdict[str, list[Article]] = defaultdict(list)
    for article in articles:
        for code in article.countries:
            by_country[code].append(article)
        by_year[article.year].append(article)
        if article.story:
            by_story[article.story].append(article)
    previous = {b.url: a for a, b in itertools.pairwise(articles)}
    following = {a.url: b for a, b in itertools.pairwise(articles)}
    return Archive(
        articles=articles,
        by_country={code: tuple(reversed(by_country[code])) for code in sorted(by_country)},
        by_year={year: tuple(by_year[year]) for year in sorted(by_year)},
        stories={
            key: Story(key, tuple(group))
            for key, group in sorted(by_story.items())
            if len(group) > 1
        },
        previous=previous,
        following=following,
    )
