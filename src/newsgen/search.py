"""The search index: Pagefind shards for a served site, and a small title index for ``file://``.

Pagefind indexes a folder of HTML pages into a folder of files whose names are hashes
of their content, and it has no incremental mode. So the archive is indexed in shards,
a year each (a month each in a year with many articles), and the search page merges
them in the browser (Pagefind's ``mergeIndex``). A shard is one page of the site map
whose inputs are its articles: adding an article re-indexes one shard.

Browsers refuse Pagefind's modules and WebAssembly from ``file://``. For that case each
shard has a twin: a plain script holding the titles, summaries, sources, countries,
topics and dates of its articles, which the search page loads with ``<script>`` tags.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from newsgen import urls
from newsgen.errors import NewsgenError
from newsgen.locales import base_language
from newsgen.model import Article, Document, Notes, Page

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

# What the browser needs of Pagefind's output; its ready-made interfaces are left out,
# since the search page has its own. The WebAssembly files are picked by language below.
_KEEP_FILES = {"pagefind.js", "pagefind-worker.js", "pagefind-entry.json"}
_KEEP_FOLDERS = {"index", "fragment", "filter"}


def index_language(site_language: str) -> str:
    """The one language the whole index is built in: the site's, as an ISO 639-1 code.

    Pagefind otherwise splits an index by each page's language and searches only the
    language of the search page; a reader of a mixed archive wants every article found.
    """
    return base_language(site_language)


def render_shard(
    env: jinja2.Environment,
    page: Page,
    body: Callable[[Article | Document | Notes], Markup],
    language: str,
) -> dict[str, bytes]:
    """A shard's files, by path inside the site: its articles rendered for indexing, indexed."""
    from newsgen.render import render_page

    documents = {
        urls.article_url(a): render_page(
            env, Page(urls.article_url(a), page.template, {"article": a}, bodies=(a,)), body
        )
        for a in page.context["articles"]
    }
    folder = urls.folder_of(page.url)
    indexed = index_documents(documents, index_language(language))
    return {folder + name: data for name, data in indexed.items()}


SHARD_CACHE = "search.sqlite"
"""The cache folder's file of indexed shards (``ShardCache``)."""
# What of a bundle the cache may hold: Pagefind's data, never its scripts or WebAssembly,
# which come from the indexer installed here (a cache restored from elsewhere is data).
_DATA_NAME = re.compile(
    r"pagefind-entry\.json|pagefind\.[A-Za-z0-9_-]+\.pf_meta"
    r"|(fragment|index|filter)/[A-Za-z0-9_-]+\.pf_(fragment|index|filter)"
)


class ShardCache:
    """Pagefind's data files of each shard indexed, by the shard's fingerprint: a fresh
    output folder with the cache kept (a CI run) re-indexes no shard that is unchanged.

    The fingerprint covers the shard's articles, their bodies, the settings, newsgen's
    code and the indexer's version (``deps.build_fingerprint``). Rows are checked before
    use (names of data files only, each file in Pagefind's format); a damaged database is
    only a slower build. A build marks the rows of its own shards used, and drops those no
    build used in the last BUILDS_KEPT (two output folders sharing a cache keep each
    other's).
    """

    def __init__(self, folder: Path | None, *, read: bool = True) -> None:
        self.folder = folder
        self.read = read
        self.lock = threading.Lock()
        self.used: set[str] = set()
        self._connection: sqlite3.Connection | None = None
        self._opened = False
        self.build = 1
        """This build's number in the ``used`` table: one more than the last build's."""

    @property
    def connection(self) -> sqlite3.Connection | None:
        """The database, opened when first needed (after any worker is forked), or None."""
        with self.lock:
            if not self._opened:
                self._opened = True
                self._connection = self._open()
            return self._connection

    def _open(self) -> sqlite3.Connection | None:
        if self.folder is None:
            return None
        path = self.folder / SHARD_CACHE
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if path.is_symlink() or (path.exists() and not path.is_file()):
                return None
            try:
                connection = _connect(path)
            except sqlite3.DatabaseError:  # damaged, or not a database: ours to make anew
                path.unlink()
                connection = _connect(path)
            self.build = _next_build(connection)
            return connection
        except (OSError, sqlite3.Error):
            return None

    def get(self, fingerprint: str, folder: str, language: str) -> dict[str, bytes] | None:
        """A shard's files by path in the site (folder: the shard's), or None. language:
        the index's (``index_language``), the only one a shard of this site holds."""
        self.used.add(fingerprint)
        connection = self.connection if self.read else None
        if connection is None:
            return None
        try:
            with self.lock:
                rows = connection.execute(
                    "SELECT name, data FROM shards WHERE key = ?", (fingerprint,)
                ).fetchall()
        except sqlite3.Error:
            return None
        files = _shard_files(rows, language)
        if files is None:
            return None
        files.update(_runtime_of(language))
        return {folder + name: data for name, data in sorted(files.items())}

    def keep(self, fingerprint: str) -> None:
        """A shard the output folder holds already: its row stays."""
        self.used.add(fingerprint)

    def put(self, fingerprint: str, files: Mapping[str, bytes], folder: str) -> None:
        """Keep a shard's data files (files by path in the site, under folder)."""
        self.used.add(fingerprint)
        connection = self.connection
        if connection is None:
            return
        rows = [
            (fingerprint, name, data)
            for path, data in files.items()
            if _DATA_NAME.fullmatch(name := path.removeprefix(folder))
        ]
        try:
            with self.lock, connection:
                connection.execute("DELETE FROM shards WHERE key = ?", (fingerprint,))
                connection.executemany("INSERT INTO shards VALUES (?, ?, ?)", rows)
                # Every shard stored is named in `used`, so that pruning finds what to drop
                # there: never by scanning the shards, a gigabyte at 100,000 articles.
                connection.execute(_MARK_USED, (fingerprint, self.build))
        except sqlite3.Error:
            pass  # an optimisation only: the next build indexes the shard again

    def __enter__(self) -> ShardCache:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.close(prune=kind is None)

    def close(self, prune: bool) -> None:
        """Mark this build's shards used and drop those no recent build used (when prune),
        and close."""
        connection = self.connection if prune else self._connection  # pruning opens it
        if connection is None:
            return
        try:
            if prune:
                with connection:
                    # Never before a build that ended meanwhile (it counts as this one).
                    this = max(self.build, _next_build(connection) - 1)
                    connection.executemany(_MARK_USED, [(key, this) for key in self.used])
                    oldest = this - BUILDS_KEPT
                    gone = connection.execute(
                        "SELECT key FROM used WHERE build <= ?", (oldest,)
                    ).fetchall()
                    # By key, each a range of the shards' primary key: a scan of the whole
                    # table read its gigabyte again (0.8 to 2 s of each rebuild of 100,000).
                    connection.executemany("DELETE FROM shards WHERE key = ?", gone)
                    connection.execute("DELETE FROM used WHERE build <= ?", (oldest,))
            connection.close()
        except sqlite3.Error:
            pass
        self._connection = None


def _next_build(connection: sqlite3.Connection) -> int:
    """The number of a build that ends now: one more than the last one's."""
    (last,) = connection.execute("SELECT COALESCE(MAX(build), 0) FROM used").fetchone()
    return (last if type(last) is int else 0) + 1


# A shard's row in `used` never goes back to an older build's number (a long build that
# ends after a shorter one began after it).
_MARK_USED = """INSERT INTO used VALUES (?, ?)
    ON CONFLICT(key) DO UPDATE SET build = MAX(build, excluded.build)"""

BUILDS_KEPT = 3
"""Builds whose shards the cache keeps: this one's and the two before it (as rendered bodies
keep three generations), so that builds of two output folders, or of two sets of articles,
sharing one cache do not drop each other's."""


_MAX_FILE = 16 << 20
"""No file of a shard comes near this (in a shard of 376 articles of the 10,000 benchmark,
a fragment is 1.5 KB packed on average, the meta 3.7 KB, the largest index chunk 32 KB): a
row larger is not Pagefind's, nor is a file that unpacks to more."""


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
    try:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS shards (key TEXT, name TEXT, data BLOB, "
            "PRIMARY KEY (key, name)) WITHOUT ROWID"
        )
        # Which build last had each shard: the rows no recent build had are dropped.
        connection.execute(
            "CREATE TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY, build INTEGER) WITHOUT ROWID"
        )
        connection.execute("SELECT key, name, data FROM shards LIMIT 1").fetchall()
        connection.execute("SELECT key, build FROM used LIMIT 1").fetchall()
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version < 1:
            # Kept by a newsgen that named a shard in `used` only when its build ended well:
            # rows of one that failed are named nowhere, and pruning now looks only there.
            connection.execute("DELETE FROM shards WHERE key NOT IN (SELECT key FROM used)")
            connection.execute("PRAGMA user_version = 1")
        connection.commit()
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def _shard_files(rows: list[Any], language: str) -> dict[str, bytes] | None:
    """A shard's data files from its rows, when they are exactly the files its entry and
    meta name, each in Pagefind's format; else None (the shard is indexed again)."""
    files: dict[str, bytes] = {}
    for name, data in rows:
        if type(name) is not str or type(data) is not bytes or len(data) > _MAX_FILE:
            return None
        if not _DATA_NAME.fullmatch(name):
            return None
        files[name] = data
    try:
        entry = json.loads(files["pagefind-entry.json"])
        if list(entry["languages"]) != [language]:  # the index is built in one language
            return None
        meta_name = f"pagefind.{entry['languages'][language]['hash']}.pf_meta"
        meta = _decode(files[meta_name], limit=_MAX_FILE)
        named = {
            "pagefind-entry.json",
            meta_name,
            *(f"fragment/{page[0]}.pf_fragment" for page in meta[_META_PAGES]),
            *(f"index/{chunk[2]}.pf_index" for chunk in meta[_META_CHUNKS]),
            *(f"filter/{pair[1]}.pf_filter" for pair in meta[_META_FILTERS]),
        }
        if files.keys() != named:  # a file missing, or one more than the shard has
            return None
        if not all(
            _signed(data)
            for name, data in files.items()
            if name.endswith(_PACKED) and name != meta_name
        ):
            return None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, NewsgenError):
        return None
    except (RecursionError, MemoryError, zlib.error, EOFError, OSError):
        return None  # nested past reason, or packed past the limit: not Pagefind's
    return files


_PACKED = (".pf_meta", ".pf_fragment", ".pf_index", ".pf_filter")


def _signed(data: bytes) -> bool:
    """Whether a file is whole gzip that unpacks, within _MAX_FILE, to Pagefind's signature
    and what follows it (a file packed to unpack past that is nobody's index)."""
    try:
        return _gunzip(data, _MAX_FILE).startswith(_SIGNATURE)
    except (ValueError, zlib.error):
        return False


def _gunzip(data: bytes, limit: int) -> bytes:
    """A gzip file's content, or a ValueError when it unpacks past limit or is cut short."""
    unpacker = zlib.decompressobj(wbits=31)
    plain = unpacker.decompress(data, limit)
    if unpacker.unconsumed_tail or not unpacker.eof:
        raise ValueError("unpacks past the limit, or is cut short")
    return plain


_RUNTIME_LOCK = threading.Lock()


def _runtime_of(language: str) -> dict[str, bytes]:
    """The indexer's scripts and WebAssembly for an index in one language: what it writes
    beside any index in it, the same whatever was indexed (made once a process, from one
    small page; shards are indexed on threads, so one makes them and the others wait)."""
    with _RUNTIME_LOCK:
        if language not in _RUNTIMES:
            page = f'<html lang="{language}"><body><main><h1>newsgen</h1></main></body></html>'
            files = index_documents({"index.html": page.encode()}, language)
            _RUNTIMES[language] = {
                name: data
                for name, data in files.items()
                if name.endswith(".js") or name.startswith("wasm.")
            }
        return _RUNTIMES[language]


_RUNTIMES: dict[str, dict[str, bytes]] = {}


def index_documents(documents: Mapping[str, bytes], language: str) -> dict[str, bytes]:
    """Run Pagefind over HTML documents (path → bytes); its output, by path in the bundle.

    Whatever goes wrong (a full scratch folder, an indexer that cannot run or writes what
    we cannot read) is a NewsgenError in one line, never a traceback.
    """
    try:
        return _index(documents, language)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise NewsgenError(
            f"the search index cannot be made: {exc.strerror or exc}{where}"
        ) from None
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise NewsgenError(
            f"the search indexer (pagefind) wrote what newsgen cannot read: {exc!r}",
            hint="pagefind 1.x is the version newsgen knows",
        ) from None


def _index(documents: Mapping[str, bytes], language: str) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory(prefix="newsgen-pagefind-", dir=_scratch()) as temporary:
        site = Path(temporary) / "site"
        output = Path(temporary) / "bundle"
        for url, data in documents.items():
            path = site / PurePosixPath(url)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        site.mkdir(exist_ok=True)
        command = [
            str(_executable()),
            "--site",
            str(site),
            "--output-path",
            str(output),
            "--force-language",
            language,
            "--silent",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()
            raise NewsgenError(
                f"the search indexer (pagefind) failed: {said[-1] if said else done.returncode}"
            )
        return _settle(_collect(output))


def _scratch() -> str | None:
    """Where a shard's pages are written for the indexer: memory, where the system offers it.

    A shard is a few hundred small files written, read and dropped at once; on a RAM-backed
    folder that costs half the system time it costs on disk. Elsewhere, the usual temp folder.
    """
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def _collect(output: Path) -> dict[str, bytes]:
    """The files of a Pagefind bundle the browser needs, in a stable order."""
    entry = json.loads((output / "pagefind-entry.json").read_text(encoding="utf-8"))
    # A language Pagefind has no stemmer for names no WebAssembly of its own ("wasm": null),
    # and its script then loads wasm.unknown.pagefind.
    wasm = {f"wasm.{info['wasm'] or 'unknown'}.pagefind" for info in entry["languages"].values()}
    metas = {f"pagefind.{info['hash']}.pf_meta" for info in entry["languages"].values()}
    files: dict[str, bytes] = {}
    for path in sorted(output.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(output).as_posix()
        top = name.split("/")[0]
        if name in _KEEP_FILES or name in wasm or name in metas or top in _KEEP_FOLDERS:
            files[name] = path.read_bytes()
    return files


_SIGNATURE = b"pagefind_dcd"


def _settle(files: dict[str, bytes]) -> dict[str, bytes]:
    """The same bundle for the same pages: Pagefind lists filter values in hash-map order,
    which changes from run to run, so sort them and name each file after what it holds."""
    entry = json.loads(files["pagefind-entry.json"])
    for info in entry["languages"].values():
        meta = _decode(files.pop(f"pagefind.{info['hash']}.pf_meta"))
        filters = []
        for name, old in meta[_META_FILTERS]:
            values = _decode(files.pop(f"filter/{old}.pf_filter"))
            values[1] = sorted([value, sorted(pages)] for value, pages in values[1])
            data = _encode(values)
            new = _content_name(old, data, 7)
            files[f"filter/{new}.pf_filter"] = data
            filters.append([name, new])
        meta[_META_FILTERS] = sorted(filters)
        data = _encode(meta)
        info["hash"] = _content_name(info["hash"], data, 10)
        files[f"pagefind.{info['hash']}.pf_meta"] = data
    text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    files["pagefind-entry.json"] = text.encode("utf-8")
    return dict(sorted(files.items()))


# The places of the pages, index chunks and filters in a Pagefind 1.x meta file:
# [version, pages, index chunks, filters, sorts, meta fields].
_META_PAGES, _META_CHUNKS, _META_FILTERS = 1, 2, 3


def _decode(data: bytes, limit: int | None = None) -> Any:
    """A Pagefind file's value; limit: the most it may unpack to (a ValueError past it)."""
    import cbor2

    plain = gzip.decompress(data) if limit is None else _gunzip(data, limit)
    if not plain.startswith(_SIGNATURE):
        raise NewsgenError("the search indexer (pagefind) wrote a file of an unknown format")
    try:
        return cbor2.loads(plain[len(_SIGNATURE) :])
    except cbor2.CBORDecodeError as exc:
        raise ValueError(str(exc)) from None


def _encode(value: Any) -> bytes:
    import cbor2

    return gzip.compress(_SIGNATURE + cbor2.dumps(value), compresslevel=9, mtime=0)


def _content_name(old: str, data: bytes, length: int) -> str:
    """A file's name from its content, with the language prefix Pagefind gave it ('en_…')."""
    prefix = old.partition("_")[0]
    return f"{prefix}_{hashlib.sha256(data).hexdigest()[:length]}"


def _executable() -> Path:
    """The Pagefind binary that the pagefind-bin package ships."""
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise NewsgenError(
            "the search indexer is missing: install newsgen's dependencies (pagefind[bin])"
        ) from None
    found: Path = get_executable()
    return found
