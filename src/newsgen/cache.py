"""What one build keeps for the next, in ``.newsgen-cache/``: parsed records and rendered bodies.

Records are found by the file's path, size and modification time, and checked by
the hash of its bytes when those differ; rendered Markdown is found by the hash
of the body. Both are keyed by a fingerprint of the settings and of newsgen's
own code, so a changed setting or a new newsgen never reuses a stale entry.
The cache is an optimisation only: deleting it changes no output.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from newsgen.deps import RACY_NS
from newsgen.errors import BuildWarning
from newsgen.files import replace_file
from newsgen.model import Article

_RECORDS = "records.pickle"

_HTML = "html"


@dataclass(frozen=True)
class CachedRecord:
    """A file's parsed record, and how the file looked when it was parsed."""

    mtime_ns: int
    size: int
    digest: str
    article: Article
    warnings: tuple[BuildWarning, ...]


# A record as plain values (the Article's fields but its path), which unpickle fast.
_Packed = tuple[int, int, str, tuple[Any, ...], tuple[tuple[str, int | None], ...]]
_FIELDS = [f.name for f in fields(Article) if f.name != "path"]


class RecordCache:
    """Parsed records from the last build, by file path."""

    def __init__(self, folder: Path | None, key: str) -> None:
        self.path = folder / _RECORDS if folder is not None else None
        self.key = key
        self.entries: dict[str, _Packed] = {}
        self.used: dict[str, _Packed] = {}
        if self.path is not None and self.path.is_file():
            try:
                with self.path.open("rb") as stream:
                    stored_key, entries = pickle.load(stream)
                if stored_key == key:
                    self.entries = entries
            except Exception:  # a damaged or foreign cache is only a slower build
                self.entries = {}

    def by_stat(self, path: Path, stat: os.stat_result) -> CachedRecord | None:
        """The record of an untouched file, which is also kept for the next build."""
        key = str(path)
        packed = self.entries.get(key)
        if packed is not None and packed[0] == stat.st_mtime_ns and packed[1] == stat.st_size:
            self.used[key] = packed
            return _unpack(path, packed)
        return None

    def by_digest(self, path: Path, digest: str) -> CachedRecord | None:
        """The record of a file that was touched but whose bytes are the same."""
        packed = self.entries.get(str(path))
        return _unpack(path, packed) if packed is not None and packed[2] == digest else None

    def keep(self, path: Path, entry: CachedRecord) -> None:
        """Remember a record for the next build."""
        self.used[str(path)] = _pack(entry)

    def save(self) -> None:
        """Write the records this build used, if they differ from what was read."""
        if self.path is None or self.used == self.entries:
            return
        replace_file(
            self.path, pickle.dumps((self.key, self.used), protocol=pickle.HIGHEST_PROTOCOL)
        )


def _pack(entry: CachedRecord) -> _Packed:
    values = tuple(getattr(entry.article, name) for name in _FIELDS)
    warnings = tuple((w.message, w.line) for w in entry.warnings)
    # A file modified moments ago is found next time by its hash only, never by its time.
    mtime_ns = entry.mtime_ns if entry.mtime_ns < time.time_ns() - RACY_NS else -1
    return (mtime_ns, entry.size, entry.digest, values, warnings)


def _unpack(path: Path, packed: _Packed) -> CachedRecord:
    mtime_ns, size, digest, values, warnings = packed
    article = Article(path, *values)
    return CachedRecord(
        mtime_ns, size, digest, article, tuple(BuildWarning(m, path, n) for m, n in warnings)
    )


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
