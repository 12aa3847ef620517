"""Addresses and the relative links between them: the rules every page's links rest on."""

from __future__ import annotations

import posixpath

import pytest

from newsgen import urls

PAGES = [
    "index.html",
    "404.html",
    "articles/a.html",
    "articles/2021/10/a.html",
    "countries/uz.html",
    "timeline/2021.html",
    "feeds/countries/uz.atom.xml",
]


@pytest.mark.parametrize("source", PAGES)
@pytest.mark.parametrize("target", [*PAGES, "static/style.css", "countries/index.html#m2021"])
def test_a_relative_link_resolves_to_its_target(source: str, target: str) -> None:
    link = urls.relative(source, target)
    path, _, fragment = link.partition("#")
    assert not link.startswith("/")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    assert resolved == target.partition("#")[0]
    assert fragment == target.partition("#")[2]


def test_a_link_within_one_folder_is_the_bare_name() -> None:
    assert urls.relative("articles/a.html", "articles/b.html") == "b.html"
    assert urls.relative("countries/uz.html", "countries/uz.html#m1") == "uz.html#m1"


def test_a_link_to_the_page_itself_is_its_name() -> None:
    assert urls.relative("timeline/2021.html", "timeline/2021.html") == "2021.html"
    assert urls.relative("timeline/2021.html", "#m2021-03") == "2021.html#m2021-03"


def test_absolute_needs_a_base_url() -> None:
    assert urls.absolute("", "articles/a.html") == "articles/a.html"
    assert urls.absolute("https://example.org/x/", "a.html") == "https://example.org/x/a.html"


@pytest.mark.parametrize("source", PAGES)
def test_the_root_is_where_the_index_is(source: str) -> None:
    assert urls.to_root(source) + urls.INDEX == urls.relative(source, urls.INDEX)
