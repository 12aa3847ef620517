"""The build, as the pipeline reads: load → enrich → plan → render → write."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from markupsafe import Markup

from newsgen.config import Config
from newsgen.deps import build_fingerprint, page_fingerprint, template_hashes
from newsgen.enrich import Archive, build_archive
from newsgen.errors import BuildWarning, ContentError, NewsgenError, raise_if_any
from newsgen.load import load_articles, read_body
from newsgen.model import Article, Page
from newsgen.pages import plan_pages, static_files
from newsgen.render import make_environment, render_markdown, render_page
from newsgen.write import Staging, check_output_folder, recover


@dataclass
class BuildReport:
    """What a build did, for the summary line and for tests."""

    articles: int = 0
    pages: int = 0
    rendered: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[BuildWarning] = field(default_factory=list)


def build(config: Config, *, full: bool = False, force: bool = False) -> BuildReport:
    """Build the site into the output folder, or raise BuildFailed and leave it untouched."""
    started = time.perf_counter()
    output = config.path("output")
    check_output_folder(config, force)
    recover(output)

    # Load: every article file → a record; every error in every file is reported together.
    archive, warnings = load_archive(config)

    # Plan: which pages exist, and what each one is made from.
    pages = plan_pages(archive, config)

    # Render and stage: pages whose inputs changed are rendered; the rest are kept.
    staging = Staging(output)
    try:
        rendered = stage_pages(pages, config, staging, full=full)
        for url, path in static_files(config):
            staging.put(url, path.read_bytes())
        # Write: swap the staged build in at once, or write nothing when nothing changed.
        result = staging.publish()
    finally:
        staging.discard()

    return BuildReport(
        articles=len(archive.articles),
        pages=len(pages),
        rendered=rendered,
        written=result.written,
        removed=result.removed,
        seconds=time.perf_counter() - started,
        warnings=warnings,
    )


def load_archive(config: Config) -> tuple[Archive, list[BuildWarning]]:
    """Load and check every article, then build the archive's indexes."""
    articles, errors, warnings = load_articles(config)
    if config.strict:
        errors.extend(ContentError(w.message, w.path, w.line) for w in warnings)
        warnings = []
    raise_if_any(errors, warnings)
    return build_archive(articles), warnings


def stage_pages(pages: list[Page], config: Config, staging: Staging, *, full: bool) -> int:
    """Render each page whose fingerprint changed into the staging area; return how many."""
    rendered = 0
    for page, fingerprint, data in render_changed(pages, config, staging.previous, full=full):
        if data is None:
            staging.keep(page.url)
        else:
            staging.put(page.url, data, fingerprint)
            rendered += 1
    return rendered


def render_changed(
    pages: list[Page],
    config: Config,
    previous: Callable[[str], object],
    *,
    full: bool,
) -> Iterator[tuple[Page, str, bytes | None]]:
    """Each page with its fingerprint and bytes; bytes are None where the last build's stand."""
    env = make_environment(config)
    sources = (
        {name: env.loader.get_source(env, name)[0] for name in env.list_templates()}
        if env.loader
        else {}
    )
    hashes = template_hashes(env, sources)
    site = build_fingerprint(config, hashes)
    body = _body_renderer(config)
    errors: list[NewsgenError] = []
    for page in pages:
        fingerprint = page_fingerprint(page, site, hashes)
        entry = previous(page.url)
        if not full and entry is not None and getattr(entry, "fingerprint", None) == fingerprint:
            yield page, fingerprint, None
            continue
        try:
            yield page, fingerprint, render_page(env, page, body)
        except ContentError as exc:
            errors.append(exc)
    raise_if_any(errors)


def render_all(config: Config) -> dict[str, bytes]:
    """Every page of the site in memory, written nowhere: for `check` and for tests."""
    archive, _ = load_archive(config)
    pages = plan_pages(archive, config)
    files = {
        page.url: data or b""
        for page, _, data in render_changed(pages, config, lambda _: None, full=True)
    }
    for url, path in static_files(config):
        files[url] = path.read_bytes()
    return files


def _body_renderer(config: Config) -> Callable[[Article], Markup]:
    def body(article: Article) -> Markup:
        return render_markdown(read_body(article), config.allow_raw_html)

    return body
