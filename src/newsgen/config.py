"""Site settings: sane defaults, optionally overridden by ``newsgen.yaml`` in the project folder."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from newsgen.errors import BuildWarning, ConfigError

CONFIG_FILE = "newsgen.yaml"


@dataclass(frozen=True)
class Config:
    """Everything a build needs to know besides the articles themselves."""

    root: Path
    """The project folder; relative paths below are taken from here."""
    title: str = "News Archive"
    """The site's name, shown in every page header and in the feeds."""
    description: str = "An archive of news articles."
    """One sentence about the archive, for the index page and the feeds."""
    base_url: str = ""
    """Where the site is published, e.g. https://example.org/archive/. Optional: links stay
    relative either way; with it, feed links are absolute, pages name their canonical
    address, and sitemap.xml is written (a sitemap must list full addresses)."""
    language: str = "en"
    """The site's language (BCP 47): page chrome, country names, listing dates."""
    source: Path = field(default=Path("articles"))
    """The folder of article files."""
    output: Path = field(default=Path("_site"))
    """The folder the site is written to."""
    templates: Path = field(default=Path("templates"))
    """The Jinja templates."""
    static: Path = field(default=Path("static"))
    """Files copied into the site as they are (stylesheet, images)."""
    cache: Path = field(default=Path(".newsgen-cache"))
    """Parsed records and rendered Markdown, kept between builds."""
    allow_raw_html: bool = False
    """Trust raw HTML in articles. Off: it is sanitized, so no script reaches a page."""
    strict: bool = False
    """Turn warnings (unknown fields, say) into errors."""
    feed_size: int = 50
    """How many of the newest articles the site-wide feed holds."""
    latest_count: int = 20
    """How many of the newest articles the index page lists."""
    country_page_size: int = 100
    """A country with more articles than this gets a page per year; its own page then
    lists the newest (latest_count) and links to the years."""

    def path(self, name: str) -> Path:
        """A configured folder as an absolute path."""
        value: Path = getattr(self, name)
        return value if value.is_absolute() else self.root / value

    def fingerprint(self) -> str:
        """A hash of every setting that can change a page's bytes."""
        data = asdict(self)
        for name in ("root", "source", "output", "templates", "static", "cache", "strict"):
            data.pop(name)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


_OPTION_TYPES: dict[str, type] = {
    f.name: (Path if "Path" in str(f.type) else {"str": str, "bool": bool, "int": int}[str(f.type)])
    for f in fields(Config)
    if f.name != "root"
}


def load_config(
    root: Path, overrides: dict[str, Any] | None = None
) -> tuple[Config, list[BuildWarning]]:
    """Read newsgen.yaml in root if there is one, then apply the overrides."""
    root = root.resolve()
    config_path = root / CONFIG_FILE
    values: dict[str, Any] = {}
    warnings: list[BuildWarning] = []
    if config_path.is_file():
        values, warnings = _read_config_file(config_path)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = replace(Config(root=root), **values)
    _check_language(config, config_path)
    if config.base_url and not config.base_url.endswith("/"):
        config = replace(config, base_url=config.base_url + "/")
    return config, warnings


def _read_config_file(path: Path) -> tuple[dict[str, Any], list[BuildWarning]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise ConfigError(
            f"cannot read the settings: {exc}".splitlines()[0],
            path,
            None if line is None else line + 1,
        ) from None
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        raise ConfigError("the settings must be a mapping of 'name: value' lines", path, 1)
    values: dict[str, Any] = {}
    warnings: list[BuildWarning] = []
    for key, value in data.items():
        kind = _OPTION_TYPES.get(str(key))
        if kind is None:
            known = ", ".join(sorted(_OPTION_TYPES))
            warnings.append(
                BuildWarning(f"unknown setting '{key}' is ignored (known: {known})", path)
            )
            continue
        if kind is Path and isinstance(value, str):
            value = Path(value)
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"'{key}' must be {kind.__name__}, not {value!r}", path)
        values[str(key)] = value
    return values, warnings


def _check_language(config: Config, config_path: Path) -> None:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(config.language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise ConfigError(f"unknown site language '{config.language}'", config_path) from None
