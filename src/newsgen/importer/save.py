"""Writing a new article file: checked as the build loads it, never over another file or slug."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsgen.config import Config
from newsgen.errors import (
    BuildFailed,
    BuildWarning,
    ContentError,
    NewsgenError,
    UsageError,
    file_in_the_way,
    shown_path,
)
from newsgen.frontmatter import parse_front_matter, split_front_matter
from newsgen.urls import make_slug

# Slugs longer than this make unwieldy file names; the loader's own limit is higher.
_NAME_SLUG_LENGTH = 60
# How many articles may share one headline (and day) before `add` gives up numbering them.
_MAX_NUMBER = 1000


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
    options: Mapping[str, str] | None = None,
) -> Saved:
    """Write a new article into the articles folder, after checking that it loads.

    `render(slug)` gives the file's text, with a `slug:` field when one is passed.
    With `unique`, a file name or page address already taken gets a number ('…-2');
    without it, either is refused. Nothing is written when the article has errors.
    `options` maps a field to the command-line option its value came from: an error in
    that field is a UsageError naming the option, since no file holds the value.
    """
    from newsgen.load import parse_article

    folder = config.path("source")
    blocker = file_in_the_way(folder)
    if blocker is not None:
        where = "is a file" if blocker == folder else "cannot be made: this is a file"
        raise ContentError(
            f"the articles folder {where}, not a folder; nothing was written", blocker
        )
    taken = _taken_pages(config)
    stem, slug = name.removesuffix(".md"), make_slug(title, language)
    for number in range(1, _MAX_NUMBER):
        suffix = "" if number == 1 else f"-{number}"
        path = folder / f"{stem}{suffix}.md"
        if path.exists() and not unique:
            raise ContentError("already exists; nothing was written.", path)
        if path.exists():
            continue
        given = f"{slug}{suffix}" if suffix else None
        text = render(given)
        article, errors, warnings = parse_article(path, text, config)
        if errors or article is None:
            errors = errors or [ContentError("the draft does not load", path)]
            # Its warnings are not shown: they are about a file that was not written.
            raise BuildFailed(_named_by_option(errors, path, text, options or {}))
        owner = taken.get(article.url.casefold())
        if owner is not None and not unique:
            message = f"{shown_path(owner, config.root)} already makes the page {article.url}"
            raise ContentError(message + "; nothing was written.", path, hint="give it a 'slug:'")
        if owner is None:
            _write(path, text)
            return Saved(path, tuple(warnings), given)
    raise ContentError("too many articles of this name; nothing was written.", folder / name)


def _named_by_option(
    errors: list[NewsgenError], path: Path, text: str, options: Mapping[str, str]
) -> list[NewsgenError]:
    """Errors about the draft's fields, each one in a field an option gave named by it."""
    try:
        front, _, _ = split_front_matter(text, path)
        _, located = parse_front_matter(front, path)
    except ContentError:
        return errors  # the draft's errors are about its text as a whole, not a field
    field_at = {line: key for key, line in located.lines.items()}
    for key, items in located.items.items():
        field_at.update((line, key) for line, _ in items)
    named: list[NewsgenError] = []
    for error in errors:
        option = options.get(field_at.get(error.line or 0, "")) if error.path == path else None
        named.append(UsageError(f"{option}: {error.message}", hint=error.hint) if option else error)
    return named


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as stream:  # "x": fails rather than overwrite
            stream.write(text)
    except FileExistsError:
        raise ContentError("already exists; nothing was written.", path) from None
    except OSError as exc:
        raise ContentError(f"cannot write it: {exc.strerror}", path) from None


def _taken_pages(config: Config) -> dict[str, Path]:
    """The pages the articles already in the folder make, folded as case-blind systems do."""
    from newsgen.load import load_articles

    articles, _, _ = load_articles(config)  # a broken file makes no page to clash with
    return {article.url.casefold(): article.path for article in articles}
