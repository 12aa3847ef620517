"""Links from one article's body to another article's file lead to that article's page."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import html as lxml_html

from newsgen import urls
from newsgen.cli import main
from newsgen.config import Config, load_config
from newsgen.mdlinks import file_links
from newsgen.pipeline import build
from newsgen.render import section_id

from .conftest import article_text, snapshot

FIRST = article_text(
    "Talks open",
    date="2021-10-14",
    countries="[UZ]",
    body="The talks opened.\n\n## The terms\n\nWhat was agreed.\n",
)


def _hrefs(page: Path) -> list[str]:
    tree = lxml_html.fromstring(page.read_bytes())
    return [a.get("href") for a in tree.xpath("//div[@class='article-body']//a")]


def _page(output: Path, title: str) -> Path:
    """The built page of the article with this headline."""
    (found,) = [
        p
        for p in output.glob("articles/**/*.html")
        if f"<h1>{title}</h1>" in p.read_text() or f">{title}</h1>" in p.read_text()
    ]
    return found


def _link(output: Path, from_page: Path, to_page: Path) -> str:
    return urls.relative(
        from_page.relative_to(output).as_posix(), to_page.relative_to(output).as_posix()
    )


def test_a_link_to_an_articles_file_leads_to_its_page(site: Callable[..., Config]) -> None:
    body = (
        "As [first reported](2021-talks.md), and [in detail](2021-talks.md#the-terms).\n\n"
        "See also [the follow-up][next] and [the home page](https://example.org/readme.md).\n\n"
        "[next]: later/2022-follow-up.md\n"
    )
    config = site(
        {
            "2021-talks.md": FIRST,
            "2021-summary.md": article_text("Summary", date="2021-12-01", body=body),
            "later/2022-follow-up.md": article_text(
                "Follow-up", date="2022-01-05", body="Back to [the start](../2021-talks.md).\n"
            ),
        }
    )
    report = build(config)
    assert report.warnings == []
    output = config.path("output")
    summary, talks, follow = (_page(output, t) for t in ("Summary", "Talks open", "Follow-up"))
    to_talks = _link(output, summary, talks)
    terms = section_id(talks.relative_to(output).as_posix(), "the-terms")
    assert f'<h2 id="{terms}">The terms</h2>' in talks.read_text()
    assert _hrefs(summary) == [
        to_talks,
        f"{to_talks}#{terms}",
        _link(output, summary, follow),
        "https://example.org/readme.md",
    ]
    assert _hrefs(follow) == [_link(output, follow, talks)]
    assert all(
        (page.parent / h.partition("#")[0]).resolve().is_file()
        for page in (summary, follow)
        for h in _hrefs(page)
        if not h.startswith("https:")
    )


def test_a_link_to_no_article_is_a_warning_at_its_line(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    body = "The first paragraph.\n\nSee [the earlier report](2021-tlaks.md).\n"
    config = site({"2021-talks.md": FIRST, "b.md": article_text("Second", body=body)})
    line = (config.path("source") / "b.md").read_text().splitlines().index(
        "See [the earlier report](2021-tlaks.md)."
    ) + 1
    report = build(config)
    (warning,) = report.warnings
    assert (warning.path, warning.line) == (config.path("source") / "b.md", line)
    assert "'2021-tlaks.md' leads to no article of the archive" in warning.message
    # The link is left as written, where `check` finds it; a strict build fails on it.
    assert _hrefs(_page(config.path("output"), "Second")) == ["2021-tlaks.md"]
    assert main(["--root", str(config.root), "build", "--strict"]) == 1
    assert f"b.md:{line}: its link to '2021-tlaks.md'" in capsys.readouterr().err


def test_code_is_not_followed(site: Callable[..., Config]) -> None:
    body = (
        "Write `[x](other.md)` to link.\n\n```\n[y](fenced.md)\n```\n\n~~~~\n[z](a.md)\n~~~~\n"
        "\nA paragraph.\n\n    [code](indented.md)\n"
    )
    assert file_links(body) == ()
    assert file_links(body.replace("\n", "\r\n")) == ()  # a file saved on Windows
    config = site({"a.md": article_text("Code", body=body)})
    assert build(config).warnings == []
    assert "other.md" in _page(config.path("output"), "Code").read_text()


def test_links_follow_their_articles_across_rebuilds(site: Callable[..., Config]) -> None:
    body = "See [the report](2021-talks.md).\n"
    # Reports between the two, so the linked one is neither neighbour nor related report
    # of the other: only the link ties them.
    between = {
        f"m{n}.md": article_text(f"Between {n}", date=f"2021-11-0{n}", countries="[KZ]")
        for n in range(1, 4)
    }
    config = site({"b.md": article_text("Second", date="2022-02-02", body=body), **between})
    output = config.path("output")
    assert len(build(config).warnings) == 1  # the report is not there yet

    source = config.path("source")
    (source / "2021-talks.md").write_text(FIRST)
    assert build(config).warnings == []
    second = _page(output, "Second")
    assert _hrefs(second) == [_link(output, second, _page(output, "Talks open"))]

    # Its address moves (another slug): the link follows; then it goes, and the link is
    # left as written. Each time the site is the one a full build makes.
    (source / "2021-talks.md").write_text(FIRST.replace("countries:", "slug: renamed\ncountries:"))
    build(config)
    assert _hrefs(second)[0].endswith("14-renamed.html")
    assert _built(config) == _full(config)
    (source / "2021-talks.md").unlink()
    assert len(build(config).warnings) == 1
    assert _hrefs(second) == ["2021-talks.md"]
    assert _built(config) == _full(config)


def _full(config: Config) -> dict[str, bytes]:
    """The site as a full build from nothing makes it, but the build's own manifest."""
    fresh = config.root.parent / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    full, _ = load_config(config.root, {"output": fresh, "cache": config.root.parent / "none"})
    build(full, full=True)
    return {k: v for k, v in snapshot(fresh).items() if k != urls.MANIFEST}


def _built(config: Config) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(config.path("output")).items() if k != urls.MANIFEST}


def test_finding_links_takes_time_linear_in_the_text() -> None:
    texts = ["`" * 50_000 + "](a.md)", "` `` " * 20_000 + "](a.md)", "](" * 50_000 + "a.md)"]
    for text in texts:
        started = time.perf_counter()
        file_links(text)
        assert time.perf_counter() - started < 2, text[:20]  # a hang guard, not a target


def test_names_written_with_escapes_parentheses_or_backslashes_are_followed(
    site: Callable[..., Config],
) -> None:
    body = (
        "[amp](a&amp;b.md), [escaped](escaped\\.md), [parens](x(1).md), "
        "[backslash](sub\\inner.md), [encoded](with%20space.md).\n"
    )
    config = site(
        {
            "a&b.md": article_text("Amp", date="2020-01-01"),
            "escaped.md": article_text("Escaped", date="2020-01-02"),
            "x(1).md": article_text("Parens", date="2020-01-03"),
            "sub/inner.md": article_text("Inner", date="2020-01-04"),
            "with space.md": article_text("Spaced", date="2020-01-05"),
            "linker.md": article_text("Linker", date="2021-01-01", body=body),
        }
    )
    assert build(config).warnings == []
    output = config.path("output")
    linker = _page(output, "Linker")
    titles = ["Amp", "Escaped", "Parens", "Inner", "Spaced"]
    assert _hrefs(linker) == [_link(output, linker, _page(output, t)) for t in titles]


def test_many_links_to_no_article_are_found_in_time_linear_in_them(
    site: Callable[..., Config],
) -> None:
    count = 8000
    body = "".join(f"[{n}](missing-{n}.md)\n\n" for n in range(count))
    config = site({"a.md": article_text("Many", body=body)})
    first = (config.path("source") / "a.md").read_text().splitlines().index("[0](missing-0.md)")
    started = time.perf_counter()
    warnings = build(config).warnings
    assert time.perf_counter() - started < 15  # a hang guard: quadratic, it took 30 s
    assert [w.line for w in warnings] == [first + 1 + 2 * n for n in range(count)]


@pytest.mark.parametrize(
    ("written", "found"),
    [
        ("A stray ` here.\n\nSee [a](b.md).\n\nThen `code` here.", ("b.md",)),
        ("An escaped \\`[a](b.md)\\` tick.", ("b.md",)),
        ("- an item\n\n    [a](in-the-item.md)", ("in-the-item.md",)),
        ("Text\n    [a](lazy-line.md)", ("lazy-line.md",)),
        ("[a](b.md)", ("b.md",)),
        ("[a](<with space.md> 'title')", ("with space.md",)),
        ("[a](b.md?x=1#y)", ("b.md",)),
        ("[a](/from-root.md) [b](#frag.md) [c](mailto:x.md) [d](//host/x.md)", ()),
        ("[a](b.MD) [c](b.markdown) [d](.md)", ()),
        ("[a](b.md) [c](b.md#part)", ("b.md",)),
        ("![picture](b.md)", ("b.md",)),
    ],
)
def test_which_links_name_an_articles_file(written: str, found: tuple[str, ...]) -> None:
    assert file_links(written) == found
    assert file_links(written.replace(".md", ".txt")) == ()


def test_a_link_to_a_section_leads_to_its_heading_and_check_passes(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = (
        "See [the method](#method), [the terms](2021-talks.md#the-terms) and "
        "[the sources](#sources-and-thanks).\n\n## Method\n\nHow.\n\n"
        "### Sources and thanks\n\nWho.\n\n[TOC]\n"
    )
    texts = {"2021-talks.md": FIRST, "b.md": article_text("Report", date="2021-12-01", body=body)}
    config = site(texts)
    build(config)
    output = config.path("output")
    report, talks = _page(output, "Report"), _page(output, "Talks open")
    tree = lxml_html.fromstring(report.read_bytes())
    ids = set(tree.xpath("//div[@class='article-body']//*[self::h2 or self::h3]/@id"))
    own = report.relative_to(output).as_posix()
    assert ids == {section_id(own, "method"), section_id(own, "sources-and-thanks")}
    hrefs = _hrefs(report)
    assert hrefs[0] == "#" + section_id(own, "method")
    assert hrefs[2] == "#" + section_id(own, "sources-and-thanks")
    assert hrefs[1].endswith("#" + section_id(talks.relative_to(output).as_posix(), "the-terms"))
    assert "[TOC]" in report.read_text()  # a text's "[TOC]" stays text
    capsys.readouterr()
    assert main(["--root", str(config.root), "check"]) == 0, capsys.readouterr().err
    # Bodies read back from the cache keep their headings' ids.
    fresh = config.root / "again"
    assert main(["--root", str(config.root), "build", "--output", str(fresh)]) == 0
    assert snapshot(fresh) == snapshot(output)


def test_a_pages_body_and_notes_never_share_an_id(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    body = "## Notes method\n\nText.[^notes-1]\n\n## Method\n\n[^notes-1]: A footnote.\n"
    notes = '"## Method\\n\\nHow the date was found: see [the method](#method).\\n"'
    config = site({"a.md": article_text("Report", body=body, notes=notes)})
    build(config)
    page = _page(config.path("output"), "Report")
    ids = lxml_html.fromstring(page.read_bytes()).xpath("//@id")
    headings = [i for i in ids if "-h-" in i]
    assert len(headings) == 3 and len(set(headings)) == 3
    capsys.readouterr()
    assert main(["--root", str(config.root), "check"]) == 0, capsys.readouterr().err


def test_check_names_an_id_given_twice_on_a_page() -> None:
    from newsgen.linkcheck import check_links

    page = b'<p id="a">one</p>\n<h2 id="b">two</h2>\n<a href="#a" id="a">three</a>\n'
    assert check_links({"x.html": page}) == ["x.html:3: a second element has the id 'a'"]
    assert check_links({"x.html": page.replace(b'id="a">three', b'id="c">three')}) == []
