"""Writing a new article file: checked as the build loads it, never over another file or slug."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsgen.config import Config
from newsgen.errors import BuildFailed, BuildWarning, ContentError, NewsgenError
from newsgen.urls import make_slug

# Slugs longer than this make unwieldy file names; the loader's own limit is higher.
_NAME_SLUG_LENGTH = 60


@dataclass(frozen=True)
class Saved:
    """An article file that was written, what its author must still do, and any renaming."""

    path: Path
    warnings: tuple[BuildWarning, ...]
    slug: str | None = None
    """The slug given to the article because its title's own was taken, if it was."""


def draft_file_name(title: str, date: dt.date, language: str) -> str:
    """A new article's file name: '2025-01-21-short-ascii-slug.md'."""
    slug = make_slug(title, language)[:_NAME_SLUG_LENGTH].rstrip("-") or "article"
    return f"{date.isoformat()}-{slug}.md"


def new_article(
    title: str,
    date: dt.date,
    source: str | None,
    language: str,
    countries: Sequence[str],
    tags: Sequence[str],
    story: str | None,
) -> str:
    """A front-matter skeleton for an article written by hand; unknowns are marked TODO."""
    from newsgen.importer.draft import yaml_value

    lines = ["---", f"title: {yaml_value(title)}", f"date: {date.isoformat()}"]
    lines.append(f"source: {yaml_value(source)}" if source else "source: TODO  # who published it?")
    lines.append(f"language: {language}")
    if countries:
        lines.append(f"countries: [{', '.join(yaml_value(c) for c in countries)}]")
    else:
        lines.append("countries: []  # TODO: which countries does it concern?")
    if tags:
        lines.append(f"tags: [{', '.join(yaml_value(t) for t in tags)}]")
    else:
        lines.append("tags: []  # TODO: topics")
    lines.append("# source_url: https://…  (where it was published)")
    lines.append("# summary: one paragraph for listings and feeds (default: the first paragraph)")
    if story:
        lines.append(f"story: {yaml_value(story)}")
    lines.append("---")
    return "\n".join(lines) + "\nTODO: the article's text, in Markdown.\n"


def save_article(
    config: Config,
    name: str,
    render: Callable[[str | None], str],
    title: str,
    language: str,
    unique: bool,
) -> Saved:
    """Write a new article into the articles folder, after checking that it loads.

    `render(slug)` gives the file's text, with a `slug:` field when one is passed.
    With `unique`, a file name or slug already taken gets a number ('…-2'); without
    it, a taken file name is refused. Nothing is written when the article has errors.
    """
    from newsgen.load import parse_article

    folder = config.path("source")
    path = folder / name
    slug = None
    if unique:
        path, slug = _unused(folder, name, make_slug(title, language), _taken_slugs(config))
    elif path.exists():
        raise ContentError("already exists; nothing was written.", path)
    text = render(slug)
    article, errors, warnings = parse_article(path, text, config)
    if errors or article is None:
        raise BuildFailed(errors or [ContentError("the draft does not load", path)], warnings)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as stream:  # "x": fails rather than overwrite
            stream.write(text)
    except FileExistsError:
        raise ContentError("already exists; nothing was written.", path) from None
    except OSError as exc:
        raise ContentError(f"cannot write it: {exc.strerror}", path) from None
    return Saved(path, tuple(warnings), slug)


def _unused(folder: Path, name: str, slug: str, taken: set[str]) -> tuple[Path, str | None]:
    """A file name and a slug no other article has: the given ones, or numbered ones."""
    stem = name.removesuffix(".md")
    for number in range(1, 1000):
        suffix = "" if number == 1 else f"-{number}"
        candidate = folder / f"{stem}{suffix}.md"
        new_slug = f"{slug}{suffix}" if slug else None
        if not candidate.exists() and (new_slug or "").casefold() not in taken:
            return candidate, (new_slug if suffix else None)
    raise ContentError("too many articles of this name; nothing was written", folder / name)


def _taken_slugs(config: Config) -> set[str]:
    """The slugs of the articles already in the folder (folded for case-blind file systems)."""
    from newsgen.frontmatter import parse_front_matter, read_text, split_front_matter
    from newsgen.load import find_article_files

    taken: set[str] = set()
    files, _ = find_article_files(config)
    for path in files:
        try:
            front, _, _ = split_front_matter(read_text(path), path)
            data, _ = parse_front_matter(front, path)
        except (NewsgenError, OSError, UnicodeDecodeError):
            continue  # the build reports a broken file; it has no slug to clash with
        if not isinstance(data, dict):
            continue
        title, language = str(data.get("title", "")), str(data.get("language") or config.language)
        taken.add(str(data.get("slug") or make_slug(title, language)).casefold())
    return taken
