"""Faults a user can make in settings, templates and texts: one clear message, nothing written."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from newsgen.cli import main
from newsgen.config import Config

from .conftest import article_text, make_site, snapshot

GOOD = article_text("A good article", countries="[Uzbekistan]")


def _run(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


@pytest.mark.parametrize(
    ("cache", "why"),
    [
        (".", "it is the project folder"),
        ("..", "it holds the project folder"),
        ("_site", "it is or holds the output folder"),
        ("_site/cache", "it is inside the output folder"),
        ("articles", "it is or holds the articles folder"),
        ("templates/cache", "it is inside the templates folder"),
        ("static", "it is or holds the static folder"),
    ],
)
def test_a_cache_folder_inside_another_folder_of_the_project_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cache: str, why: str
) -> None:
    config = make_site(tmp_path / "project", {"a.md": GOOD}, f"cache: {cache}\n")
    before = snapshot(tmp_path)

    assert _run(config.root, "build") == 1

    err = capsys.readouterr().err
    assert err.startswith(f"newsgen.yaml: the cache folder cannot be {cache}: {why}")
    assert snapshot(tmp_path) == before  # nothing written, nowhere


def test_a_cache_folder_of_its_own_anywhere_is_taken(tmp_path: Path) -> None:
    config = make_site(tmp_path / "project", {"a.md": GOOD}, "cache: ../elsewhere/cache\n")
    assert _run(config.root, "build") == 0
    assert (tmp_path / "elsewhere" / "cache" / "state.sqlite").is_file()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("feed_size: 0", "'feed_size' must be 1 or more, not 0"),
        ("latest_count: -1", "'latest_count' must be 1 or more, not -1"),
        ("country_page_size: 0", "'country_page_size' must be 1 or more, not 0"),
        ("base_url: example.org", "'base_url' must be a whole address, starting http://"),
        ("base_url: ftp://example.org/", "'base_url' must be a whole address, starting http://"),
        ("base_url: 'https://e.org/a?x=1'", "'base_url' must end at its path, with no '?'"),
        ("base_url: 'https://e.org/a#top'", "'base_url' must end at its path, with no '?'"),
        ("base_url: 'https://u:p@e.org/'", "'base_url' must not hold a user name or password"),
        ("base_url: 'https://e.org:port/'", "'base_url' is not an address"),
    ],
)
def test_a_setting_out_of_its_range_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, message: str
) -> None:
    config = make_site(tmp_path / "project", {"a.md": GOOD})
    (config.root / "newsgen.yaml").write_text(setting + "\n")
    assert _run(config.root, "build") == 1
    assert capsys.readouterr().err.startswith(f"newsgen.yaml:1: {message}")
    assert not config.path("output").exists()


def test_a_base_url_without_its_last_slash_is_taken(tmp_path: Path) -> None:
    config = make_site(tmp_path / "project", {"a.md": GOOD}, "base_url: https://e.org/archive\n")
    assert _run(config.root, "build") == 0
    assert (
        "https://e.org/archive/about.html"
        in (config.path("output") / "sitemap-pages.xml").read_text()
    )


@pytest.mark.parametrize("how", [["build", "--strict"], ["build"]])
def test_a_misspelt_setting_fails_a_strict_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: list[str]
) -> None:
    config = make_site(tmp_path / "project", {"a.md": GOOD})
    settings = "titel: Misspelt\n" + ("" if "--strict" in how else "strict: true\n")
    (config.root / "newsgen.yaml").write_text(settings)

    assert _run(config.root, *how) == 1

    err = capsys.readouterr().err
    assert err.startswith("newsgen.yaml:1: unknown setting 'titel'")
    assert "1 error(s); nothing was written." in err
    assert not config.path("output").exists()


def test_check_shows_the_warnings_of_articles(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": GOOD, "b.md": article_text("B", foo="bar")})

    assert _run(config.root, "check") == 0
    out, err = capsys.readouterr()
    assert "articles/b.md:5: warning: unknown field 'foo' is ignored" in err
    assert "sound, with 1 warning(s) above" in out

    assert _run(config.root, "check", "--strict") == 1


def test_a_template_that_is_not_text_fails_only_the_pages_that_use_it(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": GOOD})
    templates = config.root / "templates"
    (templates / "unused.html").write_bytes(b"caf\xe9 {{ x }}")  # Latin-1, used by no page
    (templates / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert _run(config.root, "build") == 0
    built = snapshot(config.path("output"))

    (templates / "robots.txt").write_bytes(b"User-agent: *\nDisallow: /caf\xe9/\n")
    assert _run(config.root, "build") == 1

    err = capsys.readouterr().err
    assert "templates/robots.txt: cannot read the template: it is not UTF-8 text" in err
    assert "Traceback" not in err
    assert snapshot(config.path("output")) == built


@pytest.mark.parametrize("where", ["body", "notes"])
def test_a_text_nested_past_what_markdown_can_parse_names_its_file(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], where: str
) -> None:
    deep = "\n".join("    " * level + "- item" for level in range(300))
    if where == "body":
        text = article_text("Deep", body=deep + "\n")
    else:
        notes = "\n".join("  " + line for line in deep.splitlines())
        text = article_text("Deep", notes="|\n" + notes)
    config = site({"a.md": GOOD, "deep.md": text})

    assert _run(config.root, "build") == 1

    err = capsys.readouterr().err
    part = "the text nests" if where == "body" else "the notes nest"
    assert err.startswith(f"articles/deep.md: {part} too deeply to render")
    assert not config.path("output").exists()


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p.symlink_to(p.parent / "nowhere.yaml"), "this link points to nothing"),
        (lambda p: p.mkdir(), "this is a folder, not a file"),
        (lambda p: os.mkfifo(p), "this is a pipe, a socket or a device, not a file"),
    ],
)
def test_settings_that_are_not_a_file_are_an_error_not_the_defaults(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], object],
    problem: str,
) -> None:
    config = make_site(tmp_path / "project", {"a.md": GOOD})
    make(config.root / "newsgen.yaml")
    assert _run(config.root, "build") == 1
    assert capsys.readouterr().err.startswith(f"newsgen.yaml: cannot read the settings: {problem}")
    assert not config.path("output").exists()


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p.symlink_to(p.parent / "nowhere.md"), "this link points to nothing"),
        (lambda p: p.symlink_to(p.parent.parent / "outside.md"), "this link points outside"),
        (lambda p: p.mkdir(), "this is a folder, not a file"),
    ],
)
def test_an_about_page_that_is_not_a_file_of_the_project_is_an_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], object],
    problem: str,
) -> None:
    (tmp_path / "outside.md").write_text("---\ntitle: From elsewhere\n---\nSecret.\n")
    config = make_site(tmp_path / "project", {"a.md": GOOD})
    make(config.root / "about.md")
    assert _run(config.root, "build") == 1
    assert capsys.readouterr().err.startswith(f"about.md: {problem}")
    assert not config.path("output").exists()


def test_markdown_files_not_named_md_are_named_and_office_lock_files_skipped(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": GOOD, "B.MD": GOOD, "c.markdown": GOOD})
    (config.root / "articles" / "~$a.md").write_bytes(b"\x05owner\x00\x00\xff")  # a lock file
    assert _run(config.root, "build") == 0
    err = capsys.readouterr().err
    for name in ("B.MD", "c.markdown"):
        assert f"articles/{name}: warning: not read: an article's file name ends in '.md'" in err
    assert "~$a.md" not in err
    assert _run(config.root, "build", "--strict") == 1


def test_an_articles_folder_that_is_a_file_says_so(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": GOOD})
    source = config.path("source")
    for path in source.iterdir():
        path.unlink()
    source.rmdir()
    source.write_text("not a folder")
    assert _run(config.root, "build") == 1
    assert capsys.readouterr().err.startswith("articles: the articles folder is not a folder")


def test_a_field_a_comment_marks_todo_is_a_warning_and_fails_a_strict_build(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "---\ntitle: Imported\n"
        "date: 2024-05-01  # TODO: no date found; today's stands in\n"
        "source: S\ncountries: [UZ]  # checked\ntags: []  # todo-list\n---\nBody.\n"
    )
    config = site({"a.md": GOOD, "imported.md": text})
    assert _run(config.root, "build") == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "articles/imported.md:3: warning: 'date' is still marked TODO: no date found; "
        "today's stands in"
    ]
    assert _run(config.root, "build", "--strict") == 1


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("feed_size: many", "'feed_size' must be a whole number, not 'many'"),
        ("strict: 1", "'strict' must be true or false, not 1"),
        ("title: [A, B]", "'title' must be text, not ['A', 'B']"),
        ("output: 3", "'output' must be a folder's path, not 3"),
    ],
)
def test_a_setting_of_the_wrong_kind_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, message: str
) -> None:
    config = make_site(tmp_path / "project", {"a.md": GOOD})
    settings = ["description: An archive.", setting]  # the setting on the second line
    (config.root / "newsgen.yaml").write_text("\n".join(settings) + "\n")
    line = 2
    assert _run(config.root, "build") == 1
    assert capsys.readouterr().err.startswith(f"newsgen.yaml:{line}: {message}")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("cache: loop", "loop: the cache folder cannot be used: this link leads round in a loop"),
        (
            "source: loop",
            "loop: the articles folder cannot be used: this link leads round in a loop",
        ),
    ],
)
def test_a_folder_that_is_a_link_round_in_a_loop_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, message: str
) -> None:
    config = make_site(tmp_path / "project", {"a.md": GOOD})
    (config.root / "loop").symlink_to("loop")
    (config.root / "newsgen.yaml").write_text(setting + "\n")
    assert _run(config.root, "build") != 0
    err = capsys.readouterr().err
    assert err.startswith(message) and "Traceback" not in err
    assert not config.path("output").exists()


def test_a_todo_mark_names_its_own_field_and_is_found_after_any_value(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "---\ntitle: Marked\ndate: 2021-10-14 # TODO\nsource: S\n"
        "summary: Don't panic  # TODO: check\n"
        'author: "Campaign #TODO x"  # TODO: real name\n'
        "story: it-s  # not a mark\n---\nBody.\n"
    )
    config = site({"a.md": text})
    assert _run(config.root, "build") == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "TODO" in line]
    assert warnings == [
        "articles/a.md:3: warning: 'date' is still marked TODO",
        "articles/a.md:5: warning: 'summary' is still marked TODO: check",
        "articles/a.md:6: warning: 'author' is still marked TODO: real name",
    ]


def test_a_run_of_brackets_in_a_first_paragraph_takes_linear_time() -> None:
    import time

    from newsgen.load import first_paragraph_text

    started = time.perf_counter()
    first_paragraph_text("[" * 50_000 + " text")
    # Quadratic, this took 6 s; linear, milliseconds (a bound far above either noise).
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "line",
    [
        'title: "C# TODO apps are booming"',
        "title: 'Campaign #TODO trends'",
        "title: C# TODO apps",
        "source_url: https://www.example.org/x#TODO",
    ],
)
def test_a_todo_inside_a_value_is_no_mark(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], line: str
) -> None:
    text = article_text("Placeholder").replace("title: Placeholder", line)
    if not line.startswith("title:"):
        text = text.replace("---\n", "---\ntitle: Placeholder\n", 1)
    config = site({"a.md": text})
    assert _run(config.root, "build", "--strict") == 0, capsys.readouterr().err


def test_check_refuses_the_cache_folder_a_build_would_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_site(tmp_path / "project", {"a.md": GOOD}, "cache: _site/cache\n")
    assert _run(config.root, "check") == 1
    assert "the cache folder cannot be _site/cache" in capsys.readouterr().err


def test_a_hidden_cache_folder_inside_the_articles_folder_is_taken(tmp_path: Path) -> None:
    # An archive kept at the project's top: articles beside newsgen.yaml, the default cache.
    config = make_site(tmp_path / "project", {}, "source: .\noutput: ../site\n")
    (config.root / "a.md").write_text(GOOD)
    assert _run(config.root, "build") == 0
    assert _run(config.root, "build") == 0
    assert (config.root / ".newsgen-cache" / "state.sqlite").is_file()


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("https://example.org/a b/", "must not hold spaces or control characters"),
        ("https://exa mple.org/", "must not hold spaces or control characters"),
        ("https://exa_mple.org/", "names no host a browser can reach (exa_mple.org)"),
        ("http://1.2.3.4.5.6/", "names no host a browser can reach (1.2.3.4.5.6)"),
    ],
)
def test_a_base_url_with_a_space_or_an_impossible_host_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], base_url: str, message: str
) -> None:
    config = make_site(tmp_path / "project", {"a.md": GOOD})
    (config.root / "newsgen.yaml").write_text(f"base_url: '{base_url}'\n")
    assert _run(config.root, "build") == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "base_url",
    ["https://example.org/", "http://localhost:8000/", "https://[::1]/", "https://10.0.0.1/a/"],
)
def test_a_base_url_that_is_a_whole_address_is_taken(tmp_path: Path, base_url: str) -> None:
    config = make_site(tmp_path / "project", {"a.md": GOOD}, f"base_url: '{base_url}'\n")
    assert _run(config.root, "build") == 0


def test_a_template_others_import_that_is_not_text_is_named_once(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": GOOD})
    (config.root / "templates" / "_macros.html").write_bytes(b"caf\xe9")
    assert _run(config.root, "build") == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "templates/_macros.html: cannot read the template: it is not UTF-8 text",
        "1 error(s); nothing was written.",
    ]


def test_check_names_the_article_a_broken_link_is_in_and_says_it_once(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    # Not a link to an article's file ('b.md'): the build itself warns of those.
    config = site({"a.md": GOOD, "links.md": article_text("Links", body="See [b](b.html).\n")})
    assert _run(config.root, "build", "--strict") == 0
    capsys.readouterr()

    assert _run(config.root, "check") == 1

    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[1] == "1 broken link(s)."
    assert err[0].startswith("articles/links.md: articles/2021/10/14-links.html:")
    assert err[0].endswith("link 'b.html' points to articles/2021/10/b.html, which does not exist")


def test_tags_that_are_one_topic_are_kept_once_as_first_written(
    site: Callable[..., Config],
) -> None:
    from newsgen.pipeline import load_archive

    text = article_text("Tags", tags='["économie ", "Économie", "Energy", "energy  ", "water"]')
    config = site({"a.md": text})
    archive, _ = load_archive(config, use_cache=False)
    (article,) = archive.articles
    assert article.tags == ("économie", "Energy", "water")


def test_a_right_to_left_language_is_laid_out_right_to_left(
    site: Callable[..., Config], tmp_path: Path
) -> None:
    import lxml.html

    arabic = article_text("قمة في الرياض", language="ar", story="summit")
    english = article_text("Summit in Riyadh", date="2021-10-15", story="summit")
    config = site({"ar.md": arabic, "en.md": english})
    assert _run(config.root, "build", "--strict") == 0
    output = config.path("output")
    pages = {p.name: lxml.html.parse(str(p)).getroot() for p in output.rglob("*.html")}
    page = next(root for root in pages.values() if root.get("lang") == "ar")
    assert page.get("dir") == "rtl"
    # The site's own words on it are English, and say which way they run.
    assert page.xpath('//*[@lang="en"][@dir="ltr"]')
    english_page = next(root for name, root in pages.items() if "summit-in-riyadh" in name)
    assert english_page.get("dir") is None
    assert english_page.xpath('//*[@lang="ar"][@dir="rtl"]')  # the Arabic report's title
    # The story is named by its earliest headline, the Arabic one, wherever it is named.
    assert english_page.xpath('//a[contains(@href, "stories/")][@lang="ar"][@dir="rtl"]')
    story = next(root for name, root in pages.items() if name == "summit.html")
    assert story.xpath('//h1[@lang="ar"][@dir="rtl"]')

    whole = make_site(tmp_path / "arabic-site", {"a.md": arabic}, "language: ar\n")
    assert _run(whole.root, "build") == 0
    index = lxml.html.parse(str(whole.path("output") / "index.html")).getroot()
    assert (index.get("lang"), index.get("dir")) == ("ar", "rtl")


def test_no_file_takes_a_name_windows_keeps_for_a_device(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    from newsgen.pipeline import load_archive

    config = site({"a.md": article_text("Tagged", tags="[CON, nul, aux2]")})
    archive, _ = load_archive(config, use_cache=False)
    assert archive.topic_slugs["con"].startswith("con-")
    assert archive.topic_slugs["nul"].startswith("nul-")
    assert archive.topic_slugs["aux2"] == "aux2"

    (config.path("source") / "b.md").write_text(article_text("Story", story="Con"))
    assert _run(config.root, "build") == 1
    assert "'story' may not be 'Con': Windows keeps that name for a device" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("a (conflicted copy 2021-10-15).md", "Dropbox's copy from a sync conflict"),
        ("a (Jane Doe's conflicted copy 2021-10-15 (1)).md", "Dropbox's copy from a sync conflict"),
        ("a (conflicted copy 2021-10-15 093000).md", "Dropbox's copy from a sync conflict"),
        ("a.sync-conflict-20211014-123456-ABCDEFG.md", "Syncthing's copy from a sync conflict"),
        ("a_REMOTE_4242.md", "git mergetool's copy from resolving a merge"),
    ],
)
def test_a_copy_a_sync_or_merge_tool_left_is_no_article_and_is_named(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], name: str, what: str
) -> None:
    # The copy differs from the article: as an article of its own it would be published twice.
    config = site({"a.md": GOOD, name: GOOD.replace("A good article", "A good article, edited")})
    assert _run(config.root, "build") == 0
    err = capsys.readouterr().err
    message = f"not read: {what} of a.md; merge what it adds into a.md, then delete it"
    assert f"articles/{name}: warning: {message}" in err.splitlines()
    pages = [p.name for p in (config.path("output") / "articles").rglob("*.html")]
    assert pages == ["14-a-good-article.html"]
    assert _run(config.root, "build", "--strict") == 1


def test_a_name_with_a_tools_mark_but_not_its_pattern_is_an_article(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"field_notes.md": GOOD, "conflicted copy.md": GOOD.replace("good", "second")})
    assert _run(config.root, "build", "--strict") == 0
    assert "not read" not in capsys.readouterr().err


def test_a_name_like_a_tools_copy_with_no_article_beside_it_is_an_article(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    # No 'elections.md' beside it: this is an article's own name (or all that is left).
    texts = {
        "elections_LOCAL_2020.md": GOOD,
        "b (conflicted copy 2021-10-15).md": GOOD.replace("A good article", "Another"),
    }
    config = site(texts)
    assert _run(config.root, "build", "--strict") == 0
    assert "not read" not in capsys.readouterr().err
    assert len(list((config.path("output") / "articles").rglob("*.html"))) == 2


def test_every_wrong_setting_is_reported_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A wrong kind, a count out of range, an unknown zone, a bad pattern and a bad address,
    # each on its own line: fixing one must not merely reveal the next.
    wrong = {
        "feed_size": ("ten", "'feed_size' must be a whole number, not 'ten'"),
        "latest_count": ("0", "'latest_count' must be 1 or more, not 0"),
        "timezone": ("Mars/Base", "unknown time zone 'Mars/Base'"),
        "permalink": ('"{year}/{nope}.html"', ""),
        "base_url": ("ftp://example.org/", "'base_url' must be a whole address"),
    }
    config = make_site(tmp_path / "project", {"a.md": GOOD})
    settings = "".join(f"{key}: {value}\n" for key, (value, _) in wrong.items())
    (config.root / "newsgen.yaml").write_text("titel: X\n" + settings)

    assert _run(config.root, "build") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("newsgen.yaml:1: warning: unknown setting 'titel'")
    for line, (_, message) in enumerate(wrong.values(), start=2):
        assert sum(e.startswith(f"newsgen.yaml:{line}: {message}") for e in err) == 1
    assert err[-1] == f"{len(wrong)} error(s); nothing was written."
    assert not config.path("output").exists()
