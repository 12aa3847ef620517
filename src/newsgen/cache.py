"""What one build keeps for the next in ``.newsgen-cache/`` besides the build state
(``state.py``): rendered bodies, and what the last build into each output folder read.

Rendered Markdown is found by the hash of the body, keyed by a fingerprint of the
settings and of newsgen's own code, so a changed setting or a new newsgen never
reuses a stale entry. The cache is an optimisation only: deleting it changes no output.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from newsgen.errors import BuildWarning
from newsgen.files import replace_file

_HTML = "html"


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
