"""What one build keeps for the next, in ``.newsgen-cache/``: parsed records and rendered bodies.

Records are found by the file's path, size and modification time, and checked by
the hash of its bytes when those differ; rendered Markdown is found by the hash
of the body. Both are keyed by a fingerprint of the settings and of newsgen's
own code, so a changed setting or a new newsgen never reuses a stale entry.
The cache is an optimisation only: deleting it changes no output.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from newsgen.errors import BuildWarning
from newsgen.model import Article

_RECORDS = "records.pickle"
_RACY_NS = 2_000_000_000
_HTML = "html"


# Modules that cannot change a page's bytes, so editing them keeps the caches warm.
_NOT_IN_OUTPUT = {"cli.py", "serve.py", "importer.py", "linkcheck.py", "__main__.py"}


@functools.cache
def code_fingerprint() -> str:
    """A hash of newsgen's own source: a changed newsgen invalidates what it cached."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.name not in _NOT_IN_OUTPUT:
            digest.update(path.read_bytes())
    return digest.hexdigest()


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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f"{_RECORDS}.{os.getpid()}.tmp")
        with temporary.open("wb") as stream:
            pickle.dump((self.key, self.used), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.path)


def _pack(entry: CachedRecord) -> _Packed:
    values = tuple(getattr(entry.article, name) for name in _FIELDS)
    warnings = tuple((w.message, w.line) for w in entry.warnings)
    # A file modified moments ago is not found by its time next build, only by its hash:
    # a second edit within the same clock tick could leave size and time unchanged.
    mtime_ns = entry.mtime_ns if entry.mtime_ns < time.time_ns() - _RACY_NS else -1
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
    manifest: tuple[int, int, int]
    """The stamp of the manifest it left (write.manifest_stamp): ties this record to the folder."""
    articles: int
    pages: int
    warnings: tuple[tuple[str, str | None, int | None], ...] = ()


def _build_info_path(folder: Path, output: Path) -> Path:
    key = hashlib.sha256(str(output.resolve()).encode()).hexdigest()[:16]
    return folder / f"build-{key}.json"


def read_build_info(folder: Path, output: Path) -> BuildInfo | None:
    """The record of the last build into output, if there is a sound one."""
    try:
        data = json.loads(_build_info_path(folder, output).read_text(encoding="utf-8"))
        warnings = tuple((str(m), p, n) for m, p, n in data["warnings"])
        stamp = tuple(int(n) for n in data["manifest"])
        return BuildInfo(
            str(data["inputs"]),
            (stamp[0], stamp[1], stamp[2]),
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
        "manifest": info.manifest,
        "articles": info.articles,
        "pages": info.pages,
        "warnings": info.warnings,
    }
    path = _build_info_path(folder, output)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)


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
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_text(html, encoding="utf-8")
        os.replace(temporary, path)
