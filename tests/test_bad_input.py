"""Each bad input, dropped into a working archive: one clear file:line message, exit 1, site untouched."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from newsgen.cli import main

from .conftest import article_text, make_site, snapshot

GOOD = article_text("A good article", countries="[Uzbekistan]")


def _fm(*lines: str, body: str = "Body.\n") -> bytes:
    return ("---\n" + "\n".join(lines) + "\n---\n" + body).encode()


BASE = ("title: T", "date: 2021-10-14", "source: S")

# name → (file bytes, the exact message printed for it)
CASES: dict[str, tuple[bytes, str]] = {
    "no-front-matter": (
        b"Just some text.\n",
        "articles/bad.md:1: no front matter: the file must begin with a '---' line "
        "(see README.md for the article format)",
    ),
    "unclosed-front-matter": (
        b"---\ntitle: T\ndate: 2021-10-14\n",
        "articles/bad.md:1: the front matter is never closed: add a '---' line after it",
    ),
    "empty-file": (
        b"",
        "articles/bad.md:1: the file is empty; an article starts with '---' front matter",
    ),
    "yaml-syntax": (
        _fm("title: [unclosed", "date: 2021-10-14", "source: S"),
        "articles/bad.md:3: the front matter is not valid YAML: did not find expected ',' or ']' "
        "(see the [ … ] list that starts on line 2)",
    ),
    "python-tag": (
        _fm("title: !!python/object/apply:os.system ['echo hi']", "date: 2021-10-14", "source: S"),
        "articles/bad.md:2: YAML tag '!!python/object/apply:os.system' is not allowed: "
        "the front matter holds plain values only",
    ),
    "duplicate-key": (
        _fm(*BASE, "title: Again"),
        "articles/bad.md:5: 'title' is given twice (first on line 2)",
    ),
    "missing-source": (
        _fm("title: T", "date: 2021-10-14"),
        "articles/bad.md:1: missing required field 'source' (who published it)",
    ),
    "impossible-date": (
        _fm("title: T", "date: 2021-02-31", "source: S"),
        "articles/bad.md:3: 'date' is not a real date: '2021-02-31' (day is out of range for month)",
    ),
    "not-a-date": (
        _fm("title: T", "date: last tuesday", "source: S"),
        "articles/bad.md:3: 'date' is not a date: 'last tuesday' "
        "(write it as YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS+hh:mm)",
    ),
    # A date written another way is refused, with its ISO form where it has only one reading.
    **{
        f"date-{written}": (
            _fm("title: T", f"date: {written}", "source: S"),
            f"articles/bad.md:3: 'date' is not a date: '{written}' (write it as 2021-10-14)",
        )
        for written in (
            "14.10.2021",
            "October 14, 2021",
            "14/10/2021",
            "14 Oct 2021",
            "2021/10/14",
            "10/14/2021",
            "14 октября 2021",
        )
    },
    # Day and month both 12 or less: each reading, never one of them chosen.
    **{
        f"date-day-or-month-first-{separator}": (
            _fm("title: T", f"date: 03{separator}04{separator}2021", "source: S"),
            f"articles/bad.md:3: 'date' is not a date: '03{separator}04{separator}2021' "
            "(write it as 2021-04-03 if the day comes first, "
            "or 2021-03-04 if the month comes first)",
        )
        for separator in "/.-"
    },
    # A two-digit year is a century guessed: no proposal.
    "date-two-digit-year": (
        _fm("title: T", "date: 14.10.21", "source: S"),
        "articles/bad.md:3: 'date' is not a date: '14.10.21' "
        "(write it as YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS+hh:mm)",
    ),
    "retrieved-written-another-way": (
        _fm(*BASE, "retrieved: 2 May 2024"),
        "articles/bad.md:5: 'retrieved' is not a date: '2 May 2024' (write it as 2024-05-02)",
    ),
    "tab-indents-a-list": (
        _fm(*BASE, "countries:", "\t- Russia"),
        "articles/bad.md:6: the front matter is not valid YAML: a tab stands where YAML allows "
        "only spaces (indent with spaces)",
    ),
    "tab-after-spaces-in-a-list": (
        _fm(*BASE, "tags:", "  - energy", "\t- gas"),
        "articles/bad.md:7: the front matter is not valid YAML: a tab stands where YAML allows "
        "only spaces (indent with spaces)",
    ),
    "tab-in-a-block-of-text": (
        _fm(*BASE, "notes: |", "  First line.", "\tSecond line."),
        "articles/bad.md:7: the front matter is not valid YAML: a tab stands where YAML allows "
        "only spaces (indent with spaces)",
    ),
    "reserved-character": (
        _fm(*BASE, "author: @someone"),
        "articles/bad.md:5: the front matter is not valid YAML: '@' cannot start a value "
        "(put the value in quotes)",
    ),
    # An alias is refused at its own line, not its anchor's, whether the anchor exists or not.
    "alias": (
        _fm("title: &t T", "source: S", "date: 2021-10-14", "summary: *t"),
        "articles/bad.md:5: YAML aliases (*name) are not allowed: write the value out again",
    ),
    "alias-in-a-list": (
        _fm(*BASE, "tags: &t energy", "countries:", "  - UZ", "  - *t"),
        "articles/bad.md:8: YAML aliases (*name) are not allowed: write the value out again",
    ),
    "alias-to-no-anchor": (
        _fm(*BASE, "summary: *t"),
        "articles/bad.md:5: YAML aliases (*name) are not allowed: write the value out again",
    ),
    "anchor-twice": (
        _fm("title: &t T", "date: 2021-10-14", "source: &t S"),
        "articles/bad.md:4: a YAML anchor (&name) is given twice (first on line 2)",
    ),
    # Line breaks to YAML, not to editors: named at the line an editor shows them on.
    "line-separator": (
        _fm("title: T", "date: 2021-10-14", "source: Agence\u2028France-Presse"),
        "articles/bad.md:4: the front matter holds U+2028 (LINE SEPARATOR), which YAML reads "
        "as a line break (delete it, or put a space or a line break in its place)",
    ),
    "paragraph-separator-quoted": (
        _fm('title: "One\u2029two"', "date: 14/14/2021", "source: S"),
        "articles/bad.md:2: the front matter holds U+2029 (PARAGRAPH SEPARATOR), which YAML "
        "reads as a line break (delete it, or put a space or a line break in its place)",
    ),
    "next-line": (
        _fm(*BASE, "tags: [one\x85two]"),
        "articles/bad.md:5: the text holds the control character U+0085 "
        "(delete it; it cannot be shown in a page or a feed)",
    ),
    "countries-not-a-list": (
        _fm(*BASE, "countries: Uzbekistan"),
        "articles/bad.md:5: 'countries' must be a list (write it as a list: countries: [Uzbekistan])",
    ),
    "norway-read-as-false": (
        _fm(*BASE, "countries:", "  - Russia", "  - NO"),
        "articles/bad.md:7: 'NO' was read as false, not as a country (quote it: \"NO\")",
    ),
    "number-as-title": (
        _fm("title: 1984", "date: 2021-10-14", "source: S"),
        "articles/bad.md:2: 'title' must be text, not a number (quote it: title: \"1984\")",
    ),
    "bool-as-title": (
        _fm("title: yes", "date: 2021-10-14", "source: S"),
        "articles/bad.md:2: 'title' must be text, but yes was read as true (quote it: title: \"yes\")",
    ),
    "unknown-country": (
        _fm(*BASE, "countries: [Uzbekstan]"),
        "articles/bad.md:5: unknown country 'Uzbekstan' (did you mean 'Uzbekistan'?)",
    ),
    "not-utf8": (
        _fm(*BASE).replace(b"title: T", b"title: Caf\xe9"),
        "articles/bad.md:2: the file is not UTF-8: byte 0xe9 cannot be read (save it as UTF-8)",
    ),
    "utf16-without-its-mark": (
        _fm(*BASE).decode().encode("utf-16-le"),
        "articles/bad.md:1: the file is UTF-16 text without the mark that says which kind "
        "(save it as UTF-8)",
    ),
    "utf32-without-its-mark": (
        _fm(*BASE).decode().encode("utf-32-be"),
        "articles/bad.md:1: the file is UTF-32 text without the mark that says which kind "
        "(save it as UTF-8)",
    ),
    "utf16-cut-short": (
        _fm(*BASE).decode().encode("utf-16") + b"\x00",
        "articles/bad.md:1: the file is not whole UTF-16 text, as its first bytes say it is "
        "(save it as UTF-8)",
    ),
    # Lines ended by a carriage return alone (old Mac editors) are lines all the same.
    "not-utf8-lone-cr": (
        _fm(*BASE).replace(b"\n", b"\r").replace(b"title: T", b"title: Caf\xe9"),
        "articles/bad.md:2: the file is not UTF-8: byte 0xe9 cannot be read (save it as UTF-8)",
    ),
    "control-character-lone-cr": (
        _fm(*BASE, body="One.\r\rTwo \x01.\r").replace(b"\n", b"\r"),
        "articles/bad.md:8: the text holds the control character U+0001 "
        "(delete it; it cannot be shown in a page or a feed)",
    ),
    "nul-crlf-and-lone-cr": (
        _fm(*BASE, body="One.\r\n\rTwo \x00.\n").replace(b"\n---", b"\r\n---"),
        "articles/bad.md:8: this is not a text file (it holds binary data)",
    ),
    "binary": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "articles/bad.md:3: this is not a text file (it holds binary data)",
    ),
    "slug-parent": (
        _fm(*BASE, "slug: ../escape"),
        "articles/bad.md:5: 'slug' must be one name of letters, digits, '-', '_' or '.': '../escape' "
        "(it names a file, so it cannot hold '/', '\\', '..' or start with '.')",
    ),
    "slug-absolute": (
        _fm(*BASE, "slug: /etc/passwd"),
        "articles/bad.md:5: 'slug' must be one name of letters, digits, '-', '_' or '.': '/etc/passwd' "
        "(it names a file, so it cannot hold '/', '\\', '..' or start with '.')",
    ),
    "slug-backslash": (
        _fm(*BASE, "slug: 'a\\b'"),
        "articles/bad.md:5: 'slug' must be one name of letters, digits, '-', '_' or '.': 'a\\\\b' "
        "(it names a file, so it cannot hold '/', '\\', '..' or start with '.')",
    ),
    "slug-nul": (
        _fm(*BASE, 'slug: "a\\0b"'),
        "articles/bad.md:5: the text holds the control character U+0000 "
        "(delete it; it cannot be shown in a page or a feed)",
    ),
    "javascript-source-url": (
        _fm(*BASE, "source_url: javascript:alert(1)"),
        "articles/bad.md:5: 'source_url' must be a web address starting with http:// or https://: "
        "'javascript:alert(1)'",
    ),
    "offset-past-a-day": (
        _fm("title: T", "date: 2021-10-14T10:00:00+25:00", "source: S"),
        "articles/bad.md:3: 'date' has no real time of day: '2021-10-14T10:00:00+25:00' "
        "(write the time as HH:MM or HH:MM:SS and an offset from UTC as +hh:mm, -23:59 to +23:59)",
    ),
    "hour-25": (
        _fm("title: T", "date: 2021-10-14T25:00", "source: S"),
        "articles/bad.md:3: 'date' has no real time of day: '2021-10-14T25:00' "
        "(write the time as HH:MM or HH:MM:SS and an offset from UTC as +hh:mm, -23:59 to +23:59)",
    ),
    "offset-with-seconds": (
        _fm("title: T", "date: 2021-10-14T10:00:00+05:30:15", "source: S"),
        "articles/bad.md:3: 'date' has an offset from UTC of hours, minutes and seconds: "
        "'2021-10-14T10:00:00+05:30:15' "
        "(write the time as HH:MM or HH:MM:SS and an offset from UTC as +hh:mm, -23:59 to +23:59)",
    ),
    "empty-tag": (
        _fm(*BASE, 'tags: [energy, ""]'),
        "articles/bad.md:5: an item of 'tags' is empty (remove it, or write the topic)",
    ),
    "same-url": (
        article_text("A good article").encode(),
        "articles/good.md:1: articles/bad.md already makes the page "
        "articles/2021/10/14-a-good-article.html: both would write it "
        "(give one of them its own 'slug:')",
    ),
}


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A working archive, built once."""
    root = tmp_path / "project"
    make_site(root, {"good.md": GOOD})
    assert main(["--root", str(root), "build"]) == 0
    return root


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_reported_and_site_untouched(
    name: str, built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, message = CASES[name]
    before = snapshot(built / "_site")
    capsys.readouterr()
    (built / "articles" / "bad.md").write_bytes(data)

    code = main(["--root", str(built), "build"])

    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err[0] == message
    assert err[-1] == "1 error(s); nothing was written."
    assert "Traceback" not in "\n".join(err)
    assert snapshot(built / "_site") == before


def test_symlink_outside_articles(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = built.parent / "secret.md"
    outside.write_text(GOOD, encoding="utf-8")
    before = snapshot(built / "_site")
    capsys.readouterr()
    os.symlink(outside, built / "articles" / "link.md")

    code = main(["--root", str(built), "build"])

    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err[0] == f"articles/link.md: this link points outside {built.name}/: {outside}"
    assert snapshot(built / "_site") == before


def test_every_error_in_every_file_is_reported_at_once(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (built / "articles" / "one.md").write_bytes(_fm("title: 1984", "date: 2021-02-31", "source: S"))
    (built / "articles" / "two.md").write_bytes(b"")
    capsys.readouterr()

    assert main(["--root", str(built), "build"]) == 1

    err = capsys.readouterr().err.splitlines()
    assert err == [
        "articles/one.md:2: 'title' must be text, not a number (quote it: title: \"1984\")",
        "articles/one.md:3: 'date' is not a real date: '2021-02-31' (day is out of range for month)",
        "articles/two.md:1: the file is empty; an article starts with '---' front matter",
        "3 error(s); nothing was written.",
    ]


def test_unknown_field_warns_and_fails_under_strict(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (built / "articles" / "extra.md").write_bytes(
        _fm("title: Other", "date: 2021-10-14", "source: S", "countres: [UZ]")
    )
    capsys.readouterr()

    assert main(["--root", str(built), "build"]) == 0
    assert (
        "articles/extra.md:5: warning: unknown field 'countres' (did you mean 'countries'?)"
        in capsys.readouterr().err
    )

    assert main(["--root", str(built), "build", "--strict"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "articles/extra.md:5: unknown field 'countres' (did you mean 'countries'?)"


def test_byte_order_mark_is_fine(built: Path) -> None:
    (built / "articles" / "bom.md").write_bytes(
        b"\xef\xbb\xbf" + article_text("With a BOM").encode()
    )
    assert main(["--root", str(built), "build"]) == 0
    assert (built / "_site" / "articles" / "2021" / "10" / "14-with-a-bom.html").is_file()


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_unicode_text_with_its_mark_builds_as_utf8_does(built: Path, codec: str) -> None:
    text = article_text("Beyond ASCII", body="Ташкент, Müller, 東京.\n")
    page = built / "_site" / "articles" / "2021" / "10" / "14-beyond-ascii.html"
    (built / "articles" / "other.md").write_text(text, encoding="utf-8")
    assert main(["--root", str(built), "build"]) == 0
    as_utf8 = page.read_bytes()
    # "utf-16" writes the mark in the machine's order; the named orders write none: add it
    mark = {"utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
    (built / "articles" / "other.md").write_bytes(mark + text.encode(codec))

    assert main(["--root", str(built), "build"]) == 0
    assert page.read_bytes() == as_utf8
    assert "Ташкент, Müller, 東京." in as_utf8.decode()


def test_a_todo_mark_is_found_in_a_file_of_lone_carriage_returns(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _fm(*BASE, "author: Nobody  # TODO: find the byline")
    (built / "articles" / "old-mac.md").write_bytes(text.replace(b"\n", b"\r"))
    capsys.readouterr()

    assert main(["--root", str(built), "build", "--strict"]) == 1
    err = capsys.readouterr().err
    assert "articles/old-mac.md:5: 'author' is still marked TODO: find the byline" in err


@pytest.mark.parametrize(
    ("module", "stage"),
    [
        ("newsgen.load", "find_article_files"),  # after the walk, before the files are read
        ("newsgen.load", "load_articles"),  # before the bodies are read for their countries
        ("newsgen.pages", "plan_pages"),  # before the bodies are read for their pages
    ],
)
def test_an_article_deleted_during_the_build_is_named_with_what_to_do(
    built: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    stage: str,
) -> None:
    import importlib

    gone = built / "articles" / "gone.md"
    gone.write_text(article_text("Soon gone"), encoding="utf-8")
    target = importlib.import_module(module)
    original = getattr(target, stage)

    def then_delete(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)
        gone.unlink(missing_ok=True)
        return result

    monkeypatch.setattr(target, stage, then_delete)
    before = snapshot(built / "_site")
    capsys.readouterr()

    code = main(["--root", str(built), "build"])

    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err[0] == (
        "articles/gone.md: the file went away during the build (deleted or moved); build again"
    )
    assert "Traceback" not in "\n".join(err)
    assert snapshot(built / "_site") == before


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            "title: An\u2028archive\nlanguage: en\n",
            "newsgen.yaml:1: cannot read the settings: the file holds U+2028 (LINE SEPARATOR), "
            "which YAML reads as a line break (delete it, or put a space or a line break in its "
            "place)",
        ),
        (
            "title: &t An archive\nlanguage: en\ndescription: *t\n",
            "newsgen.yaml:3: YAML aliases (*name) are not allowed: write the value out again",
        ),
        (
            "title: An archive\nnav:\n\t- about\n",
            "newsgen.yaml:3: cannot read the settings: the file is not valid YAML: a tab stands "
            "where YAML allows only spaces (indent with spaces)",
        ),
    ],
)
def test_settings_get_the_same_yaml_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: str, message: str
) -> None:
    root = tmp_path / "project"
    make_site(root, {"good.md": GOOD})
    (root / "newsgen.yaml").write_text(settings, encoding="utf-8")
    capsys.readouterr()

    assert main(["--root", str(root), "build"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == message
