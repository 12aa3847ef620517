"""The search index: shards a year each, re-indexed only where articles changed, the same
bytes for the same articles, and a title index for file:// that holds no body."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newsgen import pages, search, urls
from newsgen.config import Config, load_config
from newsgen.model import Article
from newsgen.pipeline import build, render_all

from .conftest import article_text, make_site, snapshot

ARTICLES = {
    "a.md": article_text(
        "Harvest report from Fergana",
        date="2019-05-02",
        countries="[UZ]",
        tags="[farming]",
        summary="Cotton yields rose.",
        body="Farmers near Kokand spoke of a zeppelin-shaped cloud.\n",
    ),
    "b.md": article_text(
        "Gas deal signed",
        date="2019-08-09",
        countries="[RU, KZ]",
        language="de",
        summary="Ein Vertrag.",
        body="Der Vertrag gilt zehn Jahre.\n",
    ),
    "c.md": article_text(
        "Border talks resume",
        date="2021-01-12",
        source="Another Source",
        countries="[TJ]",
        body="Delegations met in Dushanbe.\n",
    ),
}


def _article(slug: str, day: dt.date) -> Article:
    url = urls.permalink(urls.DEFAULT_PERMALINK, day, slug, "en")
    return Article(Path(f"/{slug}.md"), url, slug, slug, day, "S", "en", (), (), "")


def test_a_year_is_one_shard_until_it_grows_large(monkeypatch: pytest.MonkeyPatch) -> None:
    small = [_article(f"s{i}", dt.date(2019, 1 + i % 3, 1)) for i in range(4)]
    large = [_article(f"l{i}", dt.date(2020, 1 + i % 2, 1)) for i in range(5)]
    monkeypatch.setattr(pages, "SHARD_LIMIT", 4)
    shards = pages.plan_shards({2019: tuple(small), 2020: tuple(large)})
    assert list(shards) == ["2019", "2020-01", "2020-02"]
    assert sum(len(items) for items in shards.values()) == 9
    assert {a.slug for a in shards["2020-02"]} == {"l1", "l3"}


def test_each_year_has_a_pagefind_shard_and_a_title_shard(site: Callable[..., Config]) -> None:
    config = site(ARTICLES)
    files = render_all(config)
    for year in ("2019", "2021"):
        entry = json.loads(files[urls.search_shard_url(year)])
        assert entry["languages"]["en"]["page_count"] == (2 if year == "2019" else 1)
        folder = urls.search_shard_folder(year)
        assert f"{folder}pagefind.js" in files and f"{folder}wasm.en.pagefind" in files
        assert urls.search_titles_url(year) in files
    # Pagefind's own ready-made interfaces are not shipped: the search page has its own.
    assert not [url for url in files if "pagefind-ui" in url]
    page = files[urls.SEARCH].decode()
    shards = [urls.relative(urls.SEARCH, urls.search_shard_folder(y)) for y in ("2019", "2021")]
    titles = [urls.relative(urls.SEARCH, urls.search_titles_url(y)) for y in ("2019", "2021")]
    assert f'data-pagefind="{" ".join(shards)}"' in page
    assert f'data-titles="{" ".join(titles)}"' in page


def test_the_index_holds_bodies_and_filters_the_title_index_only_titles(
    site: Callable[..., Config],
) -> None:
    files = render_all(site(ARTICLES))
    fragments = b"".join(
        gzip.decompress(data)
        for url, data in files.items()
        if url.startswith(urls.search_shard_folder("2019")) and url.endswith(".pf_fragment")
    )
    assert b"zeppelin" in fragments and b"Kokand" in fragments
    filters = b"".join(
        gzip.decompress(data)
        for url, data in files.items()
        if url.startswith(urls.search_shard_folder("2019")) and url.endswith(".pf_filter")
    )
    for value in (b"Uzbekistan", b"Kazakhstan", b"German", b"farming", b"A Source", b"2019"):
        assert value in filters, value
    titles = files[urls.search_titles_url("2019")].decode()
    assert "Harvest report from Fergana" in titles and "Cotton yields rose." in titles
    assert "zeppelin" not in titles
    record = json.loads(titles.split(".push(...", 1)[1].rsplit(");", 1)[0])[0]
    assert record["url"] == urls.permalink(
        urls.DEFAULT_PERMALINK, dt.date(2019, 5, 2), "harvest-report-from-fergana", "en"
    )
    assert record["countries"] == ["Uzbekistan"] and record["topics"] == ["farming"]


def test_adding_an_article_re_indexes_only_its_shard(site: Callable[..., Config]) -> None:
    config = site(ARTICLES)
    build(config)
    (config.path("source") / "d.md").write_text(
        article_text("A second report", date="2021-03-03", body="Words.\n")
    )
    report = build(config)
    shards = {url.split("/")[2] for url in report.written if url.startswith("search/pagefind/")}
    assert shards == {"2021"}
    assert urls.search_titles_url("2021") in report.written
    assert urls.search_titles_url("2019") not in report.written
    # The files of the shard that was replaced are gone; the other shard's stay.
    output = config.path("output")
    assert (
        json.loads((output / urls.search_shard_url("2021")).read_text())["languages"]["en"][
            "page_count"
        ]
        == 2
    )
    on_disk = {p.name for p in (output / "search/pagefind/2021/fragment").iterdir()}
    assert len(on_disk) == 2
    assert build(config).written == []


def test_the_same_articles_give_the_same_index(tmp_path: Path) -> None:
    # Pagefind writes filter values in hash-map order; newsgen sorts them.
    many = {
        f"{n}.md": article_text(
            f"Report {n}",
            date=f"2020-0{n % 9 + 1}-01",
            countries="[" + ", ".join(["UZ", "RU", "KZ", "TJ", "US"][: 1 + n % 5]) + "]",
            tags=f"[t{n % 5}, u{n % 3}]",
            language="de" if n % 2 else "en",
        )
        for n in range(12)
    }
    one = make_site(tmp_path / "one", many)
    two = make_site(tmp_path / "two", many)
    build(one)
    build(two)
    first = {k: v for k, v in snapshot(one.path("output")).items() if k.startswith("search/")}
    second = {k: v for k, v in snapshot(two.path("output")).items() if k.startswith("search/")}
    assert first == second and len(first) > 10


def test_a_failing_indexer_is_an_error_not_a_traceback(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'Error: out of cheese' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(search, "_executable", lambda: fake)
    from newsgen.errors import BuildFailed

    with pytest.raises(BuildFailed) as failed:
        render_all(site(ARTICLES))
    assert [e.message for e in failed.value.errors] == [
        "the search indexer (pagefind) failed: Error: out of cheese"
    ]


def test_a_shard_missing_a_file_is_indexed_again(site: Callable[..., Config]) -> None:
    config = site(ARTICLES)
    build(config)
    output = config.path("output")
    (lost,) = list((output / "search/pagefind/2021/fragment").iterdir())[:1]
    lost.unlink()

    report = build(config)

    assert lost.is_file()  # the shard was indexed again, not kept without its file
    assert any(url.startswith("search/pagefind/2021/") for url in report.written)
    (config.path("source") / "d.md").write_text(article_text("Later", date="2019-07-07"))
    assert build(config).written  # and a later change builds, instead of failing


@pytest.mark.parametrize(
    ("script", "said"),
    [
        ("", "the search index cannot be made: Exec format error"),  # not a program at all
        ('#!/bin/sh\nmkdir -p "$4"; echo \'{\' > "$4/pagefind-entry.json"\n', "wrote what"),
    ],
)
def test_an_indexer_that_cannot_run_or_writes_junk_is_one_line(
    site: Callable[..., Config],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    script: str,
    said: str,
) -> None:
    from newsgen.cli import main

    fake = tmp_path / "pagefind"
    fake.write_text(script)
    fake.chmod(0o755)
    monkeypatch.setattr(search, "_executable", lambda: fake)
    config = site(ARTICLES)

    assert main(["--root", str(config.root), "build"]) == 1
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def _indexer_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time the indexer runs (Pagefind's process)."""
    runs: list[int] = []
    real = subprocess.run

    def counted(command: list[str], **kwargs: Any) -> Any:
        if "--site" in command:
            runs.append(1)
        return real(command, **kwargs)

    monkeypatch.setattr(subprocess, "run", counted)
    search._RUNTIMES.clear()  # the scripts of the indexer are made once a process
    return runs


def _built_fresh(config: Config, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, bytes], int]:
    """The site built again into a new output folder with the cache kept (a CI run), and
    how many times the indexer ran for it."""
    shutil.rmtree(config.path("output"))
    runs = _indexer_runs(monkeypatch)
    build(config)
    return snapshot(config.path("output")), len(runs)


def _shards(config: Config) -> list[str]:
    return sorted({p.parent.name for p in config.path("output").glob("search/pagefind/*/*")})


def test_a_fresh_output_folder_with_the_cache_kept_re_indexes_no_shard(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site(ARTICLES)
    build(config)
    first = snapshot(config.path("output"))
    assert len(_shards(config)) == 2

    # A CI run: the cache folder restored, the output folder new.
    built, runs = _built_fresh(config, monkeypatch)
    assert built == first
    assert runs == 1  # the indexer's scripts, from one small page; no shard

    # A full build reads no cache: every shard is indexed.
    counted = _indexer_runs(monkeypatch)
    build(config, full=True)
    assert len(counted) == 2
    assert snapshot(config.path("output")) == first


def _bomb() -> bytes:
    """A small file that unpacks to 64 MB: Pagefind's signature, then zeros."""
    return gzip.compress(search._SIGNATURE + bytes(64 << 20), compresslevel=9)


# What a planted or damaged cache may hold, as a change to one shard's rows.
_PLANTED: dict[str, Callable[[sqlite3.Connection, str], object]] = {
    "a script": lambda c, key: c.execute(
        "INSERT INTO shards VALUES (?, 'pagefind.js', x'616c657274283129')", (key,)
    ),
    "a file more": lambda c, key: c.execute(
        "INSERT INTO shards VALUES (?, 'fragment/en_0000000.pf_fragment', ?)",
        (key, gzip.compress(search._SIGNATURE + b"{}")),
    ),
    "a file fewer": lambda c, key: c.execute(
        "DELETE FROM shards WHERE key = ? AND name = "
        "(SELECT MIN(name) FROM shards WHERE key = ? AND name LIKE 'fragment/%')",
        (key, key),
    ),
    "an entry nested past reason": lambda c, key: c.execute(
        "UPDATE shards SET data = ? WHERE key = ? AND name = 'pagefind-entry.json'",
        (b"[" * 200_000, key),
    ),
    "a fragment that unpacks to 64 MB": lambda c, key: c.execute(
        "UPDATE shards SET data = ? WHERE key = ? AND name = "
        "(SELECT MIN(name) FROM shards WHERE key = ? AND name LIKE 'fragment/%')",
        (_bomb(), key, key),
    ),
    "text that is no Pagefind file": lambda c, key: c.execute(
        "UPDATE shards SET data = x'00' WHERE key = ? AND name LIKE 'index/%'", (key,)
    ),
}


@pytest.mark.parametrize("planted", list(_PLANTED))
def test_the_cache_holds_no_script_and_a_planted_row_is_not_used(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch, planted: str
) -> None:
    config = site(ARTICLES)
    build(config)
    first = snapshot(config.path("output"))
    database = config.path("cache") / search.SHARD_CACHE
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        names = [name for (name,) in connection.execute("SELECT name FROM shards")]
        assert names and not [n for n in names if n.endswith(".js") or "wasm" in n]
        keys = sorted(key for (key,) in connection.execute("SELECT DISTINCT key FROM shards"))
        _PLANTED[planted](connection, keys[0])
    built, runs = _built_fresh(config, monkeypatch)
    assert built == first
    # The other shard comes from the cache (with the scripts, made from one small page);
    # the planted one is indexed again.
    assert runs == 2


def test_a_damaged_cache_file_is_made_anew(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site(ARTICLES)
    build(config)
    first = snapshot(config.path("output"))
    database = config.path("cache") / search.SHARD_CACHE
    database.write_bytes(bytes(range(256)) * 20)
    shutil.rmtree(config.path("output"))
    build(config)
    assert snapshot(config.path("output")) == first
    # The file made anew by the build before serves this one.
    built, runs = _built_fresh(config, monkeypatch)
    assert built == first
    assert runs == 1


def test_a_language_without_a_stemmer_keeps_its_webassembly(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pagefind stems no Uzbek: its entry names no WebAssembly ("wasm": null) and its script
    # loads wasm.unknown.pagefind, which the bundle must hold.
    config = site(ARTICLES, settings="language: uz\n")
    build(config)
    output = config.path("output")
    first = snapshot(output)
    shards = sorted(output.glob("search/pagefind/*/pagefind-entry.json"))
    assert len(shards) == 2
    for entry in shards:
        assert json.loads(entry.read_text())["languages"]["uz"]["wasm"] is None
        assert (entry.parent / "wasm.unknown.pagefind").is_file()
    built, runs = _built_fresh(config, monkeypatch)
    assert built == first
    assert runs == 1  # the scripts; both shards from the cache


def test_the_cache_drops_the_shards_no_recent_build_had(site: Callable[..., Config]) -> None:
    config = site(ARTICLES)
    build(config)
    database = config.path("cache") / search.SHARD_CACHE

    (config.path("source") / "c.md").unlink()  # 2021 goes: its shard's rows stay a while
    build(config)
    assert len(_stored(database)) == 2
    for n in range(search.BUILDS_KEPT):  # builds that each re-make the 2019 shard
        with (config.path("source") / "a.md").open("a") as stream:
            stream.write(f"\nMore {n}.\n")
        build(config)
    assert len(_stored(database)) == len(_shards(config)) + search.BUILDS_KEPT - 1 == 1 + 2


def test_a_shard_a_failed_build_stored_goes_when_no_recent_build_had_it(tmp_path: Path) -> None:
    database = tmp_path / search.SHARD_CACHE

    stale, other = "a" * 64, "b" * 64
    with contextlib.suppress(RuntimeError), search.ShardCache(tmp_path) as cache:
        cache.put(stale, {"search/x/pagefind-entry.json": b"{}"}, "search/x/")
        raise RuntimeError("the build fails after indexing a shard")
    # The failed build counts among the recent ones, as a build that ended well would.
    for _ in range(search.BUILDS_KEPT - 1):
        with search.ShardCache(tmp_path) as cache:
            cache.keep(other)
        assert _stored(database) == {stale}
    with search.ShardCache(tmp_path) as cache:
        cache.keep(other)
    assert _stored(database) == set()


def test_two_output_folders_sharing_a_cache_keep_each_others_shards(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = site(ARTICLES)
    drafts = config.root / "drafts"
    drafts.mkdir()
    (drafts / "d.md").write_text(article_text("Draft", date="2020-02-02", body="A draft.\n"))
    other, _ = load_config(config.root, {"source": drafts, "output": config.root / "_drafts"})
    build(config)
    first = snapshot(config.path("output"))
    build(other)
    built, runs = _built_fresh(config, monkeypatch)
    assert built == first
    assert runs == 1  # the scripts only: the drafts' build dropped none of its shards


def test_shards_an_older_cache_named_nowhere_are_dropped_once(tmp_path: Path) -> None:
    database = tmp_path / search.SHARD_CACHE
    with search.ShardCache(tmp_path) as cache:
        cache.put("a" * 64, {"search/x/pagefind-entry.json": b"{}"}, "search/x/")
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        # What a build that failed after indexing left under the last version's rules.
        connection.execute("INSERT INTO shards VALUES (?, ?, ?)", ("b" * 64, "x", b""))
        connection.execute("PRAGMA user_version = 0")
    with search.ShardCache(tmp_path) as cache:
        cache.keep("a" * 64)
    assert _stored(database) == {"a" * 64}


def _stored(database: Path) -> set[str]:
    """The keys of the shards a cache file holds rows of."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return {key for (key,) in connection.execute("SELECT DISTINCT key FROM shards")}
