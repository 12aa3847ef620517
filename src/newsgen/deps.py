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
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta

from newsgen.config import Config
from newsgen.model import Article, Page


def build_fingerprint(config: Config, templates: Mapping[str, str]) -> str:
    """What every page depends on: settings, and the versions of the code that renders."""
    versions = [f"{name}={_version(name)}" for name in ("jinja2", "markdown", "babel", "nh3")]
    return _hash(config.fingerprint(), _code_hash(), *versions)


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

    @functools.cache
    def closure(name: str) -> frozenset[str]:
        if name not in sources:
            return frozenset()
        try:
            source = env.loader.get_source(env, name)[0] if env.loader else ""
            referenced = jinja2.meta.find_referenced_templates(env.parse(source))
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
    if isinstance(value, Article):
        return f"A{value.digest}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_stable(k)}:{_stable(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_stable(v) for v in value) + "]"
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return repr(value)
    raise TypeError(f"a page context holds a value that cannot be fingerprinted: {value!r}")


def _hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


@functools.cache
def _code_hash() -> str:
    """newsgen's own source, so that a changed newsgen rebuilds every page."""
    package = Path(__file__).parent
    return _hash(*(path.read_text(encoding="utf-8") for path in sorted(package.glob("*.py"))))


@functools.cache
def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"
