"""The build, as the pipeline reads: load → enrich → plan → render → write.

The stages are imported inside the functions that run them, after the check for
unchanged inputs: a build with nothing to do should not pay to load Jinja, Babel,
PyYAML and the rest (about 0.15 s of a 0.3 s no-change build of 10,000 articles).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from newsgen import urls
from newsgen.cache import (
    BuildInfo,
    HtmlCache,
    check_cache_folder,
    prune_html_cache,
    read_build_info,
    save_build_info,
)
from newsgen.config import Config
from newsgen.deps import (
    InputScan,
    build_fingerprint,
    page_fingerprint,
    scan_inputs,
    snapshot_is_trusted,
    template_hashes,
)
from newsgen.errors import (
    BuildWarning,
    ContentError,
    Interrupted,
    NewsgenError,
    raise_if_any,
)
from newsgen.files import Found
from newsgen.forked import can_fork, die_with_parent, forked_map
from newsgen.model import Article, Document, Notes, Page
from newsgen.state import BuildState, PageChanges, open_state
from newsgen.write import (
    Entry,
    Manifest,
    SiteStatus,
    Staging,
    check_output_folder,
    lock_output,
    real_output,
    recover,
    site_stamp,
    site_status,
)

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

    from newsgen.enrich import Archive
    from newsgen.render import ShippedTemplates
    from newsgen.search import ShardCache


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


def build(
    config: Config,
    *,
    full: bool = False,
    force: bool = False,
    workers: int | None = None,
    renderer: Renderer | None = None,
    wait: bool = True,
    on_wait: Callable[[BuildWarning], None] | None = None,
    state: BuildState | None = None,
) -> BuildReport:
    """Build the site into the output folder, or raise BuildFailed and leave it untouched.

    renderer: where pages render (default: this machine, on `workers` processes).
    state: the build state kept from an earlier build in this process (the dev server's);
    by default it is read from the cache folder, and closed after the build.

    Builds of one output folder run one at a time: another build's lock is waited for
    (on_wait hears of it once) or, when not wait, is an OutputError.
    """
    started = time.perf_counter()
    check_output_folder(config, force)
    check_cache_folder(config)
    output = real_output(config.path("output"))  # through a symlinked folder, to its target
    collector = Collector(long_lived=state is not None)  # a kept state: the dev server
    with lock_output(output, wait=wait, on_wait=on_wait), collector:
        # Under the lock, anything a build left beside the folder is a dead build's.
        recovered = recover(output)
        report = _build_locked(
            config, output, full, renderer or LocalPool(workers), state, collector
        )
    report.warnings[:0] = recovered
    report.seconds = time.perf_counter() - started
    return report


class Collector:
    """Python's cycle collector, paused while a build loads and plans.

    Loading and planning make millions of objects (records, indexes, pages, manifest
    entries) and no garbage cycles, yet each time the young objects outnumber a quarter
    of the old the collector traverses them all: 14 full collections, 3.4 s of a 17.4 s
    rebuild of 100,000 articles. Once planning is done, what it made is frozen (kept out
    of every collection until the build ends) and the collector runs again, for the
    cycles that rendering pages in this process leaves.

    long_lived: the process goes on after the build (the dev server). What is unfrozen
    joins the oldest generation without counting towards its next collection, so that
    one might never come and each rebuild's cycles would pile up: it is run at the end.
    """

    def __init__(self, long_lived: bool = False) -> None:
        self.long_lived = long_lived

    def __enter__(self) -> Collector:
        self.enabled = gc.isenabled()
        self.frozen = False
        gc.disable()
        return self

    def resume(self) -> None:
        """Freeze what was made so far and let the collector run again."""
        if not self.frozen:
            self.frozen = gc.get_freeze_count() == 0  # a caller's freeze is the caller's
            gc.freeze()
        if self.enabled:
            gc.enable()

    def __exit__(self, *_: object) -> None:
        if self.frozen:
            gc.unfreeze()
        if self.enabled:
            gc.enable()
            if self.long_lived:
                gc.collect()


def _build_locked(
    config: Config,
    output: Path,
    full: bool,
    renderer: Renderer,
    kept: BuildState | None,
    collector: Collector,
) -> BuildReport:
    # Skip: when no input changed since the build the output folder holds, and the folder
    # still holds every file that build listed, as it left them, there is nothing to do.
    last = None if full else read_build_info(config.path("cache"), output)
    # Each look is a system call per file: the output folder's is taken on another
    # processor while this one looks at the inputs (and, when one changed, goes on to
    # load them: the look then spares staging its own).
    with StampBeside(output, at_all=last is not None) as stamp:
        scan = scan_inputs(config)  # each input's status, asked once: loading reuses them
        inputs = scan.snapshot
        if (
            last is not None
            and last.inputs == inputs
            and snapshot_is_trusted(inputs)
            and last.site == stamp.result()
        ):
            return BuildReport(last.articles, last.pages, warnings=list(last.warnings))

        state = _state(config, kept, use_cache=not full)
        try:
            return _build_with_state(
                config, output, full, renderer, scan, state, collector, stamp.status
            )
        finally:
            if kept is None:
                state.close()


class StampBeside:
    """The output folder's status (``write.site_status``), taken by a forked process while
    this one scans the inputs: at 100,000 articles each walk is some 0.4 to 0.7 s of
    system calls, and a rebuild with nothing to do is the two of them. When an input
    changed, the status the child found spares staging a look at every file.

    Only where this system forks and no other thread runs (a process with threads, the
    dev server's, takes the stamp itself: a fork copies one thread, and the others' locks
    with it). A child that fails to answer is only a stamp taken here after all. The
    child leaves its answer in an unlinked file and ends at once: the build may read it
    seconds later (its staging does), and the child's memory (the manifest it read) is
    not held meanwhile.
    """

    def __init__(self, output: Path, *, at_all: bool = True) -> None:
        self.output = output
        self.needed = at_all
        self.pid: int | None = None
        self.reader: int | None = None
        self.file: int | None = None
        self.answer: bytes | None = None

    def __enter__(self) -> StampBeside:
        if self.needed and can_fork() and threading.active_count() == 1:
            try:
                self.file = _unlinked_file()
            except OSError:
                return self  # no room for the answer: the stamp is taken here
            reader, writer = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: one walk, its answer, and out
                try:
                    os.close(reader)
                    die_with_parent()
                    found = site_status(self.output)
                    answer = b"\x00" if found is None else b"\x01" + found.encode()
                    with os.fdopen(self.file, "wb", closefd=False) as stream:
                        stream.write(answer)
                    os.write(writer, b"!")  # written whole
                finally:
                    os._exit(0)
            os.close(writer)
            self.pid, self.reader = pid, reader
        return self

    def result(self) -> str | None:
        """The stamp: of the child's answer, or one taken here."""
        if not self._answer():  # no child, or it died before it answered
            return site_stamp(self.output)
        status = self.status()
        return None if status is None else status.stamp()

    def status(self) -> SiteStatus | None:
        """The status the child found; None when there is no child, or no sound answer.

        It is the folder as it was when this build began: a file another program changes
        in the output folder while the build runs is left to the next build, which sees
        it as any change made between builds."""
        answer = self._answer()
        return SiteStatus.decode(answer[1:]) if answer and answer[0] else None

    def _answer(self) -> bytes:
        if self.reader is not None:
            with os.fdopen(self.reader, "rb") as stream:
                done = stream.read() == b"!"  # nothing: the child died before it answered
            self.reader = None
            self._reap(kill=False)
            if done and self.file is not None:
                with os.fdopen(os.dup(self.file), "rb") as stream:
                    stream.seek(0)
                    self.answer = stream.read()
            self._close_file()
        return self.answer or b""

    def _close_file(self) -> None:
        if self.file is not None:
            os.close(self.file)
            self.file = None

    def _reap(self, *, kill: bool) -> None:
        if self.pid is None:
            return
        if kill:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.pid = None

    def __exit__(self, *_: object) -> None:
        if self.reader is not None:
            os.close(self.reader)
            self.reader = None
        self._reap(kill=True)  # its answer was not needed
        self._close_file()


def _unlinked_file() -> int:
    """A file with no name, for a child's answer: gone with its last descriptor."""
    import tempfile

    descriptor, name = tempfile.mkstemp(prefix="newsgen-stamp-")
    try:
        os.unlink(name)
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


def _state(config: Config, kept: BuildState | None, *, use_cache: bool) -> BuildState:
    """The build state for a build: the one kept in memory, made current, or the one on disk."""
    folder = config.path("cache") if use_cache else None
    key = build_fingerprint(config)
    if kept is None:
        return open_state(folder, key, config.root)
    kept.refresh(folder, key, config.root)
    return kept


def _build_with_state(
    config: Config,
    output: Path,
    full: bool,
    renderer: Renderer,
    scan: InputScan,
    state: BuildState,
    collector: Collector,
    seen: Callable[[], SiteStatus | None] = lambda: None,
) -> BuildReport:
    """The build once the inputs are scanned. seen: the output folder's status, as a look
    taken beside this build found it (``StampBeside.status``)."""
    from newsgen.pages import find_address_clashes, plan_pages, static_files

    # Load: every article file → a record (unchanged files come from the build state);
    # every error in every file is reported together, before anything is written.
    workers = renderer.workers if isinstance(renderer, LocalPool) else None
    archive, warnings = load_archive(
        config, state=state, workers=workers, found=scan.take_articles()
    )

    # Plan: which pages exist, and what each one is made from.
    pages = plan_pages(archive, config)
    raise_if_any(find_address_clashes(pages))
    # What changed since the stored fingerprints were computed: the pages it reaches.
    changes = _compare(archive, config, state)

    # Render and stage: pages whose inputs changed are rendered; the rest are kept.
    staging = Staging(output, seen())
    try:
        collector.resume()
        try:
            rendered = 0
            bundled = _bundle_files(pages, staging.old)

            def previous(url: str) -> Entry | None:
                # A bundle (a search shard's folder) stands only while every file of it does.
                entry = staging.previous(url)
                if entry is None or any(staging.previous(f) is None for f in bundled.get(url, ())):
                    return None
                return entry

            for page, fingerprint, data in render_changed(
                pages,
                config,
                previous,
                full=full or staging.damaged is not None,
                renderer=renderer,
                changes=changes,
            ):
                if data is None:
                    for url in bundled.get(page.url, [page.url]):
                        staging.keep(url)
                elif isinstance(data, dict):
                    for url, bundle_data in data.items():
                        staging.put(url, bundle_data, fingerprint)
                    rendered += 1
                else:
                    staging.put(page.url, data, fingerprint)
                    rendered += 1
            for url, path in static_files(config):
                staging.put(url, _read_input(path))
            # Write: swap the staged build in at once, or write nothing when nothing changed.
            result = staging.publish()
        finally:
            staging.discard()

        # Remember what was read, so that the next build can see whether anything changed.
        changes.save()
        stamp = result.stamp
        cache_warnings: list[BuildWarning] = list(state.warnings)
        if stamp is not None:
            info = BuildInfo(
                scan.snapshot, stamp, len(archive.articles), len(pages), tuple(warnings)
            )
            try:
                save_build_info(config.path("cache"), output, info)
            except OSError as exc:
                cache_warnings.append(_cache_warning(config, exc))
        # Bodies rendered with other settings or by another newsgen: all but the last few go.
        pruned = prune_html_cache(config.path("cache"), build_fingerprint(config))
        if pruned is not None:
            cache_warnings.append(pruned)

        return BuildReport(
            articles=len(archive.articles),
            pages=len(pages),
            rendered=rendered,
            written=result.written,
            removed=result.removed,
            warnings=[*warnings, *result.warnings, *cache_warnings],
        )
    except KeyboardInterrupt:
        # Said apart: stopped before the commit point, the site is the last one; after it,
        # the next build finishes putting the new one in place; once it is, it is whole.
        raise Interrupted(staging.stage) from None


def _read_input(path: Path) -> bytes:
    """An input file's bytes, or a ContentError naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read it: {exc.strerror or exc}", path) from None


def _cache_warning(config: Config, exc: OSError) -> BuildWarning:
    """The cache is an optimisation: a cache that cannot be written slows builds, nothing more."""
    return BuildWarning(
        f"cannot write the build cache: {exc.strerror or exc}; the next build will be slower",
        Path(exc.filename) if exc.filename else config.path("cache"),
    )


def _compare(archive: Archive, config: Config, state: BuildState) -> PageChanges:
    """The archive against the one the stored page fingerprints were computed from."""
    from newsgen.pages import archive_keys, archive_values

    identities = {a.url: f"{a.digest}:{a.path}" for a in archive.articles}
    return state.pages.compare(
        build_fingerprint(config), identities, archive_keys(archive), archive_values(archive)
    )


def load_archive(
    config: Config,
    *,
    use_cache: bool = True,
    state: BuildState | None = None,
    workers: int | None = None,
    found: Sequence[Found] | None = None,
) -> tuple[Archive, list[BuildWarning]]:
    """Load and check every article, then build the archive's indexes.

    state: where records and mentions are kept between builds (default: the cache folder's,
    none when not use_cache); the problems it meets are among the warnings returned only
    when it is not given (a build reports them with its own). workers: the processes that
    parse files and read bodies no earlier build has seen, when there are many (default:
    one per core). found: what a walk of the articles folder just met, to load from
    without walking it again.
    """
    from newsgen.enrich import build_archive
    from newsgen.load import check_file_links, find_all_mentions, load_about, load_articles

    own = state is None
    if state is None:
        state = _state(config, None, use_cache=use_cache)
    try:
        articles, errors, warnings = load_articles(config, state.records, workers, found)
        found = None  # the walk's findings are not held through the rest of the build
        if not errors:  # a file that failed is missing: links to it are not the problem
            warnings.extend(check_file_links(articles))
        about, about_errors = load_about(config)
        errors.extend(about_errors)
        if config.strict:
            errors.extend(ContentError(w.message, w.path, w.line) for w in warnings)
            warnings = []
        raise_if_any(errors, warnings)
        state.records.save()
        # The countries each text names are needed to plan the country pages, so they are
        # found here; a body is read only when no earlier build has seen its text.
        mentions = find_all_mentions(articles, state.mentions, workers)
        state.mentions.save()
        # Related reports: only those a change can reach are ranked again.
        archive = build_archive(articles, mentions, about, related_memo=state.related.memo())
        if archive.related_memo is not None:
            state.related.keep(archive.related_memo)
            state.related.save()
        if own:
            warnings = [*warnings, *state.warnings]
    finally:
        if own:
            state.close()
    return archive, warnings


def _bundle_files(pages: Sequence[Page], old: Manifest) -> dict[str, list[str]]:
    """For each bundle page, the files of its folder that the last build wrote."""
    folders = {urls.folder_of(page.url): page.url for page in pages if page.bundle}
    found: dict[str, list[str]] = {}
    for folder, url in folders.items():
        # A file belongs to the outermost bundle folder it lies in.
        parts = folder.split("/")[:-1]
        outer = any("/".join(parts[:end]) + "/" in folders for end in range(1, len(parts)))
        found[url] = [] if outer else old.files_under(folder)
    return found


def render_changed(
    pages: Sequence[Page],
    config: Config,
    previous: Callable[[str], Entry | None],
    *,
    full: bool,
    renderer: Renderer,
    use_cache: bool = True,
    changes: PageChanges | None = None,
) -> Iterator[tuple[Page, str, bytes | dict[str, bytes] | None]]:
    """Each page with its fingerprint and bytes; None where the last build's stand.

    A bundle page (a search index shard) gives a mapping of its files' paths to bytes.
    changes: the stored fingerprints, which pages whose inputs did not change keep.
    """
    from newsgen.render import make_environment, ship_templates
    from newsgen.search import ShardCache

    # Shards no recent build had (kept or made) leave the cache when this one ends well.
    with ShardCache(config.path("cache") if use_cache else None, read=not full) as shards:
        env = make_environment(config)
        # Read once: the fingerprints and every worker see the same sources.
        templates = ship_templates(env)
        hashes = template_hashes(env, {name: s for name, (s, _) in templates.sources.items()})
        site = build_fingerprint(config)
        todo: list[tuple[int, str]] = []
        for index, page in enumerate(pages):
            if changes is None:
                fingerprint = page_fingerprint(page, site, hashes)
            else:
                fingerprint = changes.fingerprint(
                    page.url,
                    page.template,
                    hashes.get(page.template, ""),
                    page.inputs,
                    functools.partial(page_fingerprint, page, site, hashes),
                )
            entry = previous(page.url)
            if not full and entry is not None and entry.fingerprint == fingerprint:
                if page.bundle:
                    shards.keep(fingerprint)
                yield page, fingerprint, None
            else:
                todo.append((index, fingerprint))

        errors: dict[tuple[str, int | None, str], NewsgenError] = {}
        cache_mode = "off" if not use_cache else "refill" if full else "use"
        work = RenderWork(pages, config, templates, cache_mode)
        # Bundles come last, and on this machine: they run the indexer, and read the bodies
        # that the article pages have just put in the cache (fresh even in a full build).
        later = [item for item in todo if pages[item[0]].bundle]
        first = [item for item in todo if not pages[item[0]].bundle]
        results: Iterator[Rendered | RenderedBundle] = itertools.chain(
            renderer.render(work, first),
            _render_bundles(work, later, renderer, "off" if not use_cache else "use", shards),
        )
        for index, fingerprint, result in results:
            if isinstance(result, NewsgenError):
                # A broken template fails every page that uses it: say so once.
                errors.setdefault(
                    (str(result.path), result.line, result.message.split(": ", 1)[-1]), result
                )
            else:
                yield pages[index], fingerprint, result
        raise_if_any(errors.values())


def render_all(config: Config) -> dict[str, bytes]:
    """Every page of the site in memory, written nowhere: for tests."""
    return render_site(config).files


@dataclass
class RenderedSite:
    """Every page of the site in memory, for `check`."""

    files: dict[str, bytes]
    """Each file's path in the site → its bytes."""
    warnings: list[BuildWarning]
    """What loading met."""
    sources: dict[str, Path]
    """An article page's path → the article's file, where a problem in the page begins."""


def render_site(config: Config) -> RenderedSite:
    """Every page of the site in memory, written nowhere, and the warnings loading met."""
    from newsgen.pages import plan_pages, static_files

    archive, warnings = load_archive(config, use_cache=False)
    pages = plan_pages(archive, config)
    sources = {a.url: a.path for a in archive.articles}
    files: dict[str, bytes] = {}
    for page, _, data in render_changed(
        pages, config, lambda _: None, full=True, renderer=LocalPool(1), use_cache=False
    ):
        if isinstance(data, dict):
            files.update(data)
        else:
            files[page.url] = data or b""
    for url, path in static_files(config):
        files[url] = _read_input(path)
    return RenderedSite(files, warnings, sources)


# --- where pages render: this process, a pool of forked ones, or a cluster ---------------

Rendered = tuple[int, str, "bytes | NewsgenError"]
"""A rendered page: its index in the page list, its fingerprint, and its bytes or error."""


RenderedBundle = tuple[int, str, "dict[str, bytes] | NewsgenError"]
"""A rendered bundle page: its index, its fingerprint, and its files by path, or its error."""


def _render_bundles(
    work: RenderWork,
    todo: Sequence[tuple[int, str]],
    renderer: Renderer,
    cache_mode: str,
    shards: ShardCache,
) -> Iterator[RenderedBundle]:
    """Bundle pages, a few at a time: each spends most of its time in the indexer's process,
    unless the cache holds what it made of the same shard before."""
    if not todo:
        return
    from concurrent.futures import ThreadPoolExecutor

    from newsgen.search import index_language, render_shard

    env = work.environment()
    render_body = _body_renderer(work.config, cache_mode)
    lock = threading.Lock()

    def body(record: Article | Document | Notes) -> Markup:
        with lock:  # one Markdown parser serves the process, and it is not thread-safe
            return render_body(record)

    def one(item: tuple[int, str]) -> RenderedBundle:
        index, fingerprint = item
        folder = urls.folder_of(work.pages[index].url)
        try:
            files = shards.get(fingerprint, folder, index_language(work.config.language))
            if files is None:
                files = render_shard(env, work.pages[index], body, work.config.language)
                shards.put(fingerprint, files, folder)
            return index, fingerprint, files
        except NewsgenError as error:
            return index, fingerprint, error

    workers = renderer.workers if isinstance(renderer, LocalPool) else None
    count = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    with ThreadPoolExecutor(count) as pool:
        yield from pool.map(one, todo)


@dataclass(frozen=True)
class RenderWork:
    """What rendering any page needs, sent to each worker once: pages go out as indices."""

    pages: Sequence[Page]
    config: Config
    templates: ShippedTemplates
    cache_mode: str
    """"use" reads and fills the cache of rendered bodies, "refill" only fills it, "off"
    leaves it alone."""

    def environment(self) -> jinja2.Environment:
        """The Jinja environment, from the templates read where the build runs."""
        from newsgen.render import make_environment

        return make_environment(self.config, self.templates)


class Renderer(Protocol):
    """Where pages render: here (LocalPool) or on a Dask cluster (cluster.DaskCluster)."""

    def render(self, work: RenderWork, todo: Sequence[tuple[int, str]]) -> Iterator[Rendered]:
        """Render the pages of todo (index, fingerprint): results in todo's order."""
        ...


@dataclass(frozen=True)
class LocalPool:
    """This machine: few pages in this process, many on a pool of forked processes."""

    workers: int | None = None
    """Processes (default: one per core)."""
    threshold: int = 200
    """Fewer pages than this render in this process: a pool costs more than it saves."""
    chunk: int = 50
    """Pages a worker renders per task."""

    def render(self, work: RenderWork, todo: Sequence[tuple[int, str]]) -> Iterator[Rendered]:
        """Render the pages of todo: results in todo's order."""
        count = self.workers or os.cpu_count() or 1
        if count < 2 or len(todo) < self.threshold or not can_fork():
            body = _body_renderer(work.config, work.cache_mode)
            yield from render_chunk(work.pages, todo, work.environment(), body)
            return
        # Forked workers inherit the work, so only indices cross the process boundary.
        global _FORKED
        _FORKED = work
        # Frozen objects are left out of the collector's passes, so the workers' collections
        # do not write to (and so copy) every page of memory they share with this process.
        frozen_before = gc.get_freeze_count() > 0
        gc.freeze()
        try:
            yield from forked_map(
                _render_one,
                todo,
                count,
                threshold=0,
                chunk=self.chunk,
                initializer=_start_worker,
                doing="rendering pages",
            )
        finally:
            if not frozen_before:  # the build's own freeze is the build's to undo
                gc.unfreeze()
            _FORKED = None


_FORKED: RenderWork | None = None
# Markdown → HTML for a page's bodies and a curator's notes (render.Body).
_WORKER: tuple[jinja2.Environment, Callable[[Article | Document | Notes], Markup]] | None = None


def _start_worker() -> None:
    global _WORKER
    assert _FORKED is not None
    _WORKER = (_FORKED.environment(), _body_renderer(_FORKED.config, _FORKED.cache_mode))


def _render_one(item: tuple[int, str]) -> Rendered:
    assert _FORKED is not None and _WORKER is not None
    env, body = _WORKER
    (rendered,) = render_chunk(_FORKED.pages, [item], env, body)
    return rendered


def render_chunk(
    pages: Sequence[Page],
    chunk: Sequence[tuple[int, str]],
    env: jinja2.Environment,
    body: Callable[[Article | Document | Notes], Markup],
) -> Iterator[Rendered]:
    """Render each page of a chunk; a user's mistake comes back as the page's error."""
    from newsgen.render import render_page

    for index, fingerprint in chunk:
        try:
            yield index, fingerprint, render_page(env, pages[index], body)
        except NewsgenError as error:
            yield index, fingerprint, error


def _body_renderer(
    config: Config, cache_mode: str
) -> Callable[[Article | Document | Notes], Markup]:
    """Markdown → safe HTML for a body, read from its file, or for a curator's notes, through
    the body cache."""

    from newsgen.load import read_body
    from newsgen.render import body_id_prefix, body_key, clean_cached, render_markdown

    cache = HtmlCache(
        config.path("cache") if cache_mode != "off" else None, build_fingerprint(config)
    )

    def body(record: Article | Document | Notes) -> Markup:
        key = body_key(record)  # the page is part of it: it prefixes the footnotes' ids
        cached = cache.get(key) if cache_mode == "use" else None
        if cached is not None:
            return clean_cached(cached, config.allow_raw_html, body_id_prefix(record))
        if isinstance(record, Notes):
            text = record.text
        else:
            try:
                text = read_body(record)
            except OSError as exc:
                message = f"cannot read it: {exc.strerror or exc}"
                raise ContentError(message, record.path) from None
        part = "the notes nest" if isinstance(record, Notes) else "the text nests"
        prefix = body_id_prefix(record)
        html = render_markdown(text, config.allow_raw_html, prefix, record.path, part)
        cache.put(key, str(html))
        return html

    return body
