"""The build state: what one build keeps for the next, in one SQLite database.

The database (``state.sqlite`` in the cache folder) holds the parsed records, found by
the file's project-relative path, size and modification time and checked by the hash of
its bytes when those differ; the countries each body names, by the body's hash; and each
page's fingerprint with the inputs it was made from (see ``PageTable``). Everything is
keyed by a fingerprint of the settings and of newsgen's own code, so a changed setting
or a new newsgen never reuses a stale row.

The state is an optimisation only: deleting it changes no output. Rows are data, never
code, and are checked column by column before use: a planted or damaged row is only a
file parsed again. A damaged or foreign database is a warning, and is made anew.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import operator
import os
import re
import sqlite3
import time
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from newsgen.deps import RACY_NS
from newsgen.enrich import RelatedMemo
from newsgen.errors import BuildWarning
from newsgen.files import FileStatus, inside
from newsgen.model import Article

STATE_FILE = "state.sqlite"
_FORMAT = "newsgen-state"
_VERSION = 4  # 2: the related reports' memo; 3: digests of identities and fingerprints;
# 4: each record's links to other articles' files
# What earlier versions of newsgen kept as JSON: removed once the database takes over.
_LEGACY = ("records.json", "mentions.json")

_FIELDS = [f.name for f in fields(Article) if f.name != "path"]
_HINTS = typing.get_type_hints(Article)

# Columns are untyped, so SQLite keeps every value as it was stored: a planted text in an
# integer column stays text, and fails the check below instead of being converted.
_SCHEMA = f"""
CREATE TABLE meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE records (
    path TEXT PRIMARY KEY, mtime_ns, size, digest, {", ".join(f"f_{n}" for n in _FIELDS)}, warnings
);
CREATE TABLE mentions (body TEXT PRIMARY KEY, codes) WITHOUT ROWID;
CREATE TABLE pages (url TEXT PRIMARY KEY, template, template_hash, inputs_digest, fingerprint);
CREATE TABLE seen (url TEXT PRIMARY KEY, identity, keys) WITHOUT ROWID;
CREATE TABLE related (url TEXT PRIMARY KEY, place, story, keys, picks) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class CachedRecord:
    """A file's parsed record, and how the file looked when it was parsed."""

    mtime_ns: int
    size: int
    digest: str
    article: Article
    warnings: tuple[BuildWarning, ...]


_Row = tuple[Any, ...]
"""A record's row but its path: (mtime_ns, size, digest, *the Article's fields but its
path, warnings as JSON)."""


_ABSENT = object()
"""What write_difference reads for a key that no row held."""


class BuildState:
    """The build state of one cache folder: read once, written back by difference.

    A state may serve many builds (``newsgen serve`` keeps one): ``refresh`` reads the
    database again only when another process has written it since.
    """

    def __init__(self, folder: Path | None, key: str, root: Path | None = None) -> None:
        self.path = folder / STATE_FILE if folder is not None else None
        self.key = key
        self.root = root
        self.warnings: list[BuildWarning] = []
        self._connection: sqlite3.Connection | None = None
        self._version: tuple[int, int] | None = None
        self.records = RecordCache(self)
        self.mentions = MentionCache(self)
        self.pages = PageTable(self)
        self.related = RelatedTable(self)
        self._load()

    # --- opening, and what to do with a file that is not ours -------------------------

    def refresh(self, folder: Path | None, key: str, root: Path | None = None) -> None:
        """Make the state current for a new build: read again only what changed on disk."""
        self.warnings = []
        path = folder / STATE_FILE if folder is not None else None
        if path != self.path or key != self.key or root != self.root:
            self.path, self.key, self.root = path, key, root
            self._load()
            return
        if self._connection is None or self.path is None:
            self._load()
            return
        if self._read_version() != self._version:
            self._load()
        else:  # what this process wrote last is what is on disk: start from it
            self.records.start()
            self.mentions.start()
            self.related.start()

    def _load(self) -> None:
        self.close()
        self.records.reset()
        self.mentions.reset()
        self.pages.reset()
        self.related.reset()
        if self.path is None:
            return
        try:
            self._open()
        except (sqlite3.Error, OSError, ValueError) as exc:
            self._rebuild(exc)
        self._mark_version()

    def _open(self) -> None:
        assert self.path is not None
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
            raise ValueError("it is not a regular file")
        fresh = not self.path.exists()
        connection = self._connect()
        self._connection = connection
        if fresh:
            self._create(connection)
            return
        meta = dict(connection.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("format") != _FORMAT or meta.get("version") != _VERSION:
            raise ValueError("it is not a newsgen build state of this version")
        if meta.get("fields") != json.dumps(_FIELDS):
            raise ValueError("its records have other fields")
        if meta.get("key") != self.key:
            # Other settings or another newsgen: nothing stored holds, but the file is ours.
            with connection:
                for table in ("records", "mentions", "pages", "seen", "related"):
                    connection.execute(f"DELETE FROM {table}")
                connection.execute("DELETE FROM meta WHERE name LIKE 'pages:%'")
                connection.execute("UPDATE meta SET value = ? WHERE name = 'key'", (self.key,))
            return
        # A build reads the state with the cycle collector paused (pipeline.Collector).
        self.records.read(connection)
        # Addresses recur in every table: each is held once, as the record's own text.
        urls = {r.article.url: r.article.url for r in self.records.entries.values() if r}
        self.mentions.read(connection)
        self.pages.read(connection, meta, urls)
        self.related.read(connection, urls)

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Another build using this cache folder may be writing: wait for it, not fail.
        # A kept state serves builds from more than one thread (the server's first build
        # and its watcher's), one at a time.
        connection = sqlite3.connect(
            self.path, timeout=60, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.isolation_level = "DEFERRED"
        return connection

    def _create(self, connection: sqlite3.Connection) -> None:
        with connection:
            connection.executescript("BEGIN;" + _SCHEMA + "COMMIT;")
            connection.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("format", _FORMAT),
                    ("version", _VERSION),
                    ("fields", json.dumps(_FIELDS)),
                    ("key", self.key),
                ],
            )
        assert self.path is not None
        for name in _LEGACY:
            with contextlib.suppress(OSError):
                (self.path.parent / name).unlink()

    def _rebuild(self, reason: BaseException) -> None:
        """A damaged or foreign file is set aside and a new state begun; a warning says so."""
        assert self.path is not None
        self.close()
        self.records.reset()
        self.mentions.reset()
        self.pages.reset()
        self.related.reset()
        self.warnings.append(
            BuildWarning(
                f"the build state could not be used ({_reason(reason)}); it is made anew, "
                "so this build is slower",
                self.path,
            )
        )
        try:
            for suffix in ("", "-wal", "-shm", "-journal"):
                target = self.path.with_name(self.path.name + suffix)
                # A symlink is removed, never followed: the state writes only its own file.
                if target.is_symlink() or target.is_file():
                    target.unlink()
                elif target.exists():
                    raise OSError(f"{target.name} is in the way")
            connection = self._connect()
            self._connection = connection
            self._create(connection)
        except (sqlite3.Error, OSError) as exc:
            self.close()
            self.warnings.append(_unwritable(self.path, exc))

    def _mark_version(self) -> None:
        self._version = self._read_version()

    def _read_version(self) -> tuple[int, int] | None:
        """What tells another process's writes: SQLite's count of them, and the file itself
        (a state deleted and made anew by another build is another file)."""
        if self._connection is None or self.path is None:
            return None
        try:
            version = self._connection.execute("PRAGMA data_version").fetchone()[0]
            return int(version), self.path.stat().st_ino
        except (sqlite3.Error, OSError, TypeError, ValueError):
            return None

    def close(self) -> None:
        """Close the database; the rows read stay in memory."""
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    # --- writing ---------------------------------------------------------------------------

    def write(self, change: Callable[[sqlite3.Connection], None]) -> None:
        """Run change in one transaction; a failure is a warning, and the state is dropped."""
        if self._connection is None:
            return
        try:
            with self._connection:
                change(self._connection)
        except (sqlite3.Error, OSError) as exc:
            assert self.path is not None
            self.warnings.append(_unwritable(self.path, exc))
            self.close()
            return
        self._mark_version()

    def write_difference(
        self,
        table: str,
        key: str,
        read: Mapping[Any, Any],
        now: Mapping[str, Any],
        encode: Callable[[str, Any], tuple[Any, ...]],
        differs: Callable[[Any, Any], bool] = operator.ne,
    ) -> list[Any]:
        """Make a table that held the rows read (key → value) hold now instead, writing only
        the rows that differ; encode turns a key and its value into the row's other columns.

        differs(value read, value now) tells whether a row must be written: by default the
        values differ; a table that does not hold its rows' text says what stands for them
        (a file's size, time and hash, say). Returns the keys gone."""
        changed = [
            (name, *encode(name, value))
            for name, value in now.items()
            if (old := read.get(name, _ABSENT)) is _ABSENT or differs(old, value)
        ]
        gone = list(read.keys() - now.keys())
        if changed or gone:

            def change(connection: sqlite3.Connection) -> None:
                connection.executemany(f"DELETE FROM {table} WHERE {key} = ?", [(g,) for g in gone])
                if changed:
                    holes = ", ".join("?" * len(changed[0]))
                    connection.executemany(
                        f"INSERT OR REPLACE INTO {table} VALUES ({holes})", changed
                    )

            self.write(change)
        return gone

    def relative(self, path: Path | str) -> str:
        """A record's key: its path in the project, so a moved checkout still finds it."""
        found = inside(path, self.root) if self.root is not None else None
        return found if found is not None else str(path)


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _unwritable(path: Path, exc: BaseException) -> BuildWarning:
    return BuildWarning(
        f"cannot write the build state: {_reason(exc)}; the next build will be slower", path
    )


def open_state(folder: Path | None, key: str, root: Path | None = None) -> BuildState:
    """The build state of a cache folder (none kept when folder is None)."""
    return BuildState(folder, key, root)


# --- records ---------------------------------------------------------------------------------


class RecordCache:
    """Parsed records from the last build, by the file's path in the project.

    Rows are decoded as they are read and only the records are kept: a record holds what
    its row holds, and its file's (mtime, size, digest) tells whether its row must be
    written again (a row is a function of the file's bytes under one key).
    """

    def __init__(self, state: BuildState) -> None:
        self.state = state
        # Every key read; None for a row that failed its checks (written anew, or removed).
        self.entries: dict[Any, CachedRecord | None] = {}
        self.used: dict[str, CachedRecord] = {}

    def reset(self) -> None:
        """Forget every row."""
        self.entries, self.used = {}, {}

    def start(self) -> None:
        """Begin a build from the rows last read or written (``save`` keeps them)."""
        self.used = {}

    def read(self, connection: sqlite3.Connection) -> None:
        """Every stored row, checked and decoded as it is read; a row that fails is None."""
        root = self.state.root
        entries: dict[Any, CachedRecord | None] = {}
        for row in connection.execute("SELECT * FROM records"):
            key = row[0]
            if type(key) is str:
                # The path a build will ask with; relative() made the key from it.
                path = root / key if root is not None else Path(key)
                entries[key] = _unpack(path, row[1:])
            else:
                entries[key] = None
        self.entries = entries

    def by_stat(self, path: Path | str, stat: os.stat_result | FileStatus) -> CachedRecord | None:
        """The record of an untouched file, which is also kept for the next build."""
        key = self.state.relative(path)
        record = self.entries.get(key)
        if record is None or record.mtime_ns != stat.st_mtime_ns or record.size != stat.st_size:
            return None
        record = self._at(key, path, record)
        self.used[key] = record
        return record

    def knows(self, path: Path) -> bool:
        """Whether a record of this file was read: only then can by_digest find one."""
        return self.entries.get(self.state.relative(path)) is not None

    def by_digest(self, path: Path, digest: str) -> CachedRecord | None:
        """The record of a file that was touched but whose bytes are the same."""
        key = self.state.relative(path)
        record = self.entries.get(key)
        if record is None or record.digest != digest:
            return None
        return self._at(key, path, record)

    def _at(self, key: str, path: Path | str, record: CachedRecord) -> CachedRecord:
        """The record with the path the build asks with (the same file by another name)."""
        if str(record.article.path) == str(path):  # pathlib's own equality costs more
            return record
        moved = dataclasses.replace(record.article, path=Path(path))
        record = dataclasses.replace(record, article=moved)
        self.entries[key] = record
        return record

    def keep(self, path: Path, entry: CachedRecord) -> None:
        """Remember a record for the next build."""
        # A file modified moments ago is found next time by its hash only, never by its time.
        if entry.mtime_ns >= time.time_ns() - RACY_NS:
            entry = dataclasses.replace(entry, mtime_ns=-1)
        self.used[self.state.relative(path)] = entry

    def save(self) -> None:
        """Write the rows that differ from what was read; drop the rows no build used."""
        self.state.write_difference("records", "path", self.entries, self.used, _pack, _other_file)
        self.entries = dict(self.used)


def _other_file(read: CachedRecord | None, now: CachedRecord) -> bool:
    """Whether a record's row must be written: a row is made from its file's bytes, so
    one read sound for the file as it looks now (time, size, hash) stands."""
    if read is now:  # the record read, used as it was
        return False
    return read is None or (read.mtime_ns, read.size, read.digest) != (
        now.mtime_ns,
        now.size,
        now.digest,
    )


def _pack(key: str, entry: CachedRecord) -> _Row:
    values = [_ENCODE[name](getattr(entry.article, name)) for name in _FIELDS]
    warnings = json.dumps([[w.message, w.line] for w in entry.warnings]) if entry.warnings else ""
    return (entry.mtime_ns, entry.size, entry.digest, *values, warnings)


def _unpack(path: Path, row: _Row) -> CachedRecord | None:
    """A record from its row, or None when any value is not what its field holds."""
    try:
        if len(row) != len(_FIELDS) + 4:
            return None
        mtime_ns, size, digest = row[0], row[1], row[2]
        if not (type(mtime_ns) is int and type(size) is int and type(digest) is str):
            return None
        values = list(row[3:-1])
        # Most fields are text: their types are checked in bulk, the rest one by one.
        if not _TEXT_TYPES.issuperset(map(type, _TEXTS(values))):
            return None
        if not _OPTIONAL_TEXT_TYPES.issuperset(map(type, _OPTIONAL_TEXTS(values))):
            return None
        for index, decode in _CONVERTED:
            values[index] = decode(values[index])
        article = Article(path, *values)
        notes = tuple(
            BuildWarning(_text(message), path, _optional_int(line))
            for message, line in _warnings(row[-1])
        )
    except (TypeError, ValueError):
        return None
    # The file's hash is held once: the article's own.
    return CachedRecord(
        mtime_ns, size, article.digest if article.digest == digest else digest, article, notes
    )


def _warnings(value: Any) -> list[Any]:
    if _text(value) == "":
        return []
    found = json.loads(value)
    if type(found) is not list or not all(type(w) is list and len(w) == 2 for w in found):
        raise TypeError("not a list of warnings")
    return found


# --- one codec per field type: SQLite holds no dates or tuples, and is checked on the way in ---


def _text(value: Any) -> str:
    if type(value) is not str:
        raise TypeError("not text")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError("not an integer")
    return value


def _optional_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _flag(value: Any) -> bool:
    if value not in (0, 1) or type(value) is not int:
        raise TypeError("not true or false")
    return bool(value)


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(_text(value))


def _datetime(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(_text(value))


def _texts(value: Any) -> tuple[str, ...]:
    return _decode_texts(_text(value))


# Countries and tags come in few combinations: each is decoded once, and its tuple shared.
@functools.lru_cache(maxsize=1 << 16)
def _decode_texts(value: str) -> tuple[str, ...]:
    found = json.loads(value)
    if type(found) is not list or not _TEXT_TYPES.issuperset(map(type, found)):
        raise TypeError("not a list of text")
    return tuple(found)


def _same(value: Any) -> Any:
    return value


def _iso(value: Any) -> Any:
    return value.isoformat()


def _json_list(value: Any) -> str:
    return json.dumps(list(value))


_TEXT_TYPES = {str}
_CODE = re.compile(r"[A-Z]{2}|[A-Z]{4}")  # ISO 3166-1 alpha-2, or a former state's 3166-3

# type → (encode to a column, decode from a column with checks)
_CODECS: dict[Any, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    str: (_same, _text),
    int: (_same, _int),
    bool: (int, _flag),
    dt.date: (_iso, _date),
    dt.datetime: (_iso, _datetime),
    tuple[str, ...]: (_json_list, _texts),
}


def _codec(kind: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """The codec of a field's type; X | None wraps X's. An unknown type is a bug here."""
    arguments = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and type(None) in arguments:
        (inner,) = [a for a in arguments if a is not type(None)]
        encode, decode = _codec(inner)
        return (
            lambda value: None if value is None else encode(value),
            lambda value: None if value is None else decode(value),
        )
    if kind not in _CODECS:
        raise TypeError(f"the build state cannot hold a field of type {kind}: add a codec")
    return _CODECS[kind]


_ENCODE = {name: _codec(_HINTS[name])[0] for name in _FIELDS}
_DECODE = {name: _codec(_HINTS[name])[1] for name in _FIELDS}


def _getter(kind: Any) -> Callable[[list[Any]], tuple[Any, ...]]:
    """Takes the values of every field of one type out of a record's list, as a tuple."""
    indices = [i for i, name in enumerate(_FIELDS) if _HINTS[name] == kind]
    if len(indices) < 2:  # itemgetter of one index gives the value, not a tuple
        return lambda values: tuple(values[i] for i in indices)
    return operator.itemgetter(*indices)


_TEXTS = _getter(str)
_OPTIONAL_TEXTS = _getter(str | None)
_OPTIONAL_TEXT_TYPES = {str, type(None)}
_CONVERTED = [
    (i, _DECODE[name]) for i, name in enumerate(_FIELDS) if _HINTS[name] not in (str, str | None)
]


# --- the countries each body names -----------------------------------------------------------


class MentionCache:
    """The countries each body names, by the hash of the body, its language and its year
    (a former state's name names it only in its own years: ``countries.count_mentions``).

    Finding them needs the body's text; with this, a build reads only the bodies of new
    or changed files. It holds a few codes per article: memory grows with metadata.
    """

    def __init__(self, state: BuildState) -> None:
        self.state = state
        self.entries: dict[str, tuple[str, ...]] = {}
        self.used: dict[str, tuple[str, ...]] = {}

    def reset(self) -> None:
        """Forget every row."""
        self.entries, self.used = {}, {}

    def start(self) -> None:
        """Begin a build from the rows last read or written (``save`` keeps them)."""
        self.used = {}

    def read(self, connection: sqlite3.Connection) -> None:
        """Every stored row whose codes are a list of text; the rest are as good as absent."""
        entries: dict[str, tuple[str, ...]] = {}
        for name, codes in connection.execute("SELECT body, codes FROM mentions"):
            if type(name) is str and type(codes) is str:
                found = _codes(codes)
                if found is not None:
                    entries[name] = found
        self.entries = entries

    def get(self, body_digest: str, language: str, year: int) -> tuple[str, ...] | None:
        """The countries a body names, if an earlier build found them."""
        name = f"{body_digest}:{language}:{year}"
        found = self.entries.get(name)
        if found is not None:
            self.used[name] = found
        return found

    def put(self, body_digest: str, language: str, year: int, codes: tuple[str, ...]) -> None:
        """Remember what a body names."""
        self.used[f"{body_digest}:{language}:{year}"] = codes

    def save(self) -> None:
        """Write the rows that differ from what was read; drop the rows no build used."""
        self.state.write_difference(
            "mentions", "body", self.entries, self.used, lambda _, codes: (",".join(codes),)
        )
        self.entries = dict(self.used)


# Bodies name few combinations of countries: each is decoded once, and its tuple shared.
@functools.lru_cache(maxsize=1 << 12)
def _codes(text: str) -> tuple[str, ...] | None:
    """A stored list of country codes, or None when it is not one."""
    found = tuple(text.split(",")) if text else ()
    return found if all(_CODE.fullmatch(code) for code in found) else None


# --- related reports: what the last build chose, and from what -------------------------------


_RelatedRow = tuple[str, str, str, str]
"""An article's place in time, its story, its index lists and its related reports' addresses."""


class RelatedTable:
    """The related reports' memo (``enrich.RelatedMemo``) between builds, a row per article.

    Rows are plain text checked on reading; a memo that does not hold together (a pick that
    names no article) is dropped, and every list is ranked anew: slower, never wrong. Only
    the memo is held, not the rows' text: a row is written when this build's memo differs
    from the last one at its article.
    """

    def __init__(self, state: BuildState) -> None:
        self.state = state
        self._memo: RelatedMemo | None = None
        # The keys of rows read that the memo does not stand for (not text, or not holding).
        self._unsound: list[Any] = []
        self._kept: RelatedMemo | None = None

    def reset(self) -> None:
        """Forget every row."""
        self._memo, self._unsound, self._kept = None, [], None

    def start(self) -> None:
        """Begin a build from the rows last read or written."""
        self._kept = None

    def read(self, connection: sqlite3.Connection, urls: Mapping[str, str]) -> None:
        """Every stored row made of text, as a memo in timeline order; the rest are as good
        as absent. urls: addresses already held, to share."""
        unsound: list[Any] = []
        order: list[str] = []
        places: list[str] = []
        stories: list[str] = []
        keys: list[tuple[str, ...]] = []
        picks: list[str] = []
        lists: dict[str, tuple[str, ...]] = {}  # articles share their index lists
        # Places are text that sorts as the timeline does (UTF-8 bytes sort as code points).
        query = "SELECT url, place, story, keys, picks FROM related ORDER BY place, url"
        for url, place, story, names, chosen in connection.execute(query):
            if not (
                type(url) is str
                and type(place) is str
                and type(story) is str
                and type(names) is str
                and type(chosen) is str
            ):
                unsound.append(url)
                continue
            order.append(urls.get(url, url))
            places.append(place)
            stories.append(story)
            found = lists.get(names)
            if found is None:
                found = lists[names] = tuple(names.split("\n")) if names else ()
            keys.append(found)
            picks.append(chosen)
        memo = _memo(order, places, stories, keys, picks) if order else None
        if memo is None:
            unsound.extend(order)
        self._memo, self._unsound = memo, unsound

    def memo(self) -> RelatedMemo | None:
        """The last build's memo, in timeline order; None when there is none that holds."""
        return self._memo

    def keep(self, memo: RelatedMemo) -> None:
        """What this build chose, to be saved."""
        self._kept = memo

    def save(self) -> None:
        """Write the rows that differ from what was read; drop the rows of articles gone."""
        new = self._kept
        if new is None:
            return
        old = self._memo
        read: dict[Any, int | None] = dict.fromkeys(self._unsound)
        if old is not None:
            read.update((url, j) for j, url in enumerate(old.urls))
        now = {url: i for i, url in enumerate(new.urls)}

        def differs(j: int | None, i: int) -> bool:
            return j is None or old is None or not _same_related(old, j, new, i)

        def encode(url: str, i: int) -> _RelatedRow:
            chosen = "\n".join([new.urls[k] for k in new.related[i]])
            return (new.places[i], new.stories[i], "\n".join(new.keys[i]), chosen)

        self.state.write_difference("related", "url", read, now, encode, differs)
        self._memo, self._unsound, self._kept = new, [], None


def _same_related(old: RelatedMemo, j: int, new: RelatedMemo, i: int) -> bool:
    """Whether an article's row is the same in two memos (its picks named by address)."""
    if not (
        old.places[j] == new.places[i]
        and old.stories[j] == new.stories[i]
        and old.keys[j] == new.keys[i]
    ):
        return False
    before, after = old.related[j], new.related[i]
    if len(before) != len(after):
        return False
    old_urls, new_urls = old.urls, new.urls
    return all(old_urls[a] == new_urls[b] for a, b in zip(before, after, strict=True))


def _memo(
    urls: list[str],
    places: list[str],
    stories: list[str],
    keys: list[tuple[str, ...]],
    picks: list[str],
) -> RelatedMemo | None:
    """The memo the rows make; None when a pick names no article."""
    at = {url: i for i, url in enumerate(urls)}
    try:
        related = tuple(tuple(at[pick] for pick in chosen.split("\n") if pick) for chosen in picks)
    except KeyError:
        return None
    return RelatedMemo(
        urls=tuple(urls),
        places=tuple(places),
        stories=tuple(stories),
        keys=tuple(keys),
        related=related,
    )


# --- pages: their fingerprints, and what each was made from ----------------------------------


class PageTable:
    """Each page's fingerprint and a digest of the inputs it was computed from; each
    article's identity and the keys it touches. With the inputs each page of a build
    declares, they give the pages a change reaches.

    A page declares its inputs (``Page.inputs``) as keys: ``URL`` (an address) for an article it
    shows, ``c:CODE``, ``y:YEAR``, ``s:STORY`` and ``t:TOPIC`` for a group it lists, and
    ``g:NAME`` (and others) for a value of the whole archive (its span of years, say); none
    means the whole archive. Every article the last fingerprints were computed from is
    kept with its identity and the keys it touches. A build compares the archive with
    those: the keys that a changed, added or removed article touches (in its old and its
    new version), and the values that changed, are what changed; a page whose declared
    inputs are the ones stored, none of them changed, keeps its stored fingerprint.
    """

    def __init__(self, state: BuildState) -> None:
        self.state = state
        # url → (template, its hash, a digest of the declared inputs, the fingerprint's bytes)
        self.stored: dict[Any, tuple[Any, ...]] = {}
        # url → a digest of the article's identity (b"" for a row that is not sound); the
        # keys each touched are read from the database for the few articles that changed.
        self.seen: dict[Any, bytes] = {}
        self.site: Any = None
        self.values: Any = None
        self.generation: Any = None

    def reset(self) -> None:
        """Forget every row."""
        self.stored, self.seen = {}, {}
        self.site = self.values = self.generation = None

    def read(
        self, connection: sqlite3.Connection, meta: Mapping[str, Any], urls: Mapping[str, str]
    ) -> None:
        """The stored fingerprints and the articles they were computed from. urls:
        addresses already held, to share."""
        self.site = meta.get("pages:site")
        self.values = meta.get("pages:values")
        self.generation = meta.get("pages:generation")
        # Pages share a few templates: their names and hashes are held once each.
        shared: dict[Any, Any] = {}
        stored: dict[Any, tuple[Any, ...]] = {}
        for url, template, hashed, declared, fingerprint in connection.execute(
            "SELECT * FROM pages"
        ):
            stored[urls.get(url, url)] = (
                shared.setdefault(template, template),
                shared.setdefault(hashed, hashed),
                declared,
                fingerprint,
            )
        self.stored = stored
        self.seen = {
            urls.get(url, url): identity if type(identity) is bytes and len(identity) == 16 else b""
            for url, identity in connection.execute("SELECT url, identity FROM seen")
        }

    def compare(
        self,
        site: str,
        identities: Mapping[str, str],
        keys_of: Callable[[str], tuple[str, ...]],
        values: Mapping[str, str],
    ) -> PageChanges:
        """What changed since the stored fingerprints were computed.

        identities: each article's address → what makes it itself (its file's hash and
        name); keys_of: the keys an article (by address) touches; values: the whole
        archive's values that pages read (the key a change of it touches → its text).
        """
        current_values = json.dumps(dict(values), sort_keys=True)
        seen = self.seen
        marks: dict[str, bytes] = {}
        fresh: dict[str, str] = {}
        touched: set[str] = set()
        before: list[Any] = []  # the articles whose stored keys a change reaches
        for url, identity in identities.items():
            mark = _identity(identity)
            old = seen.get(url)
            if old == mark:
                marks[url] = old
                continue
            marks[url] = mark
            keys = keys_of(url)
            fresh[url] = _join(keys)
            touched.update(keys)
            if old is not None:
                before.append(url)
        before.extend(seen.keys() - identities.keys())
        known = self.site == site and type(self.values) is str
        if known and before:
            stored_keys = self._stored_keys(before)
            if stored_keys is None:
                known = False
            else:
                for text in stored_keys:
                    touched.update(_split(text))
        if known:
            old_values = _values(self.values)
            for name, value in values.items():
                if old_values.get(name) != value:
                    touched.add(name)
            touched.update(old_values.keys() - values.keys())
        if touched or before or fresh:
            touched.add(EVERYTHING)
        return PageChanges(self, site, known, touched, marks, fresh, keys_of, current_values)

    def _stored_keys(self, urls: list[Any]) -> list[str] | None:
        """The keys stored for these articles; None when the database no longer holds the
        rows that were read (another build wrote since) or a row is not sound."""
        connection = self.state._connection
        if connection is None:
            return None
        found: list[str] = []
        try:
            # One snapshot of the database: its generation, and the rows of that generation.
            connection.execute("BEGIN")
            try:
                row = connection.execute(
                    "SELECT value FROM meta WHERE name = 'pages:generation'"
                ).fetchone()
                if (row[0] if row else None) != self.generation:
                    return None
                for start in range(0, len(urls), 500):
                    chunk = urls[start : start + 500]
                    holes = ", ".join("?" * len(chunk))
                    rows = {
                        url: (identity, keys)
                        for url, identity, keys in connection.execute(
                            f"SELECT url, identity, keys FROM seen WHERE url IN ({holes})", chunk
                        )
                    }
                    for url in chunk:
                        identity, keys = rows.get(url, (None, None))
                        if identity != self.seen[url] or not identity or type(keys) is not str:
                            return None
                        found.append(keys)
            finally:
                connection.rollback()
        except sqlite3.Error:
            return None
        return found


EVERYTHING = "*"
"""The key every change touches: of the pages that read the whole archive."""


def _identity(identity: str) -> bytes:
    """A digest of an article's identity: 16 bytes where its text is a hundred or more."""
    return hashlib.blake2b(identity.encode(errors="surrogatepass"), digest_size=16).digest()


def _join(keys: Iterable[str]) -> str:
    # Keys are addresses, codes, years, story and topic keys: none holds a line break.
    return "\n".join(keys)


def _digest(keys: Iterable[str]) -> bytes:
    return hashlib.blake2b(_join(keys).encode(), digest_size=16).digest()


def _split(text: Any) -> list[str]:
    return text.split("\n") if type(text) is str and text else []


def _values(text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _raw(fingerprint: str) -> bytes | str:
    """A fingerprint as stored: a hex digest as its bytes, half the size; else as it is."""
    try:
        raw = bytes.fromhex(fingerprint)
    except ValueError:
        return fingerprint
    return raw if raw.hex() == fingerprint else fingerprint


class PageChanges:
    """One build's comparison with the stored fingerprints: which a page may keep."""

    def __init__(
        self,
        table: PageTable,
        site: str,
        known: bool,
        touched: set[str],
        identities: dict[str, bytes],
        fresh: dict[str, str],
        keys_of: Callable[[str], tuple[str, ...]],
        values: str,
    ) -> None:
        self.table = table
        self.site = site
        self.known = known
        self.touched = touched
        self.identities = identities
        self.fresh = fresh
        self.keys_of = keys_of
        self.values = values
        self.rows: dict[str, tuple[str, str, bytes | None, bytes | str]] = {}
        self.reused = 0

    def fingerprint(
        self,
        url: str,
        template: str,
        template_hash: str,
        inputs: tuple[str, ...] | None,
        compute: Callable[[], str],
    ) -> str:
        """The page's stored fingerprint when none of its inputs changed, else compute()."""
        # A digest stands for the inputs: a page of a million-article archive names a
        # dozen addresses, and only their equality with the last build's matters.
        declared = None if inputs is None else _digest(inputs)
        stored = self.table.stored.get(url) if self.known else None
        raw: bytes | str
        if (
            stored is not None
            and stored[0] == template
            and stored[1] == template_hash
            and stored[2] == declared
            and type(stored[3]) is bytes
            and len(stored[3]) == 32
            and not (
                EVERYTHING in self.touched
                if inputs is None
                else any(key in self.touched for key in inputs)
            )
        ):
            raw = stored[3]
            fingerprint = raw.hex()
            self.reused += 1
        else:
            fingerprint = compute()
            raw = _raw(fingerprint)
        self.rows[url] = (template, template_hash, declared, raw)
        return fingerprint

    def save(self) -> None:
        """Store this build's fingerprints and the articles they were computed from."""
        table = self.table
        if table.state._connection is None:
            return
        stored, seen = table.stored, table.seen
        rows, identities, fresh = self.rows, self.identities, self.fresh
        generation = table.generation

        def change(connection: sqlite3.Connection) -> None:
            found = connection.execute(
                "SELECT value FROM meta WHERE name = 'pages:generation'"
            ).fetchone()
            # Another build wrote since this one read: write the whole picture, not a
            # difference from what is no longer there.
            whole = not self.known or (found[0] if found else None) != generation
            if whole:
                connection.execute("DELETE FROM pages")
                connection.execute("DELETE FROM seen")
                page_rows = [(url, *row) for url, row in rows.items()]
                seen_rows = [
                    (url, mark, fresh[url] if url in fresh else _join(self.keys_of(url)))
                    for url, mark in identities.items()
                ]
            else:
                gone_pages = [(url,) for url in stored.keys() - rows.keys()]
                gone_seen = [(url,) for url in seen.keys() - identities.keys()]
                connection.executemany("DELETE FROM pages WHERE url = ?", gone_pages)
                connection.executemany("DELETE FROM seen WHERE url = ?", gone_seen)
                page_rows = [(url, *row) for url, row in rows.items() if stored.get(url) != row]
                seen_rows = [(url, identities[url], keys) for url, keys in fresh.items()]
            connection.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?)", page_rows)
            connection.executemany("INSERT OR REPLACE INTO seen VALUES (?, ?, ?)", seen_rows)
            mark = (found[0] if found and type(found[0]) is int else 0) + 1
            connection.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("pages:site", self.site), ("pages:values", self.values),
                 ("pages:generation", mark)],
            )  # fmt: skip
            table.generation = mark

        table.state.write(change)
        table.stored = rows
        table.seen = identities
        table.site, table.values = self.site, self.values
