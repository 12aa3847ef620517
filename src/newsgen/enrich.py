"""Records → the ``Archive``: timeline order, groups by country, year, story and topic,
neighbours, related reports and the countries each text mentions."""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from newsgen.countries import existed
from newsgen.fields import tag_key
from newsgen.model import Article, Document, Story, Topic
from newsgen.urls import make_slug, reserved_name

RELATED_COUNT = 5
"""How many related reports an article page shows."""
RELATED_WINDOW = 12
"""How many neighbours in time, on each side, each shared country or topic offers as
candidates: related reports are found from an index in time linear in the archive, never
by comparing every pair, and a report far away in time would rank low anyway."""


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
    """Story key → the articles that share it; keys sorted."""
    previous: dict[str, Article]
    """Address → the article before it in time."""
    following: dict[str, Article]
    """Address → the article after it in time."""
    topics: dict[str, Topic] = field(default_factory=dict)
    """Topic slug → its topic; in alphabetical order of names."""
    topic_slugs: dict[str, str] = field(default_factory=dict)
    """Folded tag (see ``topic_key``) → its topic's slug."""
    mentions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Address → countries its text names that its front matter does not list ("also mentioned")."""
    mentioned_in: dict[str, tuple[Article, ...]] = field(default_factory=dict)
    """Country code → articles that mention it without being about it, newest first."""
    related: dict[str, tuple[Article, ...]] = field(default_factory=dict)
    """Address → up to RELATED_COUNT related reports, the most related first."""
    about: Document | None = None
    """The project's page about the archive, when it has one."""
    related_memo: RelatedMemo | None = field(default=None, compare=False, repr=False)
    """What the related lists were chosen from, for the next build (see build_archive)."""

    def newest(self, count: int) -> tuple[Article, ...]:
        """The newest articles, newest first."""
        return tuple(reversed(self.articles[-count:])) if count > 0 else ()

    def story_of(self, article: Article) -> tuple[Article, ...]:
        """The other articles of an article's story, in timeline order."""
        if article.story is None or article.story not in self.stories:
            return ()
        return tuple(a for a in self.stories[article.story].articles if a.url != article.url)

    def topics_of(self, article: Article) -> tuple[tuple[str, str], ...]:
        """An article's topics as (name as the article writes it, topic slug)."""
        return tuple((tag, self.topic_slugs[topic_key(tag)]) for tag in article.tags)


# Remembered: an archive has few tags, asked for 800,000 times in a build of 100,000.
topic_key = functools.lru_cache(maxsize=1 << 14)(tag_key)
"""A tag as one topic: case and runs of spaces do not matter (fields.tag_key)."""


def build_archive(
    records: Iterable[Article],
    mentions: Mapping[str, Sequence[str]] | None = None,
    about: Document | None = None,
    related_memo: RelatedMemo | None = None,
) -> Archive:
    """Order the records and build every group the pages need.

    mentions: page address → the countries its text names (``countries.find_mentions``).
    related_memo: the last build's (``Archive.related_memo``), so that only the related
    lists a change can reach are ranked again.
    """
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
    stories = {key: _story(key, tuple(group)) for key, group in sorted(by_story.items())}
    topics, topic_slugs = _topics(articles)
    also, mentioned_in = _mentions(articles, mentions or {})
    related, memo = _related(articles, stories, related_memo)
    return Archive(
        articles=articles,
        by_country={code: tuple(reversed(by_country[code])) for code in sorted(by_country)},
        by_year={year: tuple(by_year[year]) for year in sorted(by_year)},
        stories=stories,
        previous={b.url: a for a, b in itertools.pairwise(articles)},
        following={a.url: b for a, b in itertools.pairwise(articles)},
        topics=topics,
        topic_slugs=topic_slugs,
        mentions=also,
        mentioned_in=mentioned_in,
        related=related,
        related_memo=memo,
        about=about,
    )


def _story(key: str, articles: tuple[Article, ...]) -> Story:
    named = next((a.story_title for a in articles if a.story_title), None)
    if named:  # the curator's name for it, in the site's language
        return Story(key, articles, named)
    return Story(key, articles, articles[0].title, articles[0].language)


def _topics(articles: tuple[Article, ...]) -> tuple[dict[str, Topic], dict[str, str]]:
    """Topics by slug, and each folded tag's slug.

    A topic's address is a function of its tag alone, so no other tag, earlier or later,
    can take it: a tag that is its own slug ('military bases' → military-bases) has it
    bare; any other ('C#', 'C++', 'Außenpolitik', 'энергетика') has its slug with a mark
    of its text ('c-3f2a1b'). Handed out in turn instead, a tag joining the archive (or
    an older article bringing one) moved other topics' pages, and a link to one topic
    led to another.
    """
    names: dict[str, str] = {}
    members: defaultdict[str, list[Article]] = defaultdict(list)
    for article in articles:
        for tag in article.tags:
            key = topic_key(tag)
            names.setdefault(key, " ".join(tag.split()))
            if not members[key] or members[key][-1] is not article:
                members[key].append(article)
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for key in sorted(names):
        slugs[key] = _topic_slug(key, taken)
        taken.add(slugs[key])
    order = sorted(names, key=lambda k: (names[k].casefold(), k))
    topics = {slugs[k]: Topic(k, names[k], slugs[k], tuple(reversed(members[k]))) for k in order}
    return topics, slugs


def _topic_slug(key: str, taken: set[str]) -> str:
    """A folded tag's slug: bare when the tag is its own slug, else marked by its text."""
    base = make_slug(key) or "topic"
    if base == key.replace(" ", "-") and base != "index" and not reserved_name(base):
        return base  # no other tag folds to this text, so none can want this slug
    mark = hashlib.sha256(key.encode()).hexdigest()
    # Longer only should two marks begin alike: one in millions of clashing tags.
    return next(s for n in range(6, 65) if (s := f"{base}-{mark[:n]}") not in taken)


def _mentions(
    articles: tuple[Article, ...], mentions: Mapping[str, Sequence[str]]
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[Article, ...]]]:
    also: dict[str, tuple[str, ...]] = {}
    mentioned_in: defaultdict[str, list[Article]] = defaultdict(list)
    for article in articles:
        # The loader finds mentions by the article's year already (countries.count_mentions);
        # mentions given any other way are held to the same rule here.
        extra = tuple(
            c
            for c in mentions.get(article.url, ())
            if c not in article.countries and existed(c, article.year)
        )
        if extra:
            also[article.url] = extra
            for code in extra:
                mentioned_in[code].append(article)
    return also, {code: tuple(reversed(mentioned_in[code])) for code in sorted(mentioned_in)}


@dataclass(frozen=True)
class RelatedMemo:
    """One build's related reports and what they were chosen from, for the next build.

    Plain data, kept between builds: a list comes back only for an article whose own
    place in the index, and every neighbour its candidates came from, are unchanged.
    """

    urls: tuple[str, ...]
    """The articles' addresses, in timeline order."""
    places: tuple[str, ...]
    """Per article: its place in the timeline (its sort key, as text that sorts as it does)."""
    stories: tuple[str, ...]
    """Per article: its story ('' for none)."""
    keys: tuple[tuple[str, ...], ...]
    """Per article: the index lists it is in (its countries and topics)."""
    related: tuple[tuple[int, ...], ...]
    """Per article: its related reports, as positions in urls."""


def _index_keys(article: Article) -> tuple[str, ...]:
    """The index lists an article is in: its countries and its topics."""
    keys = {*(f"c:{c}" for c in article.countries), *(f"t:{topic_key(t)}" for t in article.tags)}
    # A few hundred keys, each said by thousands of articles: held once (24 of 87 MiB that
    # the indexes of 100,000 articles took were copies of them).
    return tuple(sorted(map(sys.intern, keys)))


def _place(article: Article) -> str:
    """An article's sort key as text that sorts as the key does (no part holds a NUL)."""
    date, *rest = article.sort_key
    return "\x00".join([date.isoformat(), *rest])


def _related(
    articles: tuple[Article, ...],
    stories: Mapping[str, Story],
    memo: RelatedMemo | None = None,
) -> tuple[dict[str, tuple[Article, ...]], RelatedMemo]:
    """Per article: its story's other reports, then those sharing most countries and topics.

    An inverted index (country or topic → positions in time) gives each article its
    candidates: the RELATED_WINDOW nearest in time on each side in each of its lists.
    Each article's countries and topics are one integer, a bit for each, so counting what
    two share is an AND and a bit count. With the last build's memo, only the articles
    within reach of a change are ranked again; the lists are the same either way.
    """
    names = [tuple(_index_keys(a)) for a in articles]
    bits: dict[str, int] = {}
    keys: list[int] = []
    postings: list[list[int]] = []
    for index, article_keys in enumerate(names):
        mask = 0
        for name in article_keys:
            bit = bits.setdefault(name, len(bits))
            if bit == len(postings):
                postings.append([])
            postings[bit].append(index)  # ascending, so each list is in time order
            mask |= 1 << bit
        keys.append(mask)
    days = [a.date.toordinal() for a in articles]
    position = {a.url: i for i, a in enumerate(articles)}
    places = tuple(_place(a) for a in articles)

    def rank(index: int) -> list[int]:
        article = articles[index]
        mates = (
            [position[a.url] for a in stories[article.story].articles if a is not article]
            if article.story
            else []
        )
        chosen = mates[:RELATED_COUNT]
        mine, day = keys[index], days[index]
        candidates: set[int] = set()
        for bit in _bits(mine):
            posting = postings[bit]
            at = bisect.bisect_left(posting, index)
            candidates.update(posting[max(0, at - RELATED_WINDOW) : at + RELATED_WINDOW + 1])
        candidates -= {*chosen, index}
        if candidates and len(chosen) < RELATED_COUNT:
            # Most shared first, then nearest in time, then timeline order (the index).
            ranked = sorted(
                [(-(mine & keys[j]).bit_count(), abs(days[j] - day), j) for j in candidates]
            )
            chosen += [j for _, _, j in ranked[: RELATED_COUNT - len(chosen)]]
        return chosen

    chosen: list[list[int] | None] = [None] * len(articles)
    for index in _within_reach(articles, names, places, postings, bits, position, stories, memo):
        chosen[index] = rank(index)
    if memo is not None:
        for j, url in enumerate(memo.urls):
            now = position.get(url)
            if now is not None and chosen[now] is None:  # out of reach of every change
                chosen[now] = [position[memo.urls[k]] for k in memo.related[j]]
    related = {
        article.url: tuple(articles[j] for j in picks)
        for article, picks in zip(articles, chosen, strict=True)
        if picks
    }
    made = RelatedMemo(
        urls=tuple(a.url for a in articles),
        places=places,
        stories=tuple(a.story or "" for a in articles),
        keys=tuple(names),
        related=tuple(tuple(p or ()) for p in chosen),
    )
    return related, made


def _bits(mask: int) -> Iterable[int]:
    while mask:
        bit = mask.bit_length() - 1
        mask ^= 1 << bit
        yield bit


def _within_reach(
    articles: tuple[Article, ...],
    names: list[tuple[str, ...]],
    places: tuple[str, ...],
    postings: list[list[int]],
    bits: Mapping[str, int],
    position: Mapping[str, int],
    stories: Mapping[str, Story],
    memo: RelatedMemo | None,
) -> Iterable[int]:
    """The articles whose related reports must be ranked again: every one without a memo;
    with one, those whose own place or any candidate's changed.

    A candidate comes from within RELATED_WINDOW places in a shared list, so a change
    (an article added, removed, or with another order, story, country or topic) reaches
    the articles within one more place of it in each list it is or was in, and the other
    reports of each story it is or was in.
    """
    count = len(memo.urls) if memo is not None else -1
    if memo is None or any(
        len(column) != count for column in (memo.places, memo.stories, memo.keys, memo.related)
    ):
        return range(len(articles))
    if max(map(max, filter(None, memo.related)), default=-1) >= count:
        return range(len(articles))
    earlier = {url: i for i, url in enumerate(memo.urls)}

    def same(index: int, j: int) -> bool:
        article = articles[index]
        return (
            memo.places[j] == places[index]
            and memo.stories[j] == (article.story or "")
            and memo.keys[j] == names[index]
        )

    changed = [
        i for i, a in enumerate(articles) if (j := earlier.get(a.url)) is None or not same(i, j)
    ]
    gone = [
        j for j, url in enumerate(memo.urls) if (i := position.get(url)) is None or not same(i, j)
    ]
    reach = set(changed)
    reach_stories: set[str] = set()
    for index in changed:  # around where it is now
        if articles[index].story:
            reach_stories.add(articles[index].story or "")
        for name in names[index]:
            posting = postings[bits[name]]
            at = bisect.bisect_left(posting, index)
            reach.update(posting[max(0, at - RELATED_WINDOW - 1) : at + RELATED_WINDOW + 2])
    # Around where it was: the last build's lists, rebuilt from its memo.
    old_keys, old_stories = memo.keys, memo.stories
    gone_keys = {name for j in gone for name in old_keys[j]}
    old_postings: dict[str, list[int]] = {name: [] for name in gone_keys}
    for j, article_keys in enumerate(old_keys):
        for name in article_keys:
            if name in old_postings:
                old_postings[name].append(j)
    for j in gone:
        reach_stories.add(old_stories[j])
        for name in old_keys[j]:
            posting = old_postings[name]
            at = bisect.bisect_left(posting, j)
            for k in posting[max(0, at - RELATED_WINDOW - 1) : at + RELATED_WINDOW + 2]:
                if memo.urls[k] in position:
                    reach.add(position[memo.urls[k]])
    for key in reach_stories - {""}:
        if key in stories:
            reach.update(position[a.url] for a in stories[key].articles)
    return sorted(reach)
