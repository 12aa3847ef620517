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
from newsgen.files import inside
from newsgen.model import Article

STATE_FILE = "state.sqlite"
_FORMAT = "newsgen-state"
_VERSION = 2  # 2: the related reports' memo
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
CREATE TABLE seen (url TEXT PRIMARY KEY, identity, keys);
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
        self.records.read(connection)
        self.mentions.read(connection)
        self.pages.read(connection, meta)
        self.related.read(connection)

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
        read: Mapping[str, Any],
        now: Mapping[str, Any],
        encode: Callable[[Any], tuple[Any, ...]] = tuple,
    ) -> list[str]:
        """Make a table that held the rows read (key → value) hold now instead, writing only
        the rows that differ; encode turns a value into its columns. Returns the keys gone."""
        changed = [(name, *encode(value)) for name, value in now.items() if read.get(name) != value]
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

    def relative(self, path: Path) -> str:
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
    """Parsed records from the last build, by the file's path in the project."""

    def __init__(self, state: BuildState) -> None:
        self.state = state
        self.entries: dict[str, _Row] = {}
        self.used: dict[str, _Row] = {}
        self._decoded: dict[str, CachedRecord] = {}

    def reset(self) -> None:
        """Forget every row."""
        self.entries, self.used, self._decoded = {}, {}, {}

    def start(self) -> None:
        """Begin a build from the rows last read or written (``save`` keeps them)."""
        self.used = {}

    def read(self, connection: sqlite3.Connection) -> None:
        """Every stored row, as stored: each is checked only when a build asks for it."""
        cursor = connection.execute("SELECT * FROM records")
        self.entries = {row[0]: row[1:] for row in cursor}
        self._decoded = {}

    def by_stat(self, path: Path, stat: os.stat_result) -> CachedRecord | None:
        """The record of an untouched file, which is also kept for the next build."""
        key = self.state.relative(path)
        row = self.entries.get(key)
        if row is None or row[0] != stat.st_mtime_ns or row[1] != stat.st_size:
            return None
        record = self._decode(key, path, row)
        if record is not None:
            self.used[key] = row
        return record

    def by_digest(self, path: Path, digest: str) -> CachedRecord | None:
        """The record of a file that was touched but whose bytes are the same."""
        key = self.state.relative(path)
        row = self.entries.get(key)
        if row is None or row[2] != digest:
            return None
        return self._decode(key, path, row)

    def keep(self, path: Path, entry: CachedRecord) -> None:
        """Remember a record for the next build."""
        key = self.state.relative(path)
        row = _pack(entry)
        self.used[key] = row
        self._decoded[key] = dataclasses.replace(entry, mtime_ns=row[0])

    def _decode(self, key: str, path: Path, row: _Row) -> CachedRecord | None:
        # A state kept in memory between builds (serve) decodes each row once.
        found = self._decoded.get(key)
        if (
            found is not None
            and found.article.path == path
            and (found.mtime_ns, found.size, found.digest) == row[:3]
        ):
            return found
        record = _unpack(path, row)
        if record is not None:
            self._decoded[key] = record
        return record

    def save(self) -> None:
        """Write the rows that differ from what was read; drop the rows no build used."""
        for key in self.state.write_difference("records", "path", self.entries, self.used):
            self._decoded.pop(key, None)
        self.entries = dict(self.used)


def _pack(entry: CachedRecord) -> _Row:
    values = [_ENCODE[name](getattr(entry.article, name)) for name in _FIELDS]
    warnings = json.dumps([[w.message, w.line] for w in entry.warnings]) if entry.warnings else ""
    # A file modified moments ago is found next time by its hash only, never by its time.
    mtime_ns = entry.mtime_ns if entry.mtime_ns < time.time_ns() - RACY_NS else -1
    return (mtime_ns, entry.size, entry.digest, *values, warnings)


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
    return CachedRecord(mtime_ns, size, digest, article, notes)


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
_CODE = re.compile(r"[A-Z]{2}")

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
    """The countries each body names, by the hash of the body and its language.

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
                found = tuple(codes.split(",")) if codes else ()
                if all(_CODE.fullmatch(code) for code in found):
                    entries[name] = found
        self.entries = entries

    def get(self, body_digest: str, language: str) -> tuple[str, ...] | None:
        """The countries a body names, if an earlier build found them."""
        name = f"{body_digest}:{language}"
        found = self.entries.get(name)
        if found is not None:
            self.used[name] = found
        return found

    def put(self, body_digest: str, language: str, codes: tuple[str, ...]) -> None:
        """Remember what a body names."""
        self.used[f"{body_digest}:{language}"] = codes

    def save(self) -> None:
        """Write the rows that differ from what was read; drop the rows no build used."""
        self.state.write_difference(
            "mentions", "body", self.entries, self.used, lambda codes: (",".join(codes),)
        )
        self.entries = dict(self.used)


# --- related reports: what the last build chose, and from what -------------------------------


_RelatedRow = tuple[str, str, str, str]
"""An article's place in time, its story, its index lists and its related reports' addresses."""


class RelatedTable:
    """The related reports' memo (``enrich.RelatedMemo``) between builds, a row per article.

    Rows are plain text checked on reading; a memo that does not hold together (a pick that
    names no article) is dropped, and every list is ranked anew: slower, never wrong.
    """

    def __init__(self, state: BuildState) -> None:
        self.state = state
        self.entries: dict[str, _RelatedRow] = {}
        self.used: dict[str, _RelatedRow] | None = None

    def reset(self) -> None:
        """Forget every row."""
        self.entries, self.used = {}, None

    def start(self) -> None:
        """Begin a build from the rows last read or written."""
        self.used = None

    def read(self, connection: sqlite3.Connection) -> None:
        """Every stored row made of text; the rest are as good as absent."""
        self.entries = {
            row[0]: row[1:]
            for row in connection.execute("SELECT url, place, story, keys, picks FROM related")
            if all(type(value) is str for value in row)
        }

    def memo(self) -> RelatedMemo | None:
        """The last build's memo, in timeline order; None when there is none that holds."""
        if not self.entries:
            return None
        urls = sorted(self.entries, key=lambda url: self.entries[url][0])
        at = {url: i for i, url in enumerate(urls)}
        try:
            related = tuple(
                tuple(at[pick] for pick in self.entries[url][3].split("\n") if pick) for url in urls
            )
        except KeyError:
            return None
        rows = [self.entries[url] for url in urls]
        return RelatedMemo(
            urls=tuple(urls),
            places=tuple(row[0] for row in rows),
            stories=tuple(row[1] for row in rows),
            keys=tuple(tuple(row[2].split("\n")) if row[2] else () for row in rows),
            related=related,
        )

    def keep(self, memo: RelatedMemo) -> None:
        """What this build chose, to be saved."""
        self.used = {
            url: (
                memo.places[i],
                memo.stories[i],
                "\n".join(memo.keys[i]),
                "\n".join(memo.urls[j] for j in memo.related[i]),
            )
            for i, url in enumerate(memo.urls)
        }

    def save(self) -> None:
        """Write the rows that differ from what was read; drop the rows of articles gone."""
        if self.used is None:
            return
        self.state.write_difference("related", "url", self.entries, self.used)
        self.entries, self.used = self.used, None


# --- pages: their fingerprints, and what each was made from ----------------------------------


class PageTable:
    """Each page's fingerprint and a digest of the inputs it was computed from; each
    article's identity and the keys it touches. With the inputs each page of a build
    declares, they give the pages a change reaches.

    A page declares its inputs (``Page.inputs``) as keys: ``a:URL`` for an article it
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
        self.stored: dict[str, tuple[Any, ...]] = {}
        self.seen: dict[str, tuple[Any, ...]] = {}
        self.site: Any = None
        self.values: Any = None
        self.generation: Any = None

    def reset(self) -> None:
        """Forget every row."""
        self.stored, self.seen = {}, {}
        self.site = self.values = self.generation = None

    def read(self, connection: sqlite3.Connection, meta: Mapping[str, Any]) -> None:
        """The stored fingerprints and the articles they were computed from."""
        self.site = meta.get("pages:site")
        self.values = meta.get("pages:values")
        self.generation = meta.get("pages:generation")
        # Pages share a few templates: their names and hashes are held once each.
        shared: dict[Any, Any] = {}
        self.stored = {
            url: (shared.setdefault(template, template), shared.setdefault(hashed, hashed), *rest)
            for url, template, hashed, *rest in connection.execute("SELECT * FROM pages")
        }
        self.seen = {row[0]: row[1:] for row in connection.execute("SELECT * FROM seen")}

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
        rows: dict[str, tuple[str, str]] = {}
        touched: set[str] = set()
        changed_articles = 0
        for url, identity in identities.items():
            old = seen.get(url)
            if old is not None and old[0] == identity and type(old[1]) is str:
                rows[url] = old
                continue
            keys = keys_of(url)
            rows[url] = (identity, _join(keys))
            touched.update(keys)
            if old is not None:
                touched.update(_split(old[1]))
            changed_articles += 1
        for url in seen.keys() - identities.keys():
            touched.update(_split(seen[url][1]))
            changed_articles += 1
        known = self.site == site and type(self.values) is str
        if known:
            old_values = _values(self.values)
            for name, value in values.items():
                if old_values.get(name) != value:
                    touched.add(name)
            touched.update(old_values.keys() - values.keys())
        if touched or changed_articles:
            touched.add(EVERYTHING)
        return PageChanges(self, site, known, touched, rows, current_values)


EVERYTHING = "*"
"""The key every change touches: of the pages that read the whole archive."""


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


class PageChanges:
    """One build's comparison with the stored fingerprints: which a page may keep."""

    def __init__(
        self,
        table: PageTable,
        site: str,
        known: bool,
        touched: set[str],
        seen: dict[str, tuple[str, str]],
        values: str,
    ) -> None:
        self.table = table
        self.site = site
        self.known = known
        self.touched = touched
        self.seen = seen
        self.values = values
        self.rows: dict[str, tuple[str, str, bytes | None, str]] = {}
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
        if (
            stored is not None
            and stored[0] == template
            and stored[1] == template_hash
            and stored[2] == declared
            and type(stored[3]) is str
            and not (
                EVERYTHING in self.touched
                if inputs is None
                else any(key in self.touched for key in inputs)
            )
        ):
            fingerprint: str = stored[3]
            self.reused += 1
        else:
            fingerprint = compute()
        self.rows[url] = (template, template_hash, declared, fingerprint)
        return fingerprint

    def save(self) -> None:
        """Store this build's fingerprints and the articles they were computed from."""
        table = self.table
        if table.state._connection is None:
            return
        stored, seen = table.stored, table.seen
        rows, articles = self.rows, self.seen
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
                seen_rows = [(url, *row) for url, row in articles.items()]
            else:
                gone_pages = [(url,) for url in stored.keys() - rows.keys()]
                gone_seen = [(url,) for url in seen.keys() - articles.keys()]
                connection.executemany("DELETE FROM pages WHERE url = ?", gone_pages)
                connection.executemany("DELETE FROM seen WHERE url = ?", gone_seen)
                page_rows = [(url, *row) for url, row in rows.items() if stored.get(url) != row]
                seen_rows = [(url, *row) for url, row in articles.items() if seen.get(url) != row]
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
        table.stored = dict(rows)
        table.seen = dict(articles)
        table.site, table.values = self.site, self.values
