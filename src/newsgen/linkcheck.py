"""Every internal ``href``, ``src`` and ``#fragment`` of a site must resolve, and be relative;
no page may give one id to two elements (a link to it would find only the first)."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsgen.files import walk

# Links that leave the site; data: carries a page's own downloads (an article's citation).
_SCHEMES = {"http", "https", "mailto", "data"}

_LINK_ATTRIBUTES = {"href", "src"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[int, str]] = []
        self.ids: set[str] = set()
        self.repeated: list[tuple[int, str]] = []
        """Ids given again, with the line of each repeat."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in _LINK_ATTRIBUTES:
                self.links.append((self.getpos()[0], value))
            elif name == "id" or (name == "name" and tag == "a"):
                if name == "id" and value in self.ids:
                    self.repeated.append((self.getpos()[0], value))
                self.ids.add(value)


def _scan(data: bytes) -> _Collector:
    collector = _Collector()
    collector.feed(data.decode("utf-8", errors="replace"))
    collector.close()
    return collector


def check_links(files: Mapping[str, bytes]) -> list[str]:
    """Broken or absolute links in a site given as path → bytes, as 'page:line: problem'."""
    scanned = {url: _scan(data) for url, data in files.items() if url.endswith(".html")}
    problems: list[str] = []
    for url, page in sorted(scanned.items()):
        for line, link in page.links:
            problem = _problem(url, link, files, scanned)
            if problem:
                problems.append(f"{url}:{line}: {problem}")
        for line, name in page.repeated:
            problems.append(f"{url}:{line}: a second element has the id '{name}'")
    return problems


def check_folder(folder: Path) -> list[str]:
    """Broken or absolute links in a built site on disk."""
    files = {
        found.relative: Path(found.path).read_bytes() if found.relative.endswith(".html") else b""
        for found in walk(folder, hidden=True)
        if found.kind == "file" and not found.relative.startswith(".git/")
    }
    return check_links(files)


def _problem(
    url: str, link: str, files: Mapping[str, bytes], scanned: Mapping[str, _Collector]
) -> str | None:
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        return None if parts.scheme in _SCHEMES else f"unexpected link {link!r}"
    if link.startswith("/"):
        return f"link {link!r} starts with '/', so it breaks from file:// and sub-folders"
    target = url
    if parts.path:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(url), unquote(parts.path)))
        if target.startswith("../"):
            return f"link {link!r} leaves the site"
        if target not in files:
            return f"link {link!r} points to {target}, which does not exist"
    if parts.fragment and target in scanned and unquote(parts.fragment) not in scanned[target].ids:
        return f"link {link!r}: {target} has no element with id '{parts.fragment}'"
    return None
