"""What one build keeps for the next in ``.newsgen-cache/`` besides the build state
(``state.py``): rendered bodies, and what the last build into each output folder read.

Rendered Markdown is found by the hash of the body, keyed by a fingerprint of the
settings and of newsgen's own code, so a changed setting or a new newsgen never
reuses a stale entry. The cache is an optimisation only: deleting it changes no output.

Each fingerprint's bodies are a generation, in a folder of their own; a build keeps its
own and the two generations used most recently before it (a project built with two or
three sets of settings, or by two versions of newsgen, keeps every set warm) and removes
the rest, so that the cache does not grow with every upgrade or change of settings.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from newsgen.config import CONFIG_FILE, Config
from newsgen.errors import BuildWarning, ConfigError
from newsgen.files import replace_file, resolved

_HTML = "html"
GENERATIONS_KEPT = 3
"""Generations of rendered bodies a cache folder keeps: this build's and the last two used."""
# A generation's folder, and the folders of entries that an older newsgen kept directly
# under html/; in them, folders of two letters holding entries (and a write cut short).
# Only folders of this shape holding nothing else are removed, never what someone else put.
_OURS = re.compile(r"[0-9a-f]{16}|[0-9a-f]{2}")
_BUCKET = re.compile(r"[0-9a-f]{2}")
_ENTRY = re.compile(r"[0-9a-f]{64}\.html(\.[0-9]+\.tmp)?")


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
        self.folder = folder / _HTML / _generation(key) if folder is not None else None
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


def check_cache_folder(config: Config) -> None:
    """Refuse a cache folder that another folder of the project is, holds or lies in:
    what the cache writes would be read as articles or templates, or published."""
    cache = _real(config, "cache")
    root = config.root.resolve()
    if root.is_relative_to(cache):
        where = "is" if cache == root else "holds"
        raise _misplaced(config, f"it {where} the project folder")
    others = {
        "source": "the articles folder",
        "templates": "the templates folder",
        "static": "the static folder",
        "output": "the output folder",
    }
    for name, what in others.items():
        folder = _real(config, name)
        if cache == folder or folder.is_relative_to(cache):
            raise _misplaced(config, f"it is or holds {what}")
        # Inside an input folder, a hidden one is never read (source: . with the default
        # .newsgen-cache); inside the output folder, nothing may be.
        inside = cache.relative_to(folder).parts if cache.is_relative_to(folder) else None
        hidden = inside is not None and any(part.startswith(".") for part in inside)
        if inside is not None and (name == "output" or not hidden):
            raise _misplaced(config, f"it is inside {what}")


def _real(config: Config, name: str) -> Path:
    """A configured folder's real path, or a ConfigError naming it."""
    found = resolved(config.path(name))
    if isinstance(found, str):
        raise ConfigError(f"the {name} folder cannot be used: {found}", config.path(name))
    return found


def _misplaced(config: Config, why: str) -> ConfigError:
    return ConfigError(
        f"the cache folder cannot be {config.cache}: {why}",
        config.root / CONFIG_FILE,
        hint="give 'cache:' a folder of its own; the default is .newsgen-cache",
    )


def _generation(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def prune_html_cache(folder: Path, key: str) -> BuildWarning | None:
    """Mark this key's generation of rendered bodies as used now, and remove every
    generation but the GENERATIONS_KEPT used last; a warning when that fails."""
    html = folder / _HTML
    try:
        with os.scandir(html) as found:
            entries = [e for e in found if _OURS.fullmatch(e.name)]
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _prune_warning(html, exc)
    mine = _generation(key)
    try:
        folders = [e for e in entries if e.is_dir(follow_symlinks=False)]
        if any(e.name == mine for e in folders):
            os.utime(html / mine)  # a folder's time is when a build last used it
        used: dict[str, int] = {}
        for entry in folders:
            info = entry.stat(follow_symlinks=False)
            # Folders of an older newsgen's layout (two letters) are never used again.
            used[entry.name] = info.st_mtime_ns if len(entry.name) == 16 else -1
        kept = sorted(used, key=lambda name: (name != mine, -used[name]))[:GENERATIONS_KEPT]
        for entry in folders:
            if entry.name in kept and len(entry.name) == 16:
                continue
            layout = (_BUCKET, _ENTRY) if len(entry.name) == 16 else (_ENTRY,)
            if _holds_only(Path(entry.path), layout):
                shutil.rmtree(entry.path)
    except OSError as exc:
        return _prune_warning(html, exc)
    return None


def _holds_only(folder: Path, layout: tuple[re.Pattern[str], ...]) -> bool:
    """Whether a folder holds nothing but what the cache writes: folders then files whose
    names match layout, level by level, and no link."""
    pattern, *deeper = layout
    with os.scandir(folder) as found:
        for entry in found:
            if entry.is_symlink() or not pattern.fullmatch(entry.name):
                return False
            if deeper:
                if not entry.is_dir() or not _holds_only(Path(entry.path), tuple(deeper)):
                    return False
            elif not entry.is_file():
                return False
    return True


def _prune_warning(path: Path, exc: OSError) -> BuildWarning:
    return BuildWarning(
        f"cannot remove old rendered bodies from the cache: {exc.strerror or exc}",
        Path(exc.filename) if exc.filename else path,
    )
