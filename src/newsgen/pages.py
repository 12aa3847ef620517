"""The site map: which pages exist, the template each uses, and the data each is made from."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from newsgen import urls
from newsgen.config import Config
from newsgen.countries import country_name, region_name, region_of
from newsgen.enrich import Archive, topic_key
from newsgen.errors import ContentError, NewsgenError, raise_if_any
from newsgen.files import inside, walk
from newsgen.mdlinks import resolve
from newsgen.model import Article, Page
from newsgen.theme import links_within, search_path


def plan_pages(archive: Archive, config: Config) -> list[Page]:
    """Every page of the site, in a stable order; the sitemap (given a base URL) last."""
    pages = [
        _index(archive, config),
        *_articles(archive),
        *_stories(archive),
        _countries_index(archive, config),
        *_countries(archive, config),
        _topics_index(archive),
        *_topics(archive, config),
        _timeline(archive, config),
        *_country_timelines(archive, config),
        *_years(archive),
        _about(archive),
        *_citations(archive),
        *_open_data(archive, config),
        _feed(urls.SITE_FEED, None, archive.newest(config.feed_size)),
        *(
            _feed(urls.country_feed_url(code), code, articles[: config.feed_size], (f"c:{code}",))
            for code, articles in archive.by_country.items()
        ),
        Page(urls.NOT_FOUND, "404.html", {"absolute_links": bool(config.base_url)}, inputs=()),
        *_search(archive),
        _feeds_index(archive, config),
        Page(urls.ROBOTS, "robots.txt", {}, inputs=()),
    ]
    if config.base_url:  # a sitemap lists full addresses, so it needs to know where the site is
        pages.extend(_sitemaps(archive, pages))
    return pages


def find_address_clashes(pages: Sequence[Page]) -> list[NewsgenError]:
    """Articles whose address another page of the site also has (a permalink pattern can
    make an article's address 'about.html' or 'index.html'): an error at the article."""
    by_address: dict[str, list[Page]] = {}
    for page in pages:
        by_address.setdefault(page.url.casefold(), []).append(page)
    errors: list[NewsgenError] = []
    for group in by_address.values():
        if len(group) < 2:
            continue
        for page in group:
            other = next(p for p in group if p is not page)
            article = page.context.get("article") if page.template == "article.html" else None
            if isinstance(article, Article):
                errors.append(
                    ContentError(
                        f"its page {page.url} is also the address of the {other.template} page",
                        article.path,
                        1,
                        hint="give it its own 'slug:', or change the permalink pattern",
                    )
                )
            elif page.template == "story.html" and page.context["articles"]:
                # Story keys are the author's own text: 'Election' and 'election' are two
                # stories whose pages one folder cannot hold where case does not count.
                first = page.context["articles"][0]
                errors.append(
                    ContentError(
                        f"its story '{first.story}' makes the page {page.url}, which differs "
                        f"only in case from {other.url}: a file system that ignores case "
                        "holds only one of them",
                        first.path,
                        1,
                        hint="write the story's key the same way in each of its articles",
                    )
                )
    return errors


def static_files(config: Config) -> Iterator[tuple[str, Path]]:
    """The static files, with the URL each is copied to: the project's own, then the theme's.

    Hidden files are left out; a project's static/FILE replaces the theme's file of that name.
    """
    chosen: dict[str, Path] = {}
    problems: list[NewsgenError] = []
    for folder in search_path(config, "static"):
        for found in walk(folder, follow_within=links_within(config, folder)):
            if found.kind == "file":
                chosen.setdefault(found.relative, Path(found.path))
            elif found.kind == "problem":
                problems.append(ContentError(found.problem, Path(found.path)))
    raise_if_any(problems)
    for relative in sorted(chosen):
        yield urls.static_url(relative), chosen[relative]


def _index(archive: Archive, config: Config) -> Page:
    return Page(
        urls.INDEX,
        "index.html",
        {
            "latest": archive.newest(config.latest_count),
            "countries": _country_counts(archive, config),
            "years": _year_counts(archive),
            "total": len(archive.articles),
        },
    )


def _articles(archive: Archive) -> Iterator[Page]:
    linking = any(article.links for article in archive.articles)
    by_file = {a.path: a.url for a in archive.articles} if linking else {}
    for article in archive.articles:
        story = archive.stories.get(article.story) if article.story else None
        mentioned = archive.mentions.get(article.url, ())
        related = archive.related.get(article.url, ())
        previous = archive.previous.get(article.url)
        following = archive.following.get(article.url)
        # The neighbours and related reports are named one by one, in order: another
        # article can take their place without any of them changing. Of its topics the
        # page reads only their slugs, of the countries it mentions only whether they
        # have a page.
        inputs = [
            article.url,
            previous.url if previous else "",
            following.url if following else "",
            *[other.url for other in related],
            *["slug:" + topic_key(tag) for tag in article.tags],
            *["has:" + code for code in mentioned],
        ]
        if story:
            inputs.append("s:" + story.key)
        # Links to other articles' files lead to their pages: each one named is an input
        # (an article that comes to be linked joins them, so the page is made again).
        linked = {t: by_file.get(resolve(article.path, t)) for t in article.links}
        inputs.extend(url for url in linked.values() if url is not None)
        yield Page(
            urls.article_url(article),
            "article.html",
            {
                **({"file_links": linked} if linked else {}),
                "article": article,
                "story": archive.story_of(article),
                "story_title": story.title if story else None,
                "story_language": story.language if story else None,
                "topics": archive.topics_of(article),
                # Only countries some article is about have a page to link to.
                "mentioned": tuple((code, code in archive.by_country) for code in mentioned),
                "related": related,
                "previous": previous,
                "next": following,
            },
            bodies=(article,),
            inputs=tuple(inputs),
        )


def _stories(archive: Archive) -> Iterator[Page]:
    for key, story in archive.stories.items():
        yield Page(
            urls.story_url(key),
            "story.html",
            {"title": story.title, "language": story.language, "articles": story.articles},
            inputs=(f"s:{key}",),
        )


def _topics_index(archive: Archive) -> Page:
    topics = [(t.name, t.slug, len(t.articles)) for t in archive.topics.values()]
    return Page(urls.TOPICS, "topics.html", {"topics": topics})


def _topics(archive: Archive, config: Config) -> Iterator[Page]:
    """A page per topic; a topic with many articles also gets a page per year."""
    for slug, topic in archive.topics.items():
        for year, shown, years in _by_year(topic.articles, config):
            url = urls.topic_url(slug) if year is None else urls.topic_year_url(slug, year)
            context = {
                "name": topic.name,
                "slug": slug,
                "articles": shown,
                "total": len(topic.articles) if year is None else len(shown),
                "years": years,
                "year": year,
            }
            yield Page(url, "topic.html", context, inputs=(f"t:{topic.key}",))


def _about(archive: Archive) -> Page:
    """The about page: the project's about.md if there is one, and the downloads."""
    about = archive.about
    context = {
        "title": about.title if about else None,  # the template says it in the site's words
        "body": about.url if about else None,
        "total": len(archive.articles),
        "years": _year_counts(archive),  # a row of downloads per year
    }
    return Page(urls.ABOUT, "about.html", context, bodies=(about,) if about else ())


def _year_counts(archive: Archive) -> list[tuple[int, int]]:
    """Each year with its number of articles, oldest first."""
    return [(year, len(items)) for year, items in archive.by_year.items()]


def _citations(archive: Archive) -> Iterator[Page]:
    """Each year's citations in every format (an article's travel in its own page).

    A file per year: a change to one article re-makes only its year's files.
    """
    for year, articles in archive.by_year.items():
        for name in urls.CITATION_FORMATS:
            yield Page(
                urls.citation_url(name, year),
                f"cite:{name}",
                {"articles": articles},
                inputs=(f"y:{year}",),
            )


def _project_file(article: Article, config: Config) -> str:
    """The article's file as the project names it: 'articles/some-report.md'.

    Never an absolute path: the open data must not publish the build machine's folders.
    """
    return inside(article.path, config.root) or article.path.name


def _open_data(archive: Archive, config: Config) -> Iterator[Page]:
    """Each year's records as CSV and JSON, the table schema, and the package describing them.

    A year's files are made from that year's records (and the titles of their stories)
    only, so they stay byte-identical whatever happens in other years; the package lists
    the years and their counts, and nothing of any one record.
    """
    for year, articles in archive.by_year.items():
        stories = sorted({a.story for a in articles if a.story})
        records = {
            "articles": articles,
            # A renamed file changes no record's digest, so the names are part of the context.
            "files": {a.url: _project_file(a, config) for a in articles},
            "mentions": {
                a.url: archive.mentions[a.url] for a in articles if a.url in archive.mentions
            },
            "story_titles": {
                key: archive.stories[key].title for key in stories if key in archive.stories
            },
        }
        inputs = (f"y:{year}", *(f"s:{key}" for key in stories))
        for name in urls.DATA_FORMATS:
            yield Page(urls.data_url(name, year), f"data:{name}", records, inputs=inputs)
    yield Page(urls.DATA_SCHEMA, "data:schema", {}, inputs=())
    yield Page(urls.DATAPACKAGE, "data:package", {"years": _year_counts(archive)})


def _country_counts(archive: Archive, config: Config) -> list[tuple[str, int]]:
    """Country codes with their article counts, in alphabetical order of their names."""
    return sorted(
        ((code, len(items)) for code, items in archive.by_country.items()),
        key=lambda pair: (country_name(pair[0], config.language).casefold(), pair[0]),
    )


def _countries_index(archive: Archive, config: Config) -> Page:
    """Countries grouped by region, each with its number of articles and their date range."""
    regions: dict[str, list[tuple[str, int, dt.date, dt.date]]] = {}
    for code, count in _country_counts(archive, config):
        articles = archive.by_country[code]  # newest first
        entry = (code, count, articles[-1].date, articles[0].date)
        regions.setdefault(region_of(code), []).append(entry)
    groups = sorted(
        regions.items(), key=lambda item: region_name(item[0], config.language).casefold()
    )
    return Page(
        urls.COUNTRIES, "countries.html", {"regions": groups, "total": len(archive.by_country)}
    )


def _countries(archive: Archive, config: Config) -> Iterator[Page]:
    """A page per country; a country with many articles also gets a page per year."""
    span = _span(archive)
    for code, articles in archive.by_country.items():
        mentioned = archive.mentioned_in.get(code, ())
        split = len(articles) > config.country_page_size
        per_year = Counter(article.year for article in articles)
        # Grouped once: filtering the whole list for each year costs years × mentions.
        mentioned_by_year: dict[int, list[Article]] = {}
        if split:
            for article in mentioned:
                mentioned_by_year.setdefault(article.year, []).append(article)
        for year, shown, years in _by_year(articles, config):
            if year is not None:
                in_year = {"mentioned": tuple(mentioned_by_year.get(year, ()))}
                yield _country_page(code, year, shown, len(shown), years, in_year, (f"c:{code}",))
                continue
            own = {
                "strip": _year_bars(
                    dict(per_year), span, functools.partial(_country_year_target, code, split)
                ),
                "companions": _companions(code, articles, config),
                # Articles that name the country without being about it, after its own.
                "mentioned": mentioned if not split else mentioned[: config.latest_count],
            }
            inputs = (f"c:{code}", "g:span")
            yield _country_page(code, None, shown, len(articles), years, own, inputs)


def _by_year(
    articles: tuple[Article, ...], config: Config
) -> Iterator[tuple[int | None, tuple[Article, ...], list[Any]]]:
    """A listing's pages as (year, articles shown, years to link): one page when it is short;
    else the newest on the main page (year None), with a page per year."""
    if len(articles) <= config.country_page_size:
        yield None, articles, []
        return
    by_year: dict[int, list[Article]] = {}
    for article in articles:  # newest first, so each year's list is too
        by_year.setdefault(article.year, []).append(article)
    counts = [(year, len(items)) for year, items in by_year.items()]
    yield None, articles[: config.latest_count], counts
    # Year pages list the years without counts, so that adding an article to one year
    # leaves the other years' pages as they are.
    bare = [(year, None) for year in by_year]
    for year, items in by_year.items():
        yield year, tuple(items), bare


def _country_page(
    code: str,
    year: int | None,
    shown: tuple[Article, ...],
    total: int,
    years: list[Any],
    extra: dict[str, Any],
    inputs: tuple[str, ...],
) -> Page:
    """A country's own page (year None) or one year of it; then the articles that mention it."""
    url = urls.country_url(code) if year is None else urls.country_year_url(code, year)
    context = {
        "code": code,
        "articles": shown,
        "total": total,
        "years": years,
        "year": year,
        "strip": [],
        "companions": [],
        "mentioned": (),
        **extra,
    }
    return Page(url, "country.html", context, inputs=inputs)


def _country_year_target(code: str, split: bool, year: int, month: int | None = None) -> str:
    """Where a country's articles of one year are listed: its year page, or a heading."""
    if split:
        return urls.country_year_url(code, year)
    return f"{urls.country_url(code)}#{urls.year_anchor(year)}"


def _companions(
    code: str, articles: tuple[Article, ...], config: Config, limit: int = 8
) -> list[tuple[str, int]]:
    """The countries named most often in the same articles as this one."""
    together = Counter(other for a in articles for other in a.countries if other != code)
    ranked = sorted(
        together.items(),
        key=lambda pair: (-pair[1], country_name(pair[0], config.language).casefold()),
    )
    return ranked[:limit]


# --- the timeline -------------------------------------------------------------------------

Bar = tuple[int, int, float, str | None]
"""One year (or month) of a chart: its number, its count of articles, its share of the
largest count (0 to 1), and where its articles are listed (None when there are none)."""


def _span(archive: Archive) -> range:
    """Every year from the first article's to the last's, empty ones included."""
    if not archive.by_year:
        return range(0)
    years = list(archive.by_year)
    return range(years[0], years[-1] + 1)


Target = Callable[[int, "int | None"], str]
"""Where a chart's year (month None), or a month of a year, links to."""


def _year_target(year: int, month: int | None = None) -> str:
    """A year's page on the timeline, or a month's heading on it."""
    if month is None:
        return urls.year_url(year)
    return f"{urls.year_url(year)}#{urls.month_anchor(year, month)}"


def _year_bars(counts: dict[int, int], span: range, target: Target) -> list[Bar]:
    """A bar per year of the span, proportional to the largest year."""
    top = max(counts.values(), default=0) or 1
    return [
        (year, counts.get(year, 0), round(counts.get(year, 0) / top, 3),
         target(year, None) if counts.get(year) else None)
        for year in span
    ]  # fmt: skip


def _month_cells(articles: Iterable[Article], year: int, target: Target) -> list[Bar]:
    """The twelve months of a year, each with its share of the year's busiest month."""
    counts = Counter(a.date.month for a in articles if a.year == year)
    top = max(counts.values(), default=0) or 1
    return [
        (month, counts[month], round(counts[month] / top, 3),
         target(year, month) if counts[month] else None)
        for month in range(1, 13)
    ]  # fmt: skip


def _timeline(archive: Archive, config: Config) -> Page:
    """The whole archive on one axis, a row of months per year, and the countries to narrow to."""
    context = _timeline_context(archive.by_year, _span(archive), None, _year_target)
    context["countries"] = _country_counts(archive, config)
    return Page(urls.TIMELINE, "timeline.html", context)


def _country_timelines(archive: Archive, config: Config) -> Iterator[Page]:
    """The timeline narrowed to each country, made at build time so it works from disk."""
    span = _span(archive)
    for code, articles in archive.by_country.items():
        split = len(articles) > config.country_page_size
        by_year: dict[int, list[Article]] = {}
        for article in reversed(articles):  # oldest first, as on the timeline
            by_year.setdefault(article.year, []).append(article)
        context = _timeline_context(
            {year: tuple(items) for year, items in by_year.items()},
            span,
            code,
            functools.partial(_country_year_target, code, split),
        )
        context["countries"] = []
        inputs = (f"c:{code}", "g:span")
        yield Page(urls.country_timeline_url(code), "timeline.html", context, inputs=inputs)


def _timeline_context(
    by_year: dict[int, tuple[Article, ...]], span: range, code: str | None, target: Target
) -> dict[str, Any]:
    counts = {year: len(items) for year, items in by_year.items()}
    return {
        "code": code,
        "total": sum(counts.values()),
        "bars": _year_bars(counts, span, target),
        "rows": [
            (year, len(items), target(year, None), _month_cells(items, year, target))
            for year, items in by_year.items()
        ],
    }


def _years(archive: Archive) -> Iterator[Page]:
    years = list(archive.by_year)
    for index, (year, articles) in enumerate(archive.by_year.items()):
        months: dict[int, list[Article]] = {}
        for article in articles:
            months.setdefault(article.date.month, []).append(article)
        yield Page(
            urls.year_url(year),
            "year.html",
            {
                "year": year,
                "months": [(month, tuple(items)) for month, items in months.items()],
                "strip": _month_cells(articles, year, _year_target),
                "total": len(articles),
                "previous_year": years[index - 1] if index > 0 else None,
                "next_year": years[index + 1] if index + 1 < len(years) else None,
            },
            inputs=(f"y:{year}", "g:years"),
        )


SHARD_LIMIT = 400
"""A year with more articles than this is indexed a month at a time. Pagefind spends about
1 ms of CPU on an article of 700 words, plus about 0.1 s a run, so a shard re-indexes in
well under half a second, while 30 years of 10,000 articles make only 30 shards to merge."""


def plan_shards(
    by_year: Mapping[int, tuple[Article, ...]],
) -> dict[str, tuple[Article, ...]]:
    """Shard key ('2021', or '2021-03' in a large year) → its articles in timeline order."""
    return by_period(by_year, SHARD_LIMIT)


def by_period(
    by_year: Mapping[int, tuple[Article, ...]], limit: int
) -> dict[str, tuple[Article, ...]]:
    """A year's articles (``Archive.by_year``) under its year ('2021'), or by month
    ('2021-03') in a year of more than limit; years and months ascending, each in the
    order the articles come."""
    periods: dict[str, tuple[Article, ...]] = {}
    for year in sorted(by_year):
        items = by_year[year]
        if len(items) <= limit:
            periods[f"{year:04d}"] = items
            continue
        by_month: dict[int, list[Article]] = {}
        for article in items:
            by_month.setdefault(article.date.month, []).append(article)
        for month in sorted(by_month):
            periods[f"{year:04d}-{month:02d}"] = tuple(by_month[month])
    return periods


def _search(archive: Archive) -> Iterator[Page]:
    """The search page, and the index shards it merges: Pagefind's, and the titles' twins."""
    shards = plan_shards(archive.by_year)
    yield Page(urls.SEARCH, "search.html", {"shards": list(shards)})
    for key, articles in shards.items():
        # A shard holds a year, or a month of a large one: its year's group decides both.
        inputs = (f"y:{int(key[:4])}",)
        yield Page(
            urls.search_shard_url(key),
            "search-record.html",
            {"articles": articles},
            bodies=articles,
            bundle=True,
            inputs=inputs,
        )
        yield Page(
            urls.search_titles_url(key), "search-titles.js", {"articles": articles}, inputs=inputs
        )


def _feeds_index(archive: Archive, config: Config) -> Page:
    """The page that explains the feeds and lists them: the site's and each country's."""
    codes = [code for code, _ in _country_counts(archive, config)]
    return Page(urls.FEEDS, "feeds.html", {"countries": codes})


def _feed(
    url: str, code: str | None, articles: tuple[Article, ...], inputs: tuple[str, ...] | None = None
) -> Page:
    return Page(url, "feed.xml", {"code": code, "entries": articles}, inputs=inputs)


SITEMAP_LIMIT = 50_000
"""The most addresses one sitemap may list: the sitemaps.org protocol's limit."""

Sitemap = list[tuple[str, str | None]]
"""A sitemap's entries: each page's address and the date it last changed (or None)."""


def _sitemaps(archive: Archive, pages: Sequence[Page]) -> list[Page]:
    """The sitemaps, then the index that lists them (``urls.SITEMAP``, named in robots.txt).

    Article pages go by year (a month at a time in a year too large for one file, then in
    parts), every other page together: no file lists more than SITEMAP_LIMIT addresses.
    Of the articles' sitemaps, a changed article re-makes only its year's; the other pages'
    (as many as the groups: countries, years, topics, stories) follows every change.
    """
    maps: list[tuple[str, Sitemap, tuple[str, ...] | None]] = []
    for key, articles in by_period(archive.by_year, SITEMAP_LIMIT).items():
        entries: Sitemap = [(urls.article_url(a), a.date.isoformat()) for a in articles]
        inputs = (f"y:{int(key[:4])}",)  # a month's sitemap too: its year's group decides
        maps.extend((part, chunk, inputs) for part, chunk in _sitemap_parts(key, entries))
    lastmod = _last_changes(archive)
    others = sorted(
        page.url
        for page in pages
        if page.url.endswith(".html") and page.url != urls.NOT_FOUND
        and page.template != "article.html"
    )  # fmt: skip
    entries = [(url, lastmod.get(url)) for url in others]
    maps.extend((part, chunk, None) for part, chunk in _sitemap_parts("pages", entries))
    # The index gives no dates: the protocol's is when a sitemap file last changed, which
    # the newest article it lists does not say (an older one may have been edited).
    listed = [urls.sitemap_url(key) for key, _, _ in maps]
    return [
        *(
            Page(urls.sitemap_url(key), "sitemap.xml", {"entries": chunk}, inputs=inputs)
            for key, chunk, inputs in maps
        ),
        Page(urls.SITEMAP, "sitemap-index.xml", {"sitemaps": listed}),
    ]


def _sitemap_parts(key: str, entries: Sitemap) -> list[tuple[str, Sitemap]]:
    """A sitemap's entries as one file, or as numbered parts when they are too many."""
    if len(entries) <= SITEMAP_LIMIT:
        return [(key, entries)]
    starts = range(0, len(entries), SITEMAP_LIMIT)
    return [(f"{key}-{n}", entries[i : i + SITEMAP_LIMIT]) for n, i in enumerate(starts, 1)]


def _last_changes(archive: Archive) -> dict[str, str]:
    """For the sitemap: the date of the newest article each listing page shows."""
    changes: dict[str, str] = {}
    for code, articles in archive.by_country.items():
        changes[urls.country_url(code)] = articles[0].date.isoformat()
        for article in reversed(articles):  # oldest first: each year ends on its newest
            changes[urls.country_year_url(code, article.year)] = article.date.isoformat()
    for year, articles in archive.by_year.items():
        changes[urls.year_url(year)] = articles[-1].date.isoformat()
    for key, story in archive.stories.items():
        changes[urls.story_url(key)] = story.articles[-1].date.isoformat()
    for slug, topic in archive.topics.items():
        changes[urls.topic_url(slug)] = topic.articles[0].date.isoformat()
    if archive.articles:
        newest = archive.articles[-1].date.isoformat()
        for url in (urls.INDEX, urls.COUNTRIES, urls.TIMELINE, urls.TOPICS, urls.ABOUT):
            changes[url] = newest
    return changes


# --- what a change touches: the keys of Page.inputs ------------------------------------------


def _a(article: Article) -> str:
    # An article's key is its address itself: the page's inputs then share the address's
    # text instead of holding a copy each (planning the pages of 100,000 articles took
    # 204 MiB with the copies, 98 MiB without). No other key can be one: each of those
    # holds a colon, which no address may (urls.check_permalink).
    return article.url


def article_keys(archive: Archive, article: Article) -> tuple[str, ...]:
    """The keys an article touches: itself and every group it is in or mentioned by."""
    mentioned = archive.mentions.get(article.url, ())
    return (
        _a(article),
        f"y:{article.year}",
        *(f"c:{code}" for code in (*article.countries, *mentioned)),
        *((f"s:{article.story}",) if article.story else ()),
        *(f"t:{topic_key(tag)}" for tag in article.tags),
    )


def archive_keys(archive: Archive) -> Callable[[str], tuple[str, ...]]:
    """The keys the article at an address touches (see ``article_keys``)."""
    by_url = {article.url: article for article in archive.articles}
    return lambda url: article_keys(archive, by_url[url])


def archive_values(archive: Archive) -> dict[str, str]:
    """What pages read of the whole archive besides its groups: the key a change of each
    touches → its value. A topic whose slug another tag took counts as a changed topic."""
    span = _span(archive)
    values = {
        "g:span": f"{span.start}-{span.stop}",
        "g:years": ",".join(map(str, archive.by_year)),
        "g:about": archive.about.digest if archive.about else "",
    }
    for key, slug in archive.topic_slugs.items():
        values[f"slug:{key}"] = values[f"t:{key}"] = slug
    values.update((f"has:{code}", "") for code in archive.by_country)
    return values
