"""What one build keeps for the next, in ``.newsgen-cache/``: parsed records and rendered bodies.

Records are found by the file's path, size and modification time, and checked by
the hash of its bytes when those differ; rendered Markdown is found by the hash
of the body. Both are keyed by a fingerprint of the settings and of newsgen's
own code, so a changed setting or a new newsgen never reuses a stale entry.
The cache is an optimisation only: deleting it changes no output.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import operator
import os
import time
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from newsgen.deps import RACY_NS
from newsgen.errors import BuildWarning
from newsgen.files import inside, replace_file
from newsgen.model import Article

# Plain JSON, checked field by field before use: a cache file is data, never code (pickle
# would have run a planted one). A planted record can still make a page say what its file
# does not until the file changes, but never run code or put markup on a page: every text
# is escaped, and rendered bodies read back from the cache are sanitized again.
_RECORDS = "records.json"
_FORMAT = "newsgen-records"
_FORMAT_VERSION = 1

_HTML = "html"


@dataclass(frozen=True)
class CachedRecord:
    """A file's parsed record, and how the file looked when it was parsed."""

    mtime_ns: int
    size: int
    digest: str
    article: Article
    warnings: tuple[BuildWarning, ...]


# A record as JSON values: [mtime_ns, size, digest, [the Article's fields but its path],
# [[warning message, line], ...]].
_Packed = list[Any]
_FIELDS = [f.name for f in fields(Article) if f.name != "path"]


class RecordCache:
    """Parsed records from the last build, by file path."""

    def __init__(self, folder: Path | None, key: str, root: Path | None = None) -> None:
        self.path = folder / _RECORDS if folder is not None else None
        self.key = key
        self.root = root
        self.entries: dict[str, _Packed] = {}
        self.used: dict[str, _Packed] = {}
        if self.path is not None and self.path.is_file():
            try:
                data = json.loads(self.path.read_bytes())
            except (OSError, ValueError):  # a damaged cache is only a slower build
                return
            if (
                isinstance(data, dict)
                and data.get("format") == _FORMAT
                and data.get("version") == _FORMAT_VERSION
                and data.get("key") == key
                and data.get("fields") == _FIELDS
                and isinstance(data.get("records"), dict)
            ):
                self.entries = data["records"]

    def by_stat(self, path: Path, stat: os.stat_result) -> CachedRecord | None:
        """The record of an untouched file, which is also kept for the next build."""
        key = self._key(path)
        packed = self.entries.get(key)
        if (
            isinstance(packed, list)
            and len(packed) == 5
            and packed[0] == stat.st_mtime_ns
            and packed[1] == stat.st_size
        ):
            record = _unpack(path, packed)
            if record is not None:
                self.used[key] = packed
            return record
        return None

    def by_digest(self, path: Path, digest: str) -> CachedRecord | None:
        """The record of a file that was touched but whose bytes are the same."""
        packed = self.entries.get(self._key(path))
        if isinstance(packed, list) and len(packed) == 5 and packed[2] == digest:
            return _unpack(path, packed)
        return None

    def keep(self, path: Path, entry: CachedRecord) -> None:
        """Remember a record for the next build."""
        self.used[self._key(path)] = _pack(entry)

    def _key(self, path: Path) -> str:
        # Relative to the project, so a checkout in another folder or on another machine (a
        # CI runner restoring the cache) still finds its records by their bytes.
        relative = inside(path, self.root) if self.root is not None else None
        return relative if relative is not None else str(path)

    def save(self) -> None:
        """Write the records this build used, if they differ from what was read."""
        if self.path is None or self.used == self.entries:
            return
        data = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "key": self.key,
            "fields": _FIELDS,
            "records": self.used,
        }
        # ASCII escapes keep the text one byte a character in memory, whatever the languages.
        replace_file(self.path, json.dumps(data, separators=(",", ":")).encode())


def _pack(entry: CachedRecord) -> _Packed:
    values = [_ENCODE[name](getattr(entry.article, name)) for name in _FIELDS]
    warnings = [[w.message, w.line] for w in entry.warnings]
    # A file modified moments ago is found next time by its hash only, never by its time.
    mtime_ns = entry.mtime_ns if entry.mtime_ns < time.time_ns() - RACY_NS else -1
    return [mtime_ns, entry.size, entry.digest, values, warnings]


def _unpack(path: Path, packed: _Packed) -> CachedRecord | None:
    """A record from its JSON values, or None when any value is not what the field holds."""
    try:
        mtime_ns, size, digest, values, warnings = packed
        if not (_is_int(mtime_ns) and _is_int(size) and type(digest) is str):
            return None
        if type(values) is not list or len(values) != len(_FIELDS):
            return None
        # Most fields are text: their types are checked in bulk, the rest one by one.
        if not _TEXT_TYPES.issuperset(map(type, _TEXTS(values))):
            return None
        if not _OPTIONAL_TEXT_TYPES.issuperset(map(type, _OPTIONAL_TEXTS(values))):
            return None
        values = values.copy()  # the stored list stays as read, to be saved again as it is
        for index, decode in _CONVERTED:
            values[index] = decode(values[index])
        article = Article(path, *values)
        notes = tuple(
            BuildWarning(_text(message), path, _optional_int(line)) for message, line in warnings
        )
    except (TypeError, ValueError):
        return None
    return CachedRecord(mtime_ns, size, digest, article, notes)


# --- one codec per field type: JSON holds no dates or tuples, and is checked on the way in ---


def _is_int(value: Any) -> bool:
    return type(value) is int


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
    if type(value) is not bool:
        raise TypeError("not true or false")
    return value


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(_text(value))


def _datetime(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(_text(value))


def _texts(value: Any) -> tuple[str, ...]:
    if type(value) is not list or not _TEXT_TYPES.issuperset(map(type, value)):
        raise TypeError("not a list of text")
    return tuple(value)


def _same(value: Any) -> Any:
    return value


def _iso(value: Any) -> Any:
    return value.isoformat()


_TEXT_TYPES = {str}

# type → (encode to JSON, decode from JSON with checks)
_CODECS: dict[Any, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    str: (_same, _text),
    int: (_same, _int),
    bool: (_same, _flag),
    dt.date: (_iso, _date),
    dt.datetime: (_iso, _datetime),
    tuple[str, ...]: (list, _texts),
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
        raise TypeError(f"the record cache cannot hold a field of type {kind}: add a codec")
    return _CODECS[kind]


_HINTS = typing.get_type_hints(Article)
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


@dataclass(frozen=True)
class BuildInfo:
    """What the last build into an output folder read, and what it reported."""

    inputs: str
    """The snapshot of the inputs it read (deps.input_snapshot)."""
    site: str
    """The stamp of the site it left (write.site_stamp): ties this record to the folder."""
    articles: int
    pages: int
    warnings: tuple[BuildWarning, ...] = ()


def _build_info_path(folder: Path, output: Path) -> Path:
    key = hashlib.sha256(str(output.resolve()).encode()).hexdigest()[:16]
    return folder / f"build-{key}.json"


def read_build_info(folder: Path, output: Path) -> BuildInfo | None:
    """The record of the last build into output, if there is a sound one."""
    try:
        data = json.loads(_build_info_path(folder, output).read_text(encoding="utf-8"))
        warnings = tuple(
            BuildWarning(str(m), None if p is None else Path(p), n) for m, p, n in data["warnings"]
        )
        return BuildInfo(
            str(data["inputs"]),
            str(data["site"]),
            int(data["articles"]),
            int(data["pages"]),
            warnings,
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def save_build_info(folder: Path, output: Path, info: BuildInfo) -> None:
    """Remember what this build read, for the next one to compare with."""
    data = {
        "inputs": info.inputs,
        "site": info.site,
        "articles": info.articles,
        "pages": info.pages,
        "warnings": [
            (w.message, None if w.path is None else str(w.path), w.line) for w in info.warnings
        ],
    }
    replace_file(
        _build_info_path(folder, output), (json.dumps(data, sort_keys=True) + "\n").encode()
    )


class HtmlCache:
    """Rendered article bodies, by the hash of their Markdown and of how it is rendered."""

    def __init__(self, folder: Path | None, key: str) -> None:
        self.folder = folder / _HTML if folder is not None else None
        self.key = key

    def _path(self, body_digest: str) -> Path | None:
        if self.folder is None:
            return None
        name = hashlib.sha256(f"{self.key}:{body_digest}".encode()).hexdigest()
        return self.folder / name[:2] / f"{name}.html"

    def get(self, body_digest: str) -> str | None:
        """The cached HTML of a body, if there is one."""
        path = self._path(body_digest)
        try:
            return path.read_text(encoding="utf-8") if path is not None else None
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, body_digest: str, html: str) -> None:
        """Keep a body's HTML for the next build."""
        path = self._path(body_digest)
        if path is None:
            return
        # An unwritable cache folder is reported once, when the records are saved.
        with contextlib.suppress(OSError):
            replace_file(path, html.encode("utf-8"))


_MENTIONS = "mentions.json"


class MentionCache:
    """The countries each body names, by the hash of the body and its language.

    Finding them needs the body's text; with this, a build reads only the bodies of new
    or changed files. It holds a few codes per article: memory grows with metadata.
    Kept as JSON, checked before use: a damaged or foreign file is only a slower build.
    """

    def __init__(self, folder: Path | None, key: str) -> None:
        self.path = folder / _MENTIONS if folder is not None else None
        self.key = key
        self.entries: dict[str, tuple[str, ...]] = {}
        self.used: dict[str, tuple[str, ...]] = {}
        if self.path is not None and self.path.is_file():
            with contextlib.suppress(OSError, ValueError):
                self.entries = _read_mentions(self.path.read_bytes(), key)

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
        """Write the entries this build used, if they differ from what was read."""
        if self.path is None or self.used == self.entries:
            return
        data = {"key": self.key, "entries": {k: list(v) for k, v in sorted(self.used.items())}}
        replace_file(self.path, json.dumps(data, ensure_ascii=True).encode("ascii"))


def _read_mentions(raw: bytes, key: str) -> dict[str, tuple[str, ...]]:
    """The entries of a mentions file written under key; nothing if it is not one."""
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("key") != key:
        return {}
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return {}
    return {
        name: tuple(codes)
        for name, codes in entries.items()
        if isinstance(name, str)
        and isinstance(codes, list)
        and all(isinstance(code, str) for code in codes)
    }
