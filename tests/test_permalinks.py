"""Article addresses carry their date, set by the `permalink` pattern, and never collide."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from newsgen import urls
from newsgen.cli import main
from newsgen.config import Config
from newsgen.linkcheck import check_folder
from newsgen.load import load_articles
from newsgen.pipeline import build

from .conftest import article_text


def test_one_headline_on_many_dates_makes_many_pages(site: Callable[..., Config]) -> None:
    dates = ["2021-10-14", "2021-10-21", "2022-01-06", "2022-01-06T18:00:00+01:00"]
    config = site(
        {f"{n}.md": article_text("Weekly briefing", date=date) for n, date in enumerate(dates)}
        | {"same-day.md": article_text("Weekly briefing", date="2022-01-06", slug="evening")}
    )
    articles, errors, _ = load_articles(config)
    # Only the two reports of 6 January, which the pattern cannot tell apart, collide.
    (error,) = errors
    assert error.path is not None and error.path.name == "3.md"
    assert "2.md already makes the page articles/2022/01/06-weekly-briefing.html" in error.message
    assert {a.url for a in articles} == {
        "articles/2021/10/14-weekly-briefing.html",
        "articles/2021/10/21-weekly-briefing.html",
        "articles/2022/01/06-weekly-briefing.html",
        "articles/2022/01/06-evening.html",
    }


def test_the_pattern_decides_the_address(site: Callable[..., Config]) -> None:
    config = site(
        {
            "a.md": article_text("Weekly briefing", date="2021-10-14"),
            "b.md": article_text("Weekly briefing", date="2021-10-21", language="de"),
        },
        settings="permalink: 'news/{language}/{year}/{month}/{day}/{slug}.html'\n",
    )
    build(config)
    output = config.path("output")
    assert (output / "news/en/2021/10/14/weekly-briefing.html").is_file()
    assert (output / "news/de/2021/10/21/weekly-briefing.html").is_file()
    assert check_folder(output) == []


def test_a_remaining_collision_names_both_files(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site(
        {
            "a.md": article_text("Weekly briefing", date="2021-10-14"),
            "b.md": article_text("Weekly briefing", date="2021-10-14T20:00:00Z"),
        }
    )
    assert main(["--root", str(config.root), "build"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "articles/b.md:1: articles/a.md already makes the page "
        "articles/2021/10/14-weekly-briefing.html: both would write it "
        "(give one of them its own 'slug:')"
    )


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("articles/{year}/{title}.html", "'permalink' names unknown fields ['title']"),
        ("articles/{year}/{month}.html", "'permalink' must hold {slug}"),
        ("../{slug}.html", "'permalink' must be a relative path"),
        ("/abs/{slug}.html", "'permalink' must be a relative path"),
        ("articles/{slug}", "'permalink' must be a relative path"),
        ("articles/{slug.html", "'permalink' is not a pattern"),
        ("c:{slug}.html", "'permalink' may not hold ':' or '\\'"),
        ("news/{year}:{month}/{slug}.html", "'permalink' may not hold ':'"),
        ("news\\{slug}.html", "'permalink' may not hold ':' or '\\'"),
        ("{slug!r}.html", "'permalink' fields take no format: write {slug}, not {slug!r}"),
        ("{slug:.1}.html", "'permalink' fields take no format: write {slug}, not {slug:.1}"),
        ("{year:>6}/{slug}.html", "'permalink' fields take no format: write {year}"),
        ("{slug} x.html", "'permalink' may hold, besides its fields, only ASCII letters"),
        ("news?/{slug}.html", "'permalink' may hold, besides its fields, only ASCII letters"),
        ("статьи/{slug}.html", "'permalink' may hold, besides its fields, only ASCII letters"),
    ],
)
def test_a_bad_pattern_is_a_settings_error(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], pattern: str, problem: str
) -> None:
    config = site({"a.md": article_text()})
    (config.root / "newsgen.yaml").write_text(f"permalink: '{pattern}'\n")
    assert main(["--root", str(config.root), "build"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"newsgen.yaml:1: {problem}"), err
    assert "Traceback" not in err


@pytest.mark.parametrize("title", ["About", "Index", "Robots"])
def test_an_article_at_a_page_of_the_site_names_its_file(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], title: str
) -> None:
    config = site({"a.md": article_text(title)})
    (config.root / "newsgen.yaml").write_text("permalink: '{slug}.html'\n")
    (config.root / "about.md").write_text("---\ntitle: About\n---\nWords.\n")

    code = main(["--root", str(config.root), "build"])

    err = capsys.readouterr().err.splitlines()
    if title == "Robots":  # robots.html is no page of the site: no clash
        assert code == 0
        return
    assert code == 1
    assert err[0].startswith(f"articles/a.md:1: its page {title.lower()}.html is also the address")
    assert "Traceback" not in "\n".join(err)


def test_story_keys_that_differ_only_in_case_are_an_error_at_each_story(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site(
        {
            "a.md": article_text("First report", story="Election"),
            "b.md": article_text("Second report", date="2021-10-15", story="election"),
            "c.md": article_text("Third report", date="2021-10-16", story="election"),
        }
    )
    assert main(["--root", str(config.root), "build"]) == 1
    err = capsys.readouterr().err.splitlines()
    upper, lower = urls.story_url("Election"), urls.story_url("election")
    assert sorted(err[:2]) == [
        f"articles/a.md:1: its story 'Election' makes the page {upper}, which differs only in "
        f"case from {lower}: a file system that ignores case holds only one of them "
        "(write the story's key the same way in each of its articles)",
        f"articles/b.md:1: its story 'election' makes the page {lower}, which differs only in "
        f"case from {upper}: a file system that ignores case holds only one of them "
        "(write the story's key the same way in each of its articles)",
    ]
    assert not config.path("output").exists()


@pytest.mark.parametrize(
    "pattern", ["~{slug}.html", "{slug}+{language}.html", "news_{year}/{month}.{day}-{slug}.html"]
)
def test_a_pattern_of_an_addresss_own_characters_is_taken(
    site: Callable[..., Config], pattern: str
) -> None:
    config = site({"a.md": article_text()})
    (config.root / "newsgen.yaml").write_text(f"permalink: '{pattern}'\n")
    assert main(["--root", str(config.root), "build"]) == 0
