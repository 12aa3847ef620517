"""Publishers and their web sites, and the sites that keep copies of others' pages.

Both are data (``newsgen/data/outlets.yaml``, ``newsgen/data/archives.yaml``): the importer
reads them to tell who published a page, and loading reads them to check that an address
given as a publisher's own page is on that publisher's site.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

import yaml


@dataclass(frozen=True)
class Outlet:
    """A publisher: its name in drafts, how pages write it, its web sites."""

    name: str
    names: tuple[str, ...]
    domains: tuple[str, ...]


def _table(name: str) -> object:
    return yaml.safe_load(resources.files("newsgen").joinpath(f"data/{name}").read_text("utf-8"))


@functools.cache
def outlets() -> tuple[Outlet, ...]:
    """The table of outlets, read once."""
    rows = _table("outlets.yaml")
    assert isinstance(rows, list)
    return tuple(
        Outlet(str(row["name"]), tuple(str(n) for n in row["names"]), tuple(row["domains"]))
        for row in rows
    )


@functools.cache
def _by_name() -> dict[str, Outlet]:
    table: dict[str, Outlet] = {}
    for outlet in outlets():
        for name in (outlet.name, *outlet.names):
            table.setdefault(name.casefold(), outlet)
    return table


def outlet_named(name: str) -> Outlet | None:
    """The outlet a name stands for ('Anadolu Ajansı' → Anadolu Agency), if the table has it."""
    return _by_name().get(name.strip().casefold())


def host_of(url: str) -> str:
    """An address's host name, lower case, without 'www.'."""
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def _on(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def outlet_of_url(url: str) -> Outlet | None:
    """The outlet whose site an address is on, if the table has it: the one with the
    longest matching domain (de.rt.com is RT DE's, whatever the table's order)."""
    host = host_of(url)
    found = [
        (len(domain), outlet)
        for outlet in outlets()
        for domain in outlet.domains
        if host == domain or host.endswith("." + domain)
    ]
    return max(found, key=lambda pair: pair[0])[1] if found else None


@functools.cache
def _archives() -> tuple[str, ...]:
    rows = _table("archives.yaml")
    assert isinstance(rows, list)
    return tuple(str(domain) for domain in rows)


def is_web_archive(url: str) -> bool:
    """Whether an address is on a site that keeps copies of other sites' pages."""
    return _on(host_of(url), _archives())
