"""The real archive in articles/, built end to end and browsed by its links alone."""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
import sys
from collections import deque
from pathlib import Path

import pytest

from newsgen import urls
from newsgen.cli import main
from newsgen.config import load_config
from newsgen.linkcheck import check_folder
from newsgen.load import load_articles
from newsgen.model import Article

from .conftest import PROJECT, snapshot


@pytest.fixture(scope="module")
def records() -> list[Article]:
    """The real archive's records: what the built pages are checked against."""
    config, _ = load_config(PROJECT)
    articles, errors, _ = load_articles(config)
    assert errors == []
    return articles


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("real") / "_site"
    assert main(["--root", str(PROJECT), "build", "--output", str(output)]) == 0
    return output


def _links(page: Path) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', page.read_text(encoding="utf-8"))


def test_every_page_is_reached_from_the_index_by_links_alone(
    built: Path, records: list[Article]
) -> None:
    seen = {"index.html"}
    queue = deque(["index.html"])
    while queue:
        url = queue.popleft()
        if not url.endswith(".html"):
            continue
        for link in _links(built / url):
            if re.match(r"[a-z]+:", link) or link.startswith("#"):
                continue
            assert not link.startswith("/"), f"{url}: {link}"
            target = posixpath.normpath(posixpath.join(posixpath.dirname(url), link.split("#")[0]))
            assert (built / target).is_file(), f"{url} links to missing {target}"
            if target not in seen:
                seen.add(target)
                queue.append(target)
    pages = {p.relative_to(built).as_posix() for p in built.rglob("*.html")} - {"404.html"}
    assert pages <= seen
    assert {urls.article_url(a) for a in records} <= seen
    # Every year's citation and data files are reached too.
    years = {a.year for a in records}
    assert {urls.citation_url(name, y) for name in urls.CITATION_FORMATS for y in years} <= seen
    assert {urls.data_url(name, y) for name in urls.DATA_FORMATS for y in years} <= seen
    countries = {code for a in records for code in a.countries}
    assert {urls.TIMELINE, urls.COUNTRIES, *map(urls.country_url, countries)} <= seen


def test_our_link_checker_finds_nothing_broken(built: Path) -> None:
    assert check_folder(built) == []


def _page(built: Path, article: Article) -> str:
    return (built / urls.article_url(article)).read_text(encoding="utf-8")


def test_each_article_page_speaks_its_language(built: Path, records: list[Article]) -> None:
    from newsgen.render import long_date

    for article in records:
        text = _page(built, article)
        assert f'<html lang="{article.language}">' in text
        assert long_date(article.date, article.language) in text


def test_the_reports_of_one_story_link_to_each_other(built: Path, records: list[Article]) -> None:
    stories: dict[str, list[Article]] = {}
    for article in records:
        if article.story:
            stories.setdefault(article.story, []).append(article)
    for reports in stories.values():
        for one in reports:
            for other in reports:
                if other is not one:
                    link = urls.relative(urls.article_url(one), urls.article_url(other))
                    assert f'href="{link}" hreflang="{other.language}"' in _page(built, one)
                    if other.language != one.language:
                        # Other language versions are named beside the headline.
                        versions = re.search(
                            r'<p class="versions"[^>]*>(.*?)</p>', _page(built, one)
                        )
                        assert versions and f'href="{link}"' in versions.group(1)


def test_countries_in_several_languages_share_one_page(built: Path, records: list[Article]) -> None:
    for code in {code for a in records for code in a.countries}:
        page = (built / urls.country_url(code)).read_text(encoding="utf-8")
        shown = [a for a in records if code in a.countries]
        for article in shown:
            link = urls.relative(urls.country_url(code), urls.article_url(article))
            assert f'href="{link}"' in page, (code, article.title)
        # The reports of one story on a country's page are one entry, not one each.
        stories = {a.story for a in shown if a.story}
        entries = len({a.story or a.url for a in shown})
        own = page.split('id="mentioned-heading"')[0]  # articles that only mention it follow
        assert own.count('class="entry"') == entries, code
        for story in stories:
            reports = len([a for a in shown if a.story == story])
            if reports > 1:
                assert f">{reports} reports</a>: " in page


def _build_in_child(output: Path, **env: str) -> dict[str, bytes]:
    environment = {**os.environ, **env}
    subprocess.run(
        [sys.executable, str(PROJECT / "build.py"), "--output", str(output)],
        check=True,
        env=environment,
        capture_output=True,
    )
    return snapshot(output)


def test_builds_are_byte_identical_under_any_hash_seed_time_zone_or_locale(tmp_path: Path) -> None:
    one = _build_in_child(tmp_path / "one", PYTHONHASHSEED="1", TZ="Pacific/Kiritimati", LC_ALL="C")
    two = _build_in_child(
        tmp_path / "two", PYTHONHASHSEED="4242", TZ="America/Adak", LC_ALL="C.UTF-8"
    )
    assert one == two
    assert len(one) > 30
