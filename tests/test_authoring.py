"""Adding articles: `new`, `add` from raw text, and `serve` with rebuilds and its path guard."""

from __future__ import annotations

import functools
import http.client
import io
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from newsgen.cli import main
from newsgen.config import Config
from newsgen.importer import import_text
from newsgen.serve import DevServer

from .conftest import article_text

SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"  # copies of shared/seeds
SEED_FILES = sorted(SEEDS.glob("*.txt"))
ARTICLE = (
    "Kazakhstan and China sign an agreement\n\n"
    "Astana, 3 March 2024 (dpa) -- The government of Kazakhstan signed an agreement with "
    "China on Sunday that is to ease the trade between the two countries.\n\n"
    "The agreement covers grain, oil and machines carried across the border.\n"
)


def test_new_writes_a_skeleton_that_builds(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({})
    argv = [
        "--root",
        str(config.root),
        "new",
        "Russland und Usbekistan: ein Plan",
        "--date",
        "2025-01-21",
    ]
    argv += ["--lang", "de", "--country", "Usbekistan", "--country", "RU", "--publisher", "RT DE"]

    assert main(argv) == 0

    path = config.path("source") / "2025-01-21-russland-und-usbekistan-ein-plan.md"
    text = path.read_text()
    assert "title: 'Russland und Usbekistan: ein Plan'" in text
    assert "countries: [Usbekistan, RU]" in text
    assert "tags: []  # TODO: topics" in text
    assert main(["--root", str(config.root), "build"]) == 0


def test_new_marks_what_it_could_not_fill_and_refuses_to_overwrite(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({})
    assert (
        main(["--root", str(config.root), "new", "Тест", "--date", "2026-01-02", "--lang", "ru"])
        == 0
    )
    path = config.path("source") / "2026-01-02-test.md"
    assert "source: TODO" in path.read_text()
    assert "to do: 'source' is still marked TODO" in capsys.readouterr().out
    path.write_text(path.read_text() + "My own words.\n")
    before = path.read_text()

    assert (
        main(["--root", str(config.root), "new", "Тест", "--date", "2026-01-02", "--lang", "ru"])
        == 1
    )

    assert "already exists; nothing was written." in capsys.readouterr().err
    assert path.read_text() == before


def test_new_validates_before_writing(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({})
    assert (
        main(
            [
                "--root",
                str(config.root),
                "new",
                "X",
                "--date",
                "2026-01-02",
                "--country",
                "Atlantis",
            ]
        )
        == 2
    )
    # No file holds the value: the message names the option that gave it.
    assert capsys.readouterr().err == (
        "--country: unknown country 'Atlantis' (use a country name or an ISO code like 'UZ')\n"
        "1 error(s); nothing was written.\n"
    )
    assert list(config.path("source").iterdir()) == []
    assert main(["--root", str(config.root), "new", "X", "--date", "2026-02-31"]) == 2
    assert capsys.readouterr().err == "--date must be YYYY-MM-DD, not '2026-02-31'\n"
    assert main(["--root", str(config.root), "new", "", "--lang", "xx-nonsense"]) == 2
    assert set(capsys.readouterr().err.splitlines()) == {
        "the title: 'title' must not be empty",
        "--lang: unknown language 'xx-nonsense' (use a code like 'en', 'de' or 'ru')",
        "2 error(s); nothing was written.",
    }
    assert list(config.path("source").iterdir()) == []


@pytest.mark.parametrize("seed", SEED_FILES, ids=[p.name for p in SEED_FILES])
def test_add_turns_each_seed_into_a_draft_that_builds(
    seed: Path, site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({})
    assert main(["--root", str(config.root), "add", str(seed)]) == 0
    (draft,) = config.path("source").glob("*.md")
    text = draft.read_text()
    for clutter in (
        "Leave a Reply",
        "Original Source",
        "Mehr zum Thema",
        "Accessibility links",
        "click here",
        "via ",
    ):
        assert clutter not in text
    assert main(["--root", str(config.root), "build"]) == 0


EXPECTED = {
    "000_e4d6cf0e85122ae8.txt": (
        "Uzbekistan does not want US mission, Russia says",
        "en",
        {"UZ", "RU", "US", "AF"},
    ),
    "002_cae0c6abdd967a6b.txt": (
        "Tajikistan says Russia is main partner, rejects foreign offers",
        "en",
        {"TJ", "RU", "AF", "CN", "EE"},
    ),
    "003_26bea6f10b293943.txt": (
        "Russia, Uzbekistan To Sign New Accord",
        "en",
        {"RU", "UZ", "CN", "US", "KZ", "KG", "TJ", "BY"},
    ),
    "004_406988ffd5002ded.txt": (
        "Russland und Usbekistan vereinbaren Kooperation im Militärbereich bis 2030",
        "de",
        {"RU", "UZ"},
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_add_infers_title_language_and_countries(name: str) -> None:
    draft = import_text((SEEDS / name).read_text())
    title, language, countries = EXPECTED[name]
    assert draft.title == title
    assert draft.language == language
    # Every country the text names is found: the subjects in `countries`, the rest as mentions.
    assert set(draft.countries) | set(draft.mentions) == countries
    assert set(draft.countries) <= countries and draft.countries


def test_add_finds_dates_and_sources_stated_in_the_text() -> None:
    reuters = import_text((SEEDS / "002_cae0c6abdd967a6b.txt").read_text())
    assert (str(reuters.date), reuters.source) == ("2012-04-23", "Reuters")
    rferl = import_text((SEEDS / "003_26bea6f10b293943.txt").read_text())
    assert (str(rferl.date), rferl.source) == ("2005-11-14", "Radio Free Europe/Radio Liberty")
    assert not rferl.body.startswith("Uzbek President Islam Karimov (file photo)")
    assert "## New Accord" in rferl.body


def test_add_reads_standard_input(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({})
    raw = "Kasachstan und China unterzeichnen Abkommen\n\nAstana, 3. März 2024 (dpa) -- Die kasachische Regierung hat am Sonntag in Astana ein Abkommen mit China unterzeichnet.\n\nDas Abkommen betrifft den Handel.\n\nShare this:\nTwitter\n© 2024 Beispiel\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(raw))
    assert main(["--root", str(config.root), "add", "-"]) == 0
    (draft,) = config.path("source").glob("*.md")
    text = draft.read_text()
    assert draft.name == "2024-03-03-kasachstan-und-china-unterzeichnen-abkommen.md"
    assert "language: de" in text and "countries: [Kazakhstan, China]" in text
    assert "source: dpa" in text
    assert "Share this" not in text and "©" not in text


@pytest.mark.parametrize(
    ("argv", "folder"),
    [
        (["new", "Hello"], "articles"),
        (["add", "-"], "articles"),
        (["new", "Hello", "--source", "articles/drafts"], "articles/drafts"),
    ],
)
def test_new_and_add_name_an_articles_folder_that_is_a_file(
    argv: list[str],
    folder: str,
    site: Callable[..., Config],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = site({})
    config.path("source").rmdir()
    config.path("source").write_text("mine")
    monkeypatch.setattr("sys.stdin", io.StringIO(ARTICLE))
    made = "is a file" if folder == "articles" else "cannot be made: this is a file"
    assert main(["--root", str(config.root), *argv]) == 1
    assert capsys.readouterr().err == (
        f"articles: the articles folder {made}, not a folder; nothing was written\n"
    )
    assert config.path("source").read_text() == "mine"


# --- serve ---------------------------------------------------------------------------------


def _get(server: DevServer, path: str) -> tuple[int, str]:
    host, port = server.httpd.server_address[:2]
    connection = http.client.HTTPConnection(str(host), int(port), timeout=5)
    connection.request("GET", path)  # sent as written: no client-side normalizing
    response = connection.getresponse()
    body = response.read().decode("utf-8", errors="replace")
    connection.close()
    return response.status, body


def _wait_for(check: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server(site: Callable[..., Config]) -> Iterator[DevServer]:
    config = site({"a.md": article_text("First story", body="Original words.\n", countries="[UZ]")})
    (config.root / "secret.txt").write_text("not for the web")
    dev = DevServer(config.root, port=0)
    dev.start()
    yield dev
    dev.stop()


def test_serve_rebuilds_shows_errors_and_recovers(server: DevServer) -> None:
    page = "/articles/2021/10/14-first-story.html"
    status, body = _get(server, page)
    assert status == 200 and "Original words." in body and "/__newsgen/events" in body
    article = server.root / "articles" / "a.md"

    article.write_text(article.read_text().replace("Original words.", "Edited words."))
    _wait_for(lambda: "Edited words." in _get(server, page)[1], "the edited page")

    article.write_text(article.read_text().replace("date: 2021-10-14", "date: 2021-02-31"))
    _wait_for(lambda: 'id="newsgen-error"' in _get(server, page)[1], "the error page")
    status, body = _get(server, page)
    assert status == 200 and "Edited words." in body  # the last good build is still served
    assert "articles/a.md:3: &#x27;date&#x27; is not a real date" in body

    article.write_text(
        article.read_text()
        .replace("date: 2021-02-31", "date: 2021-10-14")
        .replace("Edited", "Fixed")
    )
    # The new files are live a moment before the build reports success: wait for both.
    _wait_for(
        lambda: "Fixed words." in (body := _get(server, page)[1]) and "newsgen-error" not in body,
        "the recovered page, without the error",
    )


def test_serve_keeps_the_build_state_in_memory_between_edits(
    server: DevServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsgen import state

    reads: list[str] = []
    real = state.RecordCache.read

    def counting(self: state.RecordCache, connection: Any) -> None:
        reads.append("records")
        real(self, connection)

    monkeypatch.setattr(state.RecordCache, "read", counting)
    page = "/articles/2021/10/14-first-story.html"
    article = server.root / "articles" / "a.md"
    for words in ("Second words.", "Third words."):
        article.write_text(article.read_text().replace("Original words.", words))
        _wait_for(functools.partial(_shows, server, page, words), "the edited page")
        article.write_text(article.read_text().replace(words, "Original words."))
        _wait_for(lambda: "Original words." in _get(server, page)[1], "the page as it was")
    assert reads == []  # no rebuild read the records again: the server holds them


def _shows(server: DevServer, page: str, words: str) -> bool:
    return words in _get(server, page)[1]


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/articles/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/%2E%2E%2F%2E%2E%2Fnewsgen.yaml",
        "/articles/..%5c..%5csecret.txt",
        "/%00/../secret.txt",
        "//etc/passwd",
        "/.newsgen-manifest.json",
    ],
)
def test_serve_never_serves_outside_the_site(server: DevServer, path: str) -> None:
    status, body = _get(server, path)
    assert status == 404
    assert "not for the web" not in body and "root:" not in body


def test_serve_serves_folders_and_types(server: DevServer) -> None:
    assert _get(server, "/")[0] == 200
    assert _get(server, "/countries/")[0] == 200
    assert _get(server, "/feeds/all.atom.xml")[0] == 200
    assert _get(server, "/no-such-page.html")[0] == 404


def test_serve_on_a_port_it_cannot_have_says_so_in_one_line(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text()})
    root = ["--root", str(config.root), "serve"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main([*root, "--port", str(port)]) == 2
    assert capsys.readouterr().err == (
        f"cannot listen on 127.0.0.1:{port}: address already in use\n"
    )
    # An IPv6 address for a server of IPv4 addresses: refused without asking any name server.
    assert main([*root, "--host", "::1", "--port", "0"]) == 2
    assert capsys.readouterr().err.startswith("cannot listen on ::1:0: address family")
    for port_text in ("99999", "-1", "http"):
        assert main([*root, "--port", port_text]) == 2
        err = capsys.readouterr().err
        assert f"argument --port: expected a port from 0 to 65535, not '{port_text}'" in err
    assert not config.path("output").exists()  # no build started


def test_serve_builds_an_articles_folder_that_appears_while_it_serves(
    site: Callable[..., Config], tmp_path: Path
) -> None:
    config = site({"a.md": article_text("First story", body="Original words.\n")})
    source = config.path("source")
    aside = tmp_path / "aside"
    source.rename(aside)  # as after a checkout of another branch, or a folder moved away
    dev = DevServer(config.root, port=0)
    dev.start()
    try:
        assert dev.state.errors is not None and "articles folder does not exist" in dev.state.errors
        aside.rename(source)  # nothing watched sees it come: the project folder is not watched
        page = "/articles/2021/10/14-first-story.html"
        _wait_for(lambda: "Original words." in _get(dev, page)[1], "the page of the folder")
        (source / "b.md").write_text(article_text("Second story", body="New words.\n"))
        _wait_for(
            lambda: "New words." in _get(dev, "/articles/2021/10/14-second-story.html")[1],
            "the page of an article added to it",
        )
    finally:
        dev.stop()


def test_serve_goes_on_after_the_articles_folder_went_away_and_came_back(
    server: DevServer, tmp_path: Path
) -> None:
    page = "/articles/2021/10/14-first-story.html"
    source = server.root / "articles"
    for _ in range(3):
        source.rename(tmp_path / "aside")
        _wait_for(lambda: 'id="newsgen-error"' in _get(server, page)[1], "the error page")
        (tmp_path / "aside").rename(source)
        _wait_for(lambda: "newsgen-error" not in _get(server, page)[1], "the page again")
    (source / "b.md").write_text(article_text("Second story", body="New words.\n"))
    _wait_for(
        lambda: "New words." in _get(server, "/articles/2021/10/14-second-story.html")[1],
        "the page of an article added after",
    )
