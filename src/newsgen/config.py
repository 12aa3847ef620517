"""Site settings: sane defaults, optionally overridden by ``newsgen.yaml`` in the project folder."""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from newsgen.errors import BuildWarning, ConfigError, NewsgenError, raise_if_any
from newsgen.files import look_at
from newsgen.urls import DEFAULT_PERMALINK, check_permalink

CONFIG_FILE = "newsgen.yaml"

# Settings that decide where things are read and written, or how strictly, but never a
# page's bytes: a change to them keeps every cached page and body.
_NOT_IN_PAGES = {"shapes_output": False}


def shapes_output(option: Field[Any]) -> bool:
    """Whether a setting can change a page's bytes."""
    return bool(option.metadata.get("shapes_output", True))


ABOUT_FILE = "about.md"
"""The project's optional page about the archive: front matter with a title, then Markdown."""


@dataclass(frozen=True)
class Config:
    """Everything a build needs to know besides the articles themselves."""

    root: Path = field(metadata=_NOT_IN_PAGES)
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
    timezone: str = "UTC"
    """Where a time without an offset was told (an IANA name: Europe/Berlin, Asia/Tashkent):
    'date: 2021-10-14 09:30' is 09:30 there, and feeds, schema.org data and the open data
    give it with that place's offset from UTC on that day; a feed gives a date alone as
    midnight there."""
    source: Path = field(metadata=_NOT_IN_PAGES, default=Path("articles"))
    """The folder of article files."""
    output: Path = field(metadata=_NOT_IN_PAGES, default=Path("_site"))
    """The folder the site is written to."""
    templates: Path = field(metadata=_NOT_IN_PAGES, default=Path("templates"))
    """The project's own Jinja templates, if any: each replaces the default theme's
    template of the same name (`newsgen theme copy NAME` starts one)."""
    static: Path = field(metadata=_NOT_IN_PAGES, default=Path("static"))
    """The project's own files to copy into the site as they are (images, a stylesheet),
    if any: each replaces the default theme's file of the same name."""
    cache: Path = field(metadata=_NOT_IN_PAGES, default=Path(".newsgen-cache"))
    """What one build keeps for the next: the build state (parsed records, fingerprints),
    rendered Markdown and the search index's shards."""
    allow_raw_html: bool = False
    """Trust raw HTML in articles. Off: it is sanitized, so no script reaches a page."""
    strict: bool = field(default=False, metadata=_NOT_IN_PAGES)
    """Turn warnings (unknown fields, say) into errors."""
    feed_size: int = 50
    """How many of the newest articles the site-wide feed holds."""
    latest_count: int = 20
    """How many of the newest articles the index page lists."""
    permalink: str = DEFAULT_PERMALINK
    """Where article pages go: a path pattern of {year}, {month}, {day}, {slug} and
    {language}. With the date in it, articles of different days may share a headline,
    and no folder grows past one month's articles."""
    country_page_size: int = 100
    """A country or topic with more articles than this gets a page per year; its own page
    then lists the newest (latest_count) and links to the years."""

    def path(self, name: str) -> Path:
        """A configured folder as an absolute path."""
        value: Path = getattr(self, name)
        return value if value.is_absolute() else self.root / value


# Each setting's type, from the default it has (root has none: it is not a setting).
_OPTION_TYPES: dict[str, type] = {
    f.name: type(f.default) if not isinstance(f.default, Path) else Path
    for f in fields(Config)
    if f.default is not MISSING
}


def load_config(
    root: Path, overrides: dict[str, Any] | None = None
) -> tuple[Config, list[BuildWarning]]:
    """Read newsgen.yaml in root if there is one, then apply the overrides."""
    root = root.resolve()
    config_path = root / CONFIG_FILE
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}  # where each setting stands in the file, for messages
    found = look_at(config_path)
    if found is not None and found.kind == "problem":  # never a silent fall back to defaults
        raise ConfigError(f"cannot read the settings: {found.problem}", config_path)
    unknown: list[str] = []
    # Every problem of the file is collected, then reported together, as an article's are;
    # a setting of the wrong kind keeps its default for the checks after it.
    errors: list[NewsgenError] = []
    if found is not None:
        values, unknown, lines, errors = _read_config_file(config_path)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = replace(Config(root=root), **values)
    known = ", ".join(sorted(_OPTION_TYPES))
    warnings: list[BuildWarning] = []
    if config.strict:  # a misspelt setting would otherwise pass a strict build unnoticed
        errors.extend(
            ConfigError(f"unknown setting '{key}' (known: {known})", config_path, lines.get(key))
            for key in unknown
        )
    else:
        warnings.extend(
            BuildWarning(
                f"unknown setting '{key}' is ignored (known: {known})", config_path, lines.get(key)
            )
            for key in unknown
        )
    for name, check in (("language", _check_language), ("timezone", _check_timezone)):
        try:
            check(config, config_path, lines.get(name))
        except ConfigError as error:
            errors.append(error)
    problem = check_permalink(config.permalink)
    if problem:
        hint = f"the default is {DEFAULT_PERMALINK}"
        errors.append(ConfigError(problem, config_path, lines.get("permalink"), hint))
    for name in _COUNTS:
        if (count := getattr(config, name)) < 1:
            message = f"'{name}' must be 1 or more, not {count}"
            errors.append(ConfigError(message, config_path, lines.get(name)))
    if config.base_url:
        problem = _base_url_problem(config.base_url)
        if problem:
            hint = "for example https://example.org/archive/"
            message = f"'base_url' {problem}: {config.base_url}"
            errors.append(ConfigError(message, config_path, lines.get("base_url"), hint))
        elif not config.base_url.endswith("/"):
            config = replace(config, base_url=config.base_url + "/")
    raise_if_any(errors, warnings)
    return config, warnings


# A host name of letters, digits and hyphens (or an IPv4 address, or an IPv6 one in brackets).
_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)


def _ip_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


_COUNTS = ("feed_size", "latest_count", "country_page_size")
"""Settings that count articles: none of them can be zero or fewer."""


def _base_url_problem(url: str) -> str | None:
    """What keeps a text from being the address a site is published at, if anything."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # a port that is not a number raises here
    except ValueError:
        return "is not an address"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be a whole address, starting http:// or https://"
    if any(c.isspace() or not c.isprintable() for c in url):
        return "must not hold spaces or control characters (write a space in a path as %20)"
    try:  # a name in another script is written in ASCII on the wire (пример.рф: xn--…)
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    # A name's last label is never all digits: 1.2.3.4.5.6 is neither a name nor an address.
    named = _HOST.fullmatch(host) and not host.rsplit(".", 1)[-1].isdigit()
    if not (named or _ip_address(host)):
        return f"names no host a browser can reach ({parts.hostname})"
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password: it is published on every page"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "must end at its path, with no '?' or '#' part"
    return None


def _read_config_file(
    path: Path,
) -> tuple[dict[str, Any], list[str], dict[str, int], list[NewsgenError]]:
    """The settings a file gives, the names it gives that are no setting, each one's line,
    and the settings of the wrong kind."""
    from newsgen.frontmatter import parse_settings

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("cannot read the settings: the file is not UTF-8", path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the settings: {exc.strerror}", path) from None
    data, located = parse_settings(text, path)
    if data is None:
        return {}, [], {}, []
    if not isinstance(data, dict):
        raise ConfigError("the settings must be a mapping of 'name: value' lines", path, 1)
    values: dict[str, Any] = {}
    unknown: list[str] = []
    errors: list[NewsgenError] = []
    for key, value in data.items():
        kind = _OPTION_TYPES.get(str(key))
        line = located.lines.get(str(key))
        if kind is None:
            unknown.append(str(key))  # a warning, or an error in a strict build
            continue
        if kind is Path and isinstance(value, str):
            value = Path(value)
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            errors.append(ConfigError(f"'{key}' must be {_KINDS[kind]}, not {shown}", path, line))
            continue
        values[str(key)] = value
    return values, unknown, dict(located.lines), errors


_KINDS = {str: "text", int: "a whole number", bool: "true or false", Path: "a folder's path"}
"""Each type of setting, as a message names it."""


def _check_timezone(config: Config, config_path: Path, line: int | None) -> None:
    if time_zone(config.timezone) is None:
        import difflib

        zones = sorted(_iana_zones())
        folded = {zone.casefold(): zone for zone in zones}
        near = folded.get(config.timezone.casefold()) or next(
            iter(difflib.get_close_matches(config.timezone, zones, n=1, cutoff=0.8)), None
        )
        hint = (
            f"did you mean {near}?"
            if near
            else "give an IANA name, such as Europe/Berlin, Asia/Tashkent or UTC"
        )
        raise ConfigError(f"unknown time zone '{config.timezone}'", config_path, line, hint)


@functools.cache
def time_zone(name: str) -> datetime.tzinfo | None:
    """The time zone of an IANA name, or None when there is none of that name.

    Read from the tzdata package, never the system's zone files: those differ between
    machines (another release, 'localtime' being the machine's own zone), and the same
    inputs must give the same site anywhere. Its version is in every page's fingerprint.
    """
    from importlib import resources
    from zoneinfo import ZoneInfo

    if name not in _iana_zones():
        return None
    with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as data:
        return ZoneInfo.from_file(data, key=name)


@functools.cache
def _iana_zones() -> frozenset[str]:
    """The names of the IANA zones tzdata holds; not 'Factory', which means "unknown"."""
    from importlib import resources

    names = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return frozenset(names) - {"Factory"}


def local_time(moment: datetime.datetime, zone_name: str) -> datetime.datetime:
    """A time without an offset, given the named zone's offset on its day.

    Summer time included; in whole minutes, as RFC 3339 writes offsets: local mean time
    before standard zones had offsets of seconds (Tashkent's was +04:37:11).
    """
    zone = time_zone(zone_name)
    offset = moment.replace(tzinfo=zone).utcoffset() if zone is not None else None
    minutes = round(offset.total_seconds() / 60) if offset is not None else 0
    return moment.replace(tzinfo=datetime.timezone(datetime.timedelta(minutes=minutes)))


def clock_change(moment: datetime.datetime, zone_name: str) -> str | None:
    """Whether the clocks skipped a time, or passed it twice, in the named zone: said so.

    None for a time that happened once there, as most do; else what a change of summer
    time did to it.
    """
    zone = time_zone(zone_name)
    if zone is None:
        return None
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    back = first.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None)
    if back != moment.replace(fold=0):
        return f"the clocks skipped {moment:%H:%M} that day in {zone_name}"
    return f"{moment:%H:%M} came twice that day in {zone_name} (the earlier is taken)"


def _check_language(config: Config, config_path: Path, line: int | None) -> None:
    from newsgen.locales import UnknownLanguage, check_language

    try:
        check_language(config.language)
    except UnknownLanguage as exc:
        raise ConfigError(
            f"unknown site language '{config.language}'", config_path, line, exc.hint
        ) from None
