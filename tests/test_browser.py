"""The archive in a real browser (Debian's Chromium, driven by Playwright): navigation,
keyboard use, layout at phone and desktop widths, and axe-core accessibility checks."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from newsgen import urls
from newsgen.countries import country_name
from newsgen.pipeline import build
from newsgen.urls import make_slug

from .conftest import article_text, make_site
from .sites import PROJECT, build_fixture, build_real, real_records, story_in_two_languages

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT / "test-artifacts" / "screenshots"

# Two language versions of one story: the first report (by the timeline) and another.
_FIRST, _OTHER = story_in_two_languages()
ENGLISH, GERMAN = urls.article_url(_FIRST), urls.article_url(_OTHER)
_YEAR = real_records()[0].year  # the oldest year: a click away on the timeline
PAGE_KINDS = {
    "index": "index.html",
    "article": ENGLISH,
    "article-de": GERMAN,
    "country": urls.country_url(_FIRST.countries[0]),
    "countries": "countries/index.html",
    "timeline": "timeline/index.html",
    "year": urls.year_url(_FIRST.year),
    "story": urls.story_url(str(_FIRST.story)),
    "topics": urls.TOPICS,
    "topic": urls.topic_url(make_slug(_FIRST.tags[0])),
    "about": urls.ABOUT,
    "not-found": "404.html",
    "search": "search/index.html",
    "feeds": "feeds/index.html",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real(tmp_path_factory.mktemp("browser") / "_site")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).is_file(), "run scripts/setup: it installs Debian's chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def server_root(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site served over HTTP from a sub-folder, /archive/."""
    root = tmp_path_factory.mktemp("www")
    shutil.copytree(site, root / "archive")
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/archive/"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _click_through(page: Page, start: str) -> list[str]:
    """index → country → article → its story sibling → timeline → a year; the URLs visited."""
    page.goto(start)
    visited = [page.url]
    code = _FIRST.countries[0]
    steps = [
        (
            f"section[aria-labelledby=countries-heading] a:text-is('{country_name(code, 'en')}')",
            urls.country_url(code),
        ),
        (f"a.entry-title[href$='{ENGLISH.rsplit('/', 1)[1]}']", ENGLISH),
        (f"p.versions a[hreflang='{_OTHER.language}']", GERMAN),
        ("header nav a:text-is('Timeline')", "/timeline/index.html"),
        (f".year-row-head a:text-is('{_YEAR}')", urls.year_url(_YEAR)),
    ]
    for selector, expected in steps:
        page.click(selector)
        page.wait_for_load_state()
        assert page.url.endswith(expected), (selector, page.url)
        visited.append(page.url)
    assert page.locator("h1").inner_text() == str(_YEAR)
    return visited


def test_click_through_from_disk(page: Page, site: Path) -> None:
    visited = _click_through(page, (site / "index.html").as_uri())
    assert all(url.startswith("file://") for url in visited)


def test_click_through_under_a_sub_path(page: Page, server_root: str) -> None:
    visited = _click_through(page, server_root + "index.html")
    assert all(url.startswith(server_root) for url in visited)


def test_keyboard_only(page: Page, site: Path) -> None:
    page.goto((site / "index.html").as_uri())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # From the main content, Tab reaches the first article link; Enter follows it.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('entry-title')"):
            break
    else:
        raise AssertionError("no article link reached by Tab")
    target = page.evaluate("document.activeElement.href")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == target


@pytest.mark.parametrize("width", [375, 1280])
def test_layout_holds_without_horizontal_scrolling(
    browser: Browser, site: Path, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for kind, url in PAGE_KINDS.items():
        page.goto((site / url).as_uri())
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (url, width, overflow)
        page.screenshot(path=str(ARTIFACTS / f"{kind}-{width}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(browser: Browser, site: Path, scheme: str) -> None:
    assert AXE.is_file(), "run scripts/setup: it installs axe-core with npm"
    context = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for kind, url in PAGE_KINDS.items():
        page.goto((site / url).as_uri())
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])})"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[kind] = serious
    context.close()
    assert found == {}


def test_every_page_has_landmarks_one_h1_and_languages(
    page: Page, site: Path, tmp_path: Path
) -> None:
    fixture = build_fixture(tmp_path / "fixture")
    pages = [p for folder in (site, fixture) for p in folder.rglob("*.html")]
    assert len(pages) > 30
    for path in pages:
        page.goto(path.as_uri())
        counts = page.evaluate(
            """() => ({
                h1: document.querySelectorAll('h1').length,
                main: document.querySelectorAll('main').length,
                banner: document.querySelectorAll('body > header').length,
                nav: document.querySelectorAll('nav').length,
                footer: document.querySelectorAll('body > footer').length,
                skip: document.querySelectorAll('a.skip-link[href="#main"]').length,
                lang: document.documentElement.lang,
            })"""
        )
        assert counts["h1"] == 1 and counts["main"] == 1 and counts["skip"] == 1, (path, counts)
        assert counts["banner"] == 1 and counts["footer"] == 1 and counts["nav"] >= 1, (
            path,
            counts,
        )
        assert counts["lang"], path
    page.goto((site / GERMAN).as_uri())
    assert page.evaluate("document.documentElement.lang") == _OTHER.language
    assert page.evaluate("document.querySelector('header.site-header').lang") == "en"
    # A report in another language is named in its own language on the page of its story.
    page.goto((site / urls.story_url(str(_OTHER.story))).as_uri())
    german_title = page.locator(f"li.report a[href$='{GERMAN.rsplit('/', 1)[1]}']")
    assert german_title.get_attribute("lang") == _OTHER.language


# --- search -------------------------------------------------------------------------------

# Each word is in one place only: a body, a title, a summary.
SEARCH_ARTICLES = {
    "a.md": article_text(
        "Harvest report from Fergana",
        date="2019-05-02",
        countries="[UZ]",
        summary="Cotton yields rose.",
        body="Farmers spoke of a zeppelin-shaped cloud over the valley.\n",
    ),
    "b.md": article_text(
        "Gas deal signed in Astana",
        date="2020-08-09",
        countries="[RU, KZ]",
        language="de",
        summary="Ein Vertrag über Gas.",
        body="Der Vertrag gilt zehn Jahre.\n",
    ),
    "c.md": article_text(
        "Border talks resume",
        date="2021-01-12",
        countries="[TJ, KZ]",
        summary="Delegations met again.",
        body="The talks in Dushanbe ended without a communique.\n",
    ),
}


HARVEST = urls.permalink(
    urls.DEFAULT_PERMALINK, dt.date(2019, 5, 2), "harvest-report-from-fergana", "en"
)


@pytest.fixture(scope="module")
def search_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = make_site(tmp_path_factory.mktemp("search") / "project", SEARCH_ARTICLES)
    build(config)
    return config.path("output")


@pytest.fixture(scope="module")
def search_server(search_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The search site served over HTTP from a sub-folder, /archive/."""
    root = tmp_path_factory.mktemp("www-search")
    shutil.copytree(search_site, root / "archive")
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/archive/"
    httpd.shutdown()
    httpd.server_close()


def _search(page: Page, words: str) -> list[str]:
    page.wait_for_selector("#search[data-ready]")
    page.fill("#search-q", words)
    page.wait_for_function(
        "words => document.querySelector('#search-results').dataset.query === words", arg=words
    )
    return page.locator("#search-results a.entry-title").all_inner_texts()


def test_search_finds_a_word_of_a_body_when_served(page: Page, search_server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(search_server + "index.html")
    page.click("header nav a:text-is('Search')")
    assert page.url == search_server + "search/index.html"
    assert page.locator("#search-mode").is_hidden()  # the full text is searched
    assert _search(page, "zeppelin") == ["Harvest report from Fergana"]
    result = page.locator("#search-results li").first.inner_text()
    assert "May 2, 2019" in result and "A Source" in result and "English" in result
    assert page.locator("#search-results mark").first.inner_text().startswith("zeppelin")
    # A filter narrows a search, and a search with a filter only lists what it matches.
    assert sorted(_search(page, "talks")) == ["Border talks resume"]
    page.fill("#search-q", "")
    page.select_option("#search-country", "Kazakhstan")
    page.wait_for_function("document.querySelectorAll('#search-results li').length == 2")
    page.select_option("#search-language", "German")
    page.wait_for_function("document.querySelectorAll('#search-results li').length == 1")
    german = page.locator("#search-results a.entry-title")
    assert german.inner_text() == "Gas deal signed in Astana"
    assert german.get_attribute("lang") == "de"
    page.select_option("#search-country", "")
    page.select_option("#search-language", "")
    _search(page, "zeppelin")
    with page.expect_navigation():
        page.click("#search-results a.entry-title")
    assert page.url == search_server + HARVEST
    assert errors == []


def test_search_finds_a_word_of_a_title_from_disk(page: Page, search_site: Path) -> None:
    page.goto((search_site / "search" / "index.html").as_uri())
    assert _search(page, "astana") == ["Gas deal signed in Astana"]
    assert "titles and summaries only" in page.locator("#search-mode").inner_text()
    assert _search(page, "zeppelin") == []  # bodies are not in the title index
    assert _search(page, "🚀 ?!") == []  # no word to look for finds nothing, not everything
    assert _search(page, "cotton") == ["Harvest report from Fergana"]  # summaries are
    with page.expect_navigation():
        page.click("#search-results a.entry-title")
    assert page.url == (search_site / HARVEST).as_uri()


def test_a_search_keeps_its_words_in_the_address(page: Page, search_server: str) -> None:
    page.goto(search_server + "search/index.html?q=dushanbe")
    page.wait_for_function("document.querySelectorAll('#search-results li').length == 1")
    assert page.input_value("#search-q") == "dushanbe"
