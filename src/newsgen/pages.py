"""The site map: which pages exist, the template each uses, and the data each is made from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsgen import urls
from newsgen.config import Config
from newsgen.countries import country_name
from newsgen.enrich import Archive
from newsgen.errors import ContentError, NewsgenError, raise_if_any
from newsgen.files import walk
from newsgen.model import Article, Page
from newsgen.theme import links_within, search_path


def plan_pages(archive: Archive, config: Config) -> list[Page]:
    """Every page of the site, in a stable order; the sitemap (given a base URL) last."""
    pages = [
        _index(archive, config),
        *_articles(archive),
        _countries_index(archive, config),
        *_countries(archive, config),
        _timeline(archive),
        *_years(archive),
        _feed(urls.SITE_FEED, None, archive.newest(config.feed_size)),
        *(
            _feed(urls.country_feed_url(code), code, articles[: config.feed_size])
            for code, articles in archive.by_country.items()
        ),
        Page(urls.NOT_FOUND, "404.html", {}),
        *_search(archive),
        _feeds_index(archive, config),
        Page(urls.ROBOTS, "robots.txt", {}),
    ]
    if config.base_url:  # a sitemap lists full addresses, so it needs to know where the site is
        html_urls = sorted(
            p.url for p in pages if p.url.endswith(".html") and p.url != urls.NOT_FOUND
        )
        lastmod = _last_changes(archive)
        sitemap = [(url, lastmod.get(url)) for url in html_urls]
        pages.append(Page(urls.SITEMAP, "sitemap.xml", {"entries": sitemap}))
    return pages


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
            "years": [(year, len(items)) for year, items in archive.by_year.items()],
            "total": len(archive.articles),
        },
    )


def _articles(archive: Archive) -> Iterator[Page]:
    for article in archive.articles:
        yield Page(
            urls.article_url(article),
            "article.html",
            {
                "article": article,
                "story": archive.story_of(article),
                "previous": archive.previous.get(article.url),
                "next": archive.following.get(article.url),
            },
            bodies=(article,),
        )


def _country_counts(archive: Archive, config: Config) -> list[tuple[str, int]]:
    """Country codes with their article counts, in alphabetical order of their names."""
    return sorted(
        ((code, len(items)) for code, items in archive.by_country.items()),
        key=lambda pair: (country_name(pair[0], config.language).casefold(), pair[0]),
    )


def _countries_index(archive: Archive, config: Config) -> Page:
    return Page(urls.COUNTRIES, "countries.html", {"countries": _country_counts(archive, config)})


def _countries(archive: Archive, config: Config) -> Iterator[Page]:
    """A page per country; a country with many articles also gets a page per year."""
    for code, articles in archive.by_country.items():
        if len(articles) <= config.country_page_size:
            yield _country_page(code, None, articles, len(articles), [])
            continue
        by_year: dict[int, list[Article]] = {}
        for article in articles:  # newest first, so each year's list is too
            by_year.setdefault(article.year, []).append(article)
        counts = [(year, len(items)) for year, items in by_year.items()]
        yield _country_page(code, None, articles[: config.latest_count], len(articles), counts)
        # Year pages list the years without counts, so that adding an article to one year
        # leaves the other years' pages as they are.
        bare = [(year, None) for year in by_year]
        for year, items in by_year.items():
            yield _country_page(code, year, tuple(items), len(items), bare)


def _country_page(
    code: str, year: int | None, shown: tuple[Article, ...], total: int, years: list[Any]
) -> Page:
    """A country's own page (year None) or one year of it."""
    url = urls.country_url(code) if year is None else urls.country_year_url(code, year)
    context = {"code": code, "articles": shown, "total": total, "years": years, "year": year}
    return Page(url, "country.html", context)


def _timeline(archive: Archive) -> Page:
    years = []
    for year, articles in archive.by_year.items():
        months = Counter(a.date.month for a in articles)
        years.append((year, len(articles), sorted(months.items())))
    return Page(urls.TIMELINE, "timeline.html", {"years": years, "total": len(archive.articles)})


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
                "total": len(articles),
                "previous_year": years[index - 1] if index > 0 else None,
                "next_year": years[index + 1] if index + 1 < len(years) else None,
            },
        )


def _search(archive: Archive) -> Iterator[Page]:
    """The search page, and the index shards it merges: Pagefind's, and the titles' twins."""
    from newsgen.search import plan_shards

    shards = plan_shards(archive.articles)
    yield Page(urls.SEARCH, "search.html", {"shards": list(shards)})
    for key, articles in shards.items():
        yield Page(
            urls.search_shard_url(key),
            "search-record.html",
            {"articles": articles},
            bodies=articles,
            bundle=True,
        )
        yield Page(urls.search_titles_url(key), "search-titles.js", {"articles": articles})


def _feeds_index(archive: Archive, config: Config) -> Page:
    """The page that explains the feeds and lists them: the site's and each country's."""
    codes = [code for code, _ in _country_counts(archive, config)]
    return Page(urls.FEEDS, "feeds.html", {"countries": codes})


def _feed(url: str, code: str | None, articles: tuple[Article, ...]) -> Page:
    return Page(url, "feed.xml", {"code": code, "entries": articles})


def _last_changes(archive: Archive) -> dict[str, str]:
    """For the sitemap: the date of the newest article each page shows."""
    changes = {urls.article_url(a): a.date.isoformat() for a in archive.articles}
    for code, articles in archive.by_country.items():
        changes[urls.country_url(code)] = articles[0].date.isoformat()
        for article in reversed(articles):  # oldest first: each year ends on its newest
            changes[urls.country_year_url(code, article.year)] = article.date.isoformat()
    for year, articles in archive.by_year.items():
        changes[urls.year_url(year)] = articles[-1].date.isoformat()
    if archive.articles:
        newest = archive.articles[-1].date.isoformat()
        for url in (urls.INDEX, urls.COUNTRIES, urls.TIMELINE):
            changes[url] = newest
    return changes
