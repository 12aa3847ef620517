"""Incremental builds: a fingerprint of everything a page's bytes depend on.

A page's bytes are a function of its template (and the templates that one
extends, includes or imports), the site settings, the page's context, and the
bodies it renders. Articles enter the fingerprint by the hash of their file, so
a page is made again exactly when something it shows has changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import time
from collections.abc import Mapping
from importlib import metadata
from typing import TYPE_CHECKING, Any

from newsgen.cache import RACY_NS, code_fingerprint
from newsgen.config import Config
from newsgen.model import Article, Page

if TYPE_CHECKING:
    import jinja2


def build_fingerprint(config: Config) -> str:
    """What every page and every cached value depends on: settings, our code, library versions."""
    return _hash(config.fingerprint(), code_fingerprint(), library_versions())


def library_versions() -> str:
    """The versions of the libraries whose output lands in pages."""
    return ",".join(f"{name}={_version(name)}" for name in ("jinja2", "markdown", "babel", "nh3"))


def input_snapshot(config: Config) -> str:
    """A hash of every input's name, size and modification time, and of the settings and code.

    Equal snapshots mean nothing a build reads has changed, so the whole build can be
    skipped without loading a single article. Like make, it trusts modification times;
    `build --full` is the way round a file changed behind them.
    """
    digest = hashlib.sha256()
    digest.update(f"{build_fingerprint(config)}:{config.strict}".encode())
    recent = time.time_ns() - RACY_NS
    racy = False
    for name in ("source", "templates", "static"):
        folder = config.path(name)
        digest.update(f"\x00{name}\x00".encode())
        for relative, stat in sorted(_stats(str(folder), "")):
            digest.update(f"{relative}\x00{stat.st_size}\x00{stat.st_mtime_ns}\x00".encode())
            racy = racy or stat.st_mtime_ns > recent
    # A snapshot holding a file changed moments ago is never trusted (see RACY_NS).
    return ("racy-" if racy else "") + digest.hexdigest()


def snapshot_is_trusted(snapshot: str) -> bool:
    """Whether an unchanged snapshot may stand for unchanged inputs."""
    return not snapshot.startswith("racy-")


def _stats(folder: str, prefix: str) -> list[tuple[str, os.stat_result]]:
    found: list[tuple[str, os.stat_result]] = []
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return found
    for entry in entries:
        relative = f"{prefix}{entry.name}"
        try:
            if entry.is_dir():
                found.extend(_stats(entry.path, relative + "/"))
            else:
                found.append((relative, entry.stat()))
        except OSError:
            found.append((relative, os.stat_result((0,) * 10)))  # a broken link: the loader says so
    return found


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
