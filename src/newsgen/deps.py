"""Incremental builds: a fingerprint of everything a page's bytes depend on.

A page's bytes are a function of its template (and the templates that one
extends, includes or imports), the site settings, the page's context, and the
bodies it renders. Articles enter the fingerprint by the hash of their file, so
a page is made again exactly when something it shows has changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import re
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsgen.config import ABOUT_FILE, Config, shapes_output
from newsgen.files import Found, walk
from newsgen.model import Article, Page
from newsgen.theme import links_within, search_path

if TYPE_CHECKING:
    import jinja2


RACY_NS = 2_000_000_000
"""How recent (in ns) a modification time is too recent to trust: a second edit within
the same clock tick could leave a file's size and time unchanged (git's "racy" files)."""


def build_fingerprint(config: Config) -> str:
    """What every page and every cached value depends on: settings, our code, library versions."""
    return _hash(settings_fingerprint(config), code_fingerprint(), library_versions())


def settings_fingerprint(config: Config) -> str:
    """A hash of every setting that can change a page's bytes (see Config's field metadata)."""
    shaping = {
        f.name: getattr(config, f.name) for f in dataclasses.fields(config) if shapes_output(f)
    }
    return hashlib.sha256(json.dumps(shaping, sort_keys=True, default=str).encode()).hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """A hash of the modules a build runs: a changed newsgen invalidates what it cached.

    The modules are found by following ``newsgen`` imports from the pipeline, so the
    command line, the server or the importer can change without cooling the caches.
    """
    package = Path(__file__).parent
    sources = {_module_name(path, package): path.read_bytes() for path in package.rglob("*.py")}
    reached: set[str] = set()
    pending = ["pipeline"]
    while pending:
        name = pending.pop()
        if name in reached or name not in sources:
            continue
        reached.add(name)
        text = sources[name].decode("utf-8")
        for dotted in _IMPORT_MODULE.findall(text):
            # "newsgen.importer.dates" needs the package "importer" too, as Python runs it.
            parts = dotted.split(".")
            pending.extend(".".join(parts[:end]) for end in range(1, len(parts) + 1))
        for names in _IMPORT_FROM_PACKAGE.findall(text):
            pending.extend(name.split()[0] for name in names.split(",") if name.strip())
    digest = hashlib.sha256()
    for name in sorted(reached):
        digest.update(name.encode() + b"\x00" + sources[name] + b"\x00")
    # Tables the code reads (country forms, say) shape output as much as the code does.
    for path in sorted((package / "data").glob("*")):
        digest.update(path.name.encode() + b"\x00" + path.read_bytes() + b"\x00")
    # The message catalogs put the site's own words on every page.
    for path in sorted(package.glob("locale/*/LC_MESSAGES/*.po")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\x00")
        digest.update(path.read_bytes() + b"\x00")
    return digest.hexdigest()


# "from newsgen.x.y import …", "import newsgen.x", "from newsgen import x, y as z"
_IMPORT_MODULE = re.compile(r"^\s*(?:from|import)\s+newsgen\.([\w.]+)", re.M)
_IMPORT_FROM_PACKAGE = re.compile(r"^\s*from\s+newsgen\s+import\s+([\w, ]+)$", re.M)


def _module_name(path: Path, package: Path) -> str:
    """'render' for render.py, 'theme' for theme/__init__.py, 'importer.dates' for a submodule."""
    parts = path.relative_to(package).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def library_versions() -> str:
    """The versions of the libraries whose output lands in pages."""
    return ",".join(
        f"{name}={_version(name)}"
        for name in ("jinja2", "markdown", "babel", "nh3", "pagefind-bin", "tzdata")
    )


@dataclasses.dataclass
class InputScan:
    """One look at every input: the snapshot, and what was found in the articles folder
    (handed over once, by take_articles)."""

    snapshot: str
    """A hash of every input's name, size and modification time (see input_snapshot)."""
    articles: list[Found]
    """What the walk of the articles folder met, with each file's status: loading takes
    these (take_articles) rather than walking and asking for each file's status again."""

    def take_articles(self) -> list[Found]:
        """What the walk of the articles folder met, given up: a build should not hold
        it past loading."""
        taken = self.articles[:]
        self.articles.clear()
        return taken


def input_snapshot(config: Config) -> str:
    """A hash of every input's name, size and modification time, and of the settings and code.

    Inputs are the articles and the templates and static files of the project and the theme.

    Equal snapshots mean nothing a build reads has changed, so the whole build can be
    skipped without loading a single article. Like make, it trusts modification times;
    `build --full` is the way round a file changed behind them.
    """
    return scan_inputs(config).snapshot


def scan_inputs(config: Config) -> InputScan:
    """Look at every input once: its snapshot (input_snapshot), and the articles folder's files."""
    digest = hashlib.sha256()
    digest.update(f"{build_fingerprint(config)}:{config.strict}".encode())
    recent = time.time_ns() - RACY_NS
    racy = False
    articles: list[Found] = []
    # The theme's folders count too: an upgrade of newsgen that changes the theme is a change.
    folders = [("source", config.path("source"), config.root)]
    for part in ("templates", "static"):
        for i, folder in enumerate(search_path(config, part)):
            folders.append((f"{part}{i}", folder, links_within(config, folder)))
    for label, folder, within in folders:
        digest.update(f"\x00{label}\x00".encode())
        listed: list[str] = []
        for found in walk(folder, follow_within=within):
            if label == "source":
                articles.append(found)
            if found.stat is None:  # a problem: the stage that reads the folder reports it
                listed.append(f"{found.relative}\x00!{found.problem}\x00")
                racy = True
                continue
            info = found.stat
            listed.append(f"{found.relative}\x00{info.st_size}\x00{info.st_mtime_ns}\x00")
            racy = racy or info.st_mtime_ns > recent
        digest.update("".join(listed).encode("utf-8", "surrogateescape"))
    try:
        about = (config.root / ABOUT_FILE).stat()
        digest.update(f"\x00about\x00{about.st_size}\x00{about.st_mtime_ns}\x00".encode())
        racy = racy or about.st_mtime_ns > recent
    except OSError:
        digest.update(b"\x00no about\x00")
    # A snapshot holding a file changed moments ago is never trusted (see RACY_NS).
    snapshot = ("racy-" if racy else "") + digest.hexdigest()
    return InputScan(snapshot, articles)


def snapshot_is_trusted(snapshot: str) -> bool:
    """Whether an unchanged snapshot may stand for unchanged inputs."""
    return not snapshot.startswith("racy-")


def page_fingerprint(page: Page, site: str, template_hashes: Mapping[str, str]) -> str:
    """The fingerprint of one page's inputs."""
    return _hash(
        site,
        page.url,
        page.template,
        template_hashes.get(page.template, ""),
        _stable(page.context),
        *(article.body_digest for article in page.bodies),
    )


def template_hashes(env: jinja2.Environment, sources: Mapping[str, str]) -> dict[str, str]:
    """Template name → hash of its own source and of every template it pulls in."""
    import jinja2
    import jinja2.meta

    @functools.cache
    def closure(name: str) -> frozenset[str]:
        if name not in sources:
            return frozenset()
        try:
            referenced = jinja2.meta.find_referenced_templates(env.parse(sources[name]))
        except jinja2.TemplateError:
            return frozenset({name})
        names = {name}
        for other in referenced:
            if other is not None and other not in names:
                names |= closure(other)
        return frozenset(names)

    return {name: _hash(*(f"{n}:{sources[n]}" for n in sorted(closure(name)))) for name in sources}


def _stable(value: Any) -> str:
    """A text that is equal for equal values, in any process and under any hash seed."""
    out: list[str] = []
    _flatten(value, out)
    return "".join(out)


def _flatten(value: Any, out: list[str]) -> None:
    # Every value is tagged and sized, so two different contexts never flatten alike.
    kind = type(value)
    if kind is Article:
        out.append("A" + value.digest)
    elif kind is str:
        out.append(f"s{len(value)}:{value}")
    elif kind is tuple or kind is list:
        out.append(f"[{len(value)}")
        for item in value:
            if type(item) is Article:
                out.append("A" + item.digest)
            else:
                _flatten(item, out)
    elif kind is dict:
        out.append(f"{{{len(value)}")
        for key in sorted(value):
            _flatten(key, out)
            _flatten(value[key], out)
    elif value is None or kind is int or kind is bool or kind is float:
        out.append(f"v{value!r};")
    elif isinstance(value, dt.date):
        out.append(f"d{value.isoformat()};")
    else:
        raise TypeError(f"a page context holds a value that cannot be fingerprinted: {value!r}")


def _hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


@functools.cache
def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"
