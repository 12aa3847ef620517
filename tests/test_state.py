"""The build state in SQLite: a damaged or foreign file is a warning, and what it saves."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newsgen import deps, enrich, state
from newsgen.config import Config, load_config
from newsgen.deps import build_fingerprint
from newsgen.pipeline import build
from newsgen.state import STATE_FILE, BuildState

from .conftest import article_text, snapshot


def _articles() -> dict[str, str]:
    # Far apart in time and in no country or topic together: no page shows two of them.
    return {
        "uz.md": article_text("Uzbek news", date="2001-03-01", countries="[UZ]"),
        "ru.md": article_text("Russian news", date="2011-03-01", countries="[RU]"),
        "us.md": article_text("American news", date="2021-03-01", countries="[US]"),
    }


def _fresh(config: Config, tmp_path: Path) -> dict[str, bytes]:
    """The site as a full build with no state makes it."""
    fresh, _ = load_config(
        config.root, {"output": tmp_path / "fresh", "cache": tmp_path / "fresh-cache"}
    )
    build(fresh, full=True)
    files = snapshot(tmp_path / "fresh")
    files.pop(".newsgen-manifest.json")
    return files


def _site_files(config: Config) -> dict[str, bytes]:
    files = snapshot(config.path("output"))
    files.pop(".newsgen-manifest.json")
    return files


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"not a database at all"),
        lambda path: path.write_bytes(path.read_bytes()[:100]),
        lambda path: path.write_bytes(path.read_bytes()[:4096] + b"\xff" * 4096 * 3),
    ],
    ids=["junk", "truncated", "pages-overwritten"],
)
def test_a_damaged_state_is_a_warning_and_a_rebuild(
    site: Callable[..., Config], tmp_path: Path, damage: Callable[[Path], Any]
) -> None:
    config = site(_articles())
    build(config)
    damage(config.path("cache") / STATE_FILE)
    (config.path("source") / "new.md").write_text(article_text("New", countries="[KZ]"))

    report = build(config)

    assert any("build state could not be used" in w.message for w in report.warnings)
    assert _site_files(config) == _fresh(config, tmp_path)
    assert not build(config, full=False).warnings  # the state made anew is sound


def test_a_foreign_database_is_set_aside(site: Callable[..., Config], tmp_path: Path) -> None:
    config = site(_articles())
    config.path("cache").mkdir(parents=True)
    with sqlite3.connect(config.path("cache") / STATE_FILE) as connection:
        connection.execute("CREATE TABLE meta (name, value)")
        connection.execute("INSERT INTO meta VALUES ('format', 'someone-else')")
    connection.close()

    report = build(config)

    assert [w.message for w in report.warnings] == [
        "the build state could not be used (it is not a newsgen build state of this version); "
        "it is made anew, so this build is slower"
    ]
    assert _site_files(config) == _fresh(config, tmp_path)


def test_a_linked_state_file_is_replaced_not_written_through(
    site: Callable[..., Config], tmp_path: Path
) -> None:
    config = site(_articles())
    target = tmp_path / "elsewhere.db"
    target.write_bytes(b"someone's file")
    config.path("cache").mkdir(parents=True)
    (config.path("cache") / STATE_FILE).symlink_to(target)

    report = build(config)

    assert target.read_bytes() == b"someone's file"
    assert not (config.path("cache") / STATE_FILE).is_symlink()
    assert any("build state could not be used" in w.message for w in report.warnings)


def test_other_settings_start_from_an_empty_state(site: Callable[..., Config]) -> None:
    config = site(_articles())
    build(config)
    (config.root / "newsgen.yaml").write_text("title: Another title\n")
    again, _ = load_config(config.root)
    report = build(again)
    assert report.warnings == [] and report.rendered == report.pages


def _fingerprinted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses of the pages whose fingerprint a build computes."""
    seen: list[str] = []
    real = deps.page_fingerprint

    def counting(page: Any, *args: Any) -> str:
        seen.append(page.url)
        return real(page, *args)

    import newsgen.pipeline

    monkeypatch.setattr(newsgen.pipeline, "page_fingerprint", counting)
    return seen


def test_only_pages_whose_inputs_changed_are_fingerprinted(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = site(_articles())
    build(config)
    seen = _fingerprinted(monkeypatch)
    build(config, full=False)  # no change at all: the whole build is skipped
    (config.path("source") / "kz.md").write_text(
        article_text("Kazakh news", date="2021-04-01", countries="[KZ]")
    )

    build(config)

    fingerprinted = set(seen)
    new, before = "articles/2021/04/01-kazakh-news.html", "articles/2021/03/01-american-news.html"
    # The new page, its neighbour in time, its country's and its year's pages, and the
    # pages of the whole archive; not the pages of the other countries and years.
    assert {new, before, "countries/kz.html", "timeline/2021.html", "index.html"} <= fingerprinted
    assert not fingerprinted & {
        "articles/2001/03/01-uzbek-news.html",
        "articles/2011/03/01-russian-news.html",
        "countries/uz.html",
        "countries/ru.html",
        "timeline/2001.html",
        "timeline/2011.html",
        "404.html",
    }
    assert _site_files(config) == _fresh(config, tmp_path)


def test_a_kept_state_reads_the_database_only_when_another_build_wrote_it(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = site(_articles())
    kept = BuildState(None, "")
    build(config, state=kept)
    reads: list[str] = []
    real = state.RecordCache.read

    def counting(self: state.RecordCache, connection: sqlite3.Connection) -> None:
        reads.append("records")
        real(self, connection)

    monkeypatch.setattr(state.RecordCache, "read", counting)

    (config.path("source") / "kz.md").write_text(article_text("Kazakh news", countries="[KZ]"))
    build(config, state=kept)
    assert reads == []  # the rows this process wrote are the ones it holds

    (config.path("source") / "tj.md").write_text(article_text("Tajik news", countries="[TJ]"))
    build(config)  # another build (another process, say) writes the state
    reads.clear()
    (config.path("source") / "kg.md").write_text(article_text("Kyrgyz news", countries="[KG]"))
    build(config, state=kept)
    assert reads == ["records"]
    assert _site_files(config) == _fresh(config, tmp_path)
    kept.close()


def _related_site() -> dict[str, str]:
    """Forty reports on one country, a day apart: each has related reports."""
    return {
        f"r{i:02d}.md": article_text(
            f"Report {i}", date=f"2020-{1 + i // 28:02d}-{1 + i % 28:02d}", countries="[UZ]"
        )
        for i in range(40)
    }


def test_related_reports_are_ranked_again_only_within_reach_of_a_change(
    site: Callable[..., Config], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site(_related_site())
    build(config)
    with sqlite3.connect(config.path("cache") / STATE_FILE) as connection:
        assert connection.execute("SELECT count(*) FROM related").fetchone()[0] == 40
    reached: list[int] = []
    within_reach = enrich._within_reach

    def counted(*args: Any) -> Any:
        found = list(within_reach(*args))
        reached.append(len(found))
        return found

    monkeypatch.setattr(enrich, "_within_reach", counted)
    (config.path("source") / "r40.md").write_text(
        article_text("Report 40", date="2020-02-20", countries="[UZ]")
    )

    build(config)

    assert 0 < reached[0] < 41  # ranked again: those within reach, not all 41
    assert _site_files(config) == _fresh(config, tmp_path)


def test_a_related_memo_that_does_not_hold_is_ranked_anew(
    site: Callable[..., Config], tmp_path: Path
) -> None:
    config = site(_related_site())
    build(config)
    with sqlite3.connect(config.path("cache") / STATE_FILE) as connection:
        connection.execute("UPDATE related SET picks = 'articles/nowhere.html'")
    (config.path("source") / "r40.md").write_text(
        article_text("Report 40", date="2020-02-20", countries="[UZ]")
    )

    build(config)

    assert _site_files(config) == _fresh(config, tmp_path)


def _log_writes(path: Path) -> None:
    """Record in the state itself which rows each later build writes."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE written (name, key)")
        for table, key in (("records", "path"), ("related", "url"), ("seen", "url")):
            connection.execute(
                f"CREATE TRIGGER log_{table} AFTER INSERT ON {table} "
                f"BEGIN INSERT INTO written VALUES ('{table}', new.{key}); END"
            )
    connection.close()


def _written(path: Path) -> dict[str, set[str]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name, key FROM written").fetchall()
        connection.execute("DELETE FROM written")
    connection.close()
    found: dict[str, set[str]] = {}
    for name, key in rows:
        found.setdefault(name, set()).add(key)
    return found


def _related_rows(path: Path) -> dict[str, tuple[str, ...]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT * FROM related").fetchall()
    connection.close()
    return {row[0]: row[1:] for row in rows}


def test_a_build_writes_only_the_rows_that_changed(
    site: Callable[..., Config], tmp_path: Path
) -> None:
    config = site(_related_site())
    # Files written moments ago are kept with no time (deps.RACY_NS) and their rows written
    # again once they are older: set in the past, no row's writing hangs on this test's pace.
    past = 10**18
    for file in config.path("source").glob("*.md"):
        os.utime(file, ns=(past, past))
    build(config)
    path = config.path("cache") / STATE_FILE
    _log_writes(path)
    before = _related_rows(path)
    added = config.path("source") / "r40.md"
    added.write_text(article_text("Report 40", date="2020-01-15", countries="[UZ]"))
    os.utime(added, ns=(past, past))

    build(config)

    written = _written(path)
    after = _related_rows(path)
    assert written["records"] == {"articles/r40.md"}
    assert written["seen"] == {"articles/2020/01/15-report-40.html"}
    # The new report's row, and those of the reports whose related list it entered.
    changed = {url for url, row in after.items() if before.get(url) != row}
    assert written["related"] == changed
    assert "articles/2020/01/15-report-40.html" in changed and len(changed) > 1
    assert _site_files(config) == _fresh(config, tmp_path)

    os.utime(config.path("source") / "r05.md", ns=(past + 1, past + 1))  # touched, same bytes
    build(config, full=False)
    assert _written(path) == {"records": {"articles/r05.md"}}


def test_a_build_that_another_wrote_under_compares_with_the_whole_site(
    site: Callable[..., Config], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site(_articles())
    build(config)
    held = BuildState(config.path("cache"), build_fingerprint(config), config.root)
    us = config.path("source") / "us.md"
    us.write_text(article_text("American news", date="2021-03-01", countries="[KZ]"))
    build(config)  # another build writes while this state is held
    us.write_text(article_text("American news", date="2021-03-01", countries="[TJ]"))
    # The other build wrote after this one made its state current, as if at the same time.
    monkeypatch.setattr(held, "_read_version", lambda: held._version)

    build(config, state=held)

    assert _site_files(config) == _fresh(config, tmp_path)
    held.close()
