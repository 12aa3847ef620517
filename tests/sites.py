"""Built sites shared by the checks that look at output as readers and machines do."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from newsgen.config import load_config
from newsgen.load import load_articles
from newsgen.model import Article
from newsgen.pipeline import build

PROJECT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "site"


def build_real(folder: Path) -> Path:
    """The project's own articles/, built into folder."""
    config, _ = load_config(PROJECT, {"output": folder, "cache": folder.parent / "cache-real"})
    build(config)
    return folder


def build_fixture(folder: Path) -> Path:
    """tests/fixtures/site (which has a base URL) with the real templates, built into folder."""
    root = folder.parent / "fixture-project"
    if not root.exists():
        shutil.copytree(FIXTURE, root)
        for name in ("templates", "static"):
            shutil.copytree(PROJECT / name, root / name)
    config, _ = load_config(root, {"output": folder})
    build(config)
    return folder


@functools.cache
def real_records() -> tuple[Article, ...]:
    """The records of the project's own articles/: what checks of its pages compare with."""
    config, _ = load_config(PROJECT)
    articles, errors, _ = load_articles(config)
    assert errors == [], errors
    return tuple(sorted(articles, key=lambda a: a.sort_key))


def story_in_two_languages() -> tuple[Article, Article]:
    """Two reports of one story, in the site's language and another, from articles/."""
    config, _ = load_config(PROJECT)
    records = real_records()
    for one in records:
        for other in records:
            if (
                one.story
                and one.story == other.story
                and one.language == config.language != other.language
            ):
                return one, other
    raise AssertionError("articles/ holds no story told in two languages")


SITEMAPS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def read_sitemaps(output: Path, base_url: str) -> dict[str, list[str]]:
    """Each sitemap the index (sitemap.xml) lists, as its path in the site → the addresses
    it lists, in order. base_url: the site's address, ending in '/'."""
    from lxml import etree

    index = etree.parse(str(output / "sitemap.xml"))
    found: dict[str, list[str]] = {}
    for loc in index.xpath("/s:sitemapindex/s:sitemap/s:loc/text()", namespaces=SITEMAPS):
        assert loc.startswith(base_url), loc
        name = loc.removeprefix(base_url)
        tree = etree.parse(str(output / name))
        found[name] = tree.xpath("/s:urlset/s:url/s:loc/text()", namespaces=SITEMAPS)
    return found
