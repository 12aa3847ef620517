"""Pages rendered on a Dask cluster, through the same interface as the local process pool.

    newsgen build --dask tcp://HOST:8786

The work (pages, settings, templates) goes to each worker once, as a worker plugin; pages
go out in chunks of indices. Workers on other machines cannot read the project's files,
so each chunk carries the bodies its pages show: the HTML where the cache of rendered
bodies has it, else the Markdown, read here; bodies rendered on the workers come back
with the pages and fill the cache here. Rendered bytes are published by the build as
always. This module is imported only when a cluster is asked for (``newsgen[dask]``).
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import distributed

import newsgen
from newsgen import deps
from newsgen.cache import HtmlCache
from newsgen.errors import ClusterError, ContentError, NewsgenError
from newsgen.model import Article, Document, Notes
from newsgen.pipeline import Rendered, RenderWork, render_chunk

# A body as a chunk carries it: ("html", cached HTML), ("markdown", text to render), or
# ("error", why it could not be read here).
_Body = tuple[str, Any]


@dataclass(frozen=True)
class _Chunk:
    """Pages for one task: their indices and fingerprints, and the bodies they show."""

    todo: Sequence[tuple[int, str]]
    bodies: dict[str, _Body]


class DaskCluster:
    """A Dask cluster as a renderer (see pipeline.Renderer)."""

    def __init__(self, client: distributed.Client, chunk: int = 100, patience: float = 30) -> None:
        self.client = client
        self.chunk = chunk
        """Pages per task."""
        self.patience = patience
        """Seconds to wait for a first worker to join."""

    def render(self, work: RenderWork, todo: Sequence[tuple[int, str]]) -> Iterator[Rendered]:
        """Render the pages of todo on the cluster: results in todo's order."""
        if not todo:
            return
        check_cluster(self.client, self.patience)
        cache = HtmlCache(
            work.config.path("cache") if work.cache_mode != "off" else None,
            deps.build_fingerprint(work.config),
        )
        name = f"newsgen-{uuid.uuid4().hex}"
        try:
            with _cluster_errors():
                self.client.register_plugin(_Archive(work), name=name)
                threads = sum(self.client.nthreads().values())  # type: ignore[no-untyped-call]
            # A few chunks per worker thread in flight keep the workers busy while bodies
            # are read here, without holding every body in memory at once.
            window = 2 * max(1, threads)
            pending: collections.deque[distributed.Future[Any]] = collections.deque()
            for start in range(0, len(todo), self.chunk):
                part = todo[start : start + self.chunk]
                chunk = _Chunk(part, _bodies(work, part, cache))
                with _cluster_errors():
                    pending.append(self.client.submit(_render_remote, name, chunk, pure=False))
                if len(pending) >= window:
                    yield from _collect(pending.popleft(), cache)
            while pending:
                yield from _collect(pending.popleft(), cache)
        finally:
            with contextlib.suppress(Exception):  # a cluster that is gone has nothing to drop
                self.client.unregister_worker_plugin(name)  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def connect(address: str) -> Iterator[DaskCluster]:
    """A connection to the scheduler at address, as a renderer; closed on leaving."""
    try:
        client = distributed.Client(address, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, ValueError, TypeError) as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address}: {_reason(exc)}"
        ) from None
    try:
        yield DaskCluster(client)
    finally:
        with contextlib.suppress(Exception):
            client.close()  # type: ignore[no-untyped-call]


def identity() -> str:
    """What must be equal here and on every worker for their pages to be the same bytes."""
    own = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    return (
        f"newsgen {newsgen.__version__}, code {deps.code_fingerprint()[:12]}, "
        f"cluster {own[:12]}, {deps.library_versions()}"
    )


def check_cluster(client: distributed.Client, patience: float) -> None:
    """Refuse a cluster with no workers, or whose scheduler or a worker runs another newsgen.

    The scheduler reads the tasks too, so it needs the same newsgen as the workers.
    """
    found = {
        "the scheduler": _ask(
            "the scheduler",
            lambda: client.run_on_scheduler(identity),  # type: ignore[no-untyped-call]
        )
    }
    try:
        client.wait_for_workers(1, timeout=patience)
    except TimeoutError:
        raise ClusterError(
            f"the Dask cluster has had no workers for {patience:g} s "
            "(start some with `dask worker ADDRESS`)"
        ) from None
    workers: dict[str, str] = _ask("a worker", lambda: client.run(identity))
    found.update((f"worker {worker}", seen) for worker, seen in sorted(workers.items()))
    ours = identity()
    for where, seen in found.items():
        if seen != ours:
            raise ClusterError(
                f"{where} runs {seen}; this build runs {ours}: install the same newsgen "
                "and libraries on the scheduler's machine and every worker's"
            )


def _ask(where: str, call: Callable[[], Any]) -> Any:
    """Run a call on the cluster; a newsgen missing or too old there is a ClusterError."""
    try:
        with _cluster_errors():
            return call()
    except (ImportError, AttributeError) as exc:  # no newsgen there, or one without this
        raise ClusterError(
            f"{where} cannot run newsgen ({_reason(exc)}): install this newsgen "
            f"({newsgen.__version__}) on the scheduler's machine and every worker's"
        ) from None


# --- on the workers --------------------------------------------------------------------


class _Archive(distributed.WorkerPlugin):
    """The work of one build, set up once on each worker."""

    def __init__(self, work: RenderWork) -> None:
        self.work = work

    def setup(self, worker: distributed.Worker) -> None:
        """Build the Jinja environment once; pages render one chunk at a time."""
        self.env = self.work.environment()
        # Python-Markdown's parser is not thread-safe, and the GIL lets one thread of a
        # worker render at a time anyway: run workers with one thread, several processes.
        self.lock = threading.Lock()

    def teardown(self, worker: distributed.Worker) -> None:
        """Let the work go."""
        del self.env


def _render_remote(name: str, chunk: _Chunk) -> tuple[list[Rendered], dict[str, str]]:
    """A chunk's pages, and the bodies rendered for them that the cache lacked."""
    from markupsafe import Markup

    from newsgen.render import body_id_prefix, body_key, clean_cached, render_markdown

    plugin = distributed.get_worker().plugins.get(name)
    if not isinstance(plugin, _Archive):
        raise ClusterError("a worker joined without this build's pages; build again")
    work = plugin.work
    fresh: dict[str, str] = {}

    def body(article: Article | Document | Notes) -> Markup:
        if isinstance(article, Notes):  # notes travel in the record, not as a file to read
            prefix = body_id_prefix(article)
            allow = work.config.allow_raw_html
            return render_markdown(article.text, allow, prefix, article.path, "the notes nest")
        key = body_key(article)
        kind, value = chunk.bodies[key]
        if kind == "html":  # from the client's cache: untrusted, cleaned as locally
            return clean_cached(value, work.config.allow_raw_html, body_id_prefix(article))
        if kind == "error":
            raise value
        prefix = body_id_prefix(article)
        html = render_markdown(value, work.config.allow_raw_html, prefix, article.path)
        fresh[key] = str(html)
        return html

    with plugin.lock:
        results = list(render_chunk(work.pages, chunk.todo, plugin.env, body))
    return results, fresh


# --- here ------------------------------------------------------------------------------


def _bodies(
    work: RenderWork, todo: Sequence[tuple[int, str]], cache: HtmlCache
) -> dict[str, _Body]:
    """The bodies the pages of todo show: cached HTML where there is some, else Markdown."""
    from newsgen.load import read_body
    from newsgen.render import body_key

    bodies: dict[str, _Body] = {}
    for index, _ in todo:
        for article in work.pages[index].bodies:
            key = body_key(article)  # rendered bodies differ by page: ids carry its address
            if key in bodies:
                continue
            cached = cache.get(key) if work.cache_mode == "use" else None
            if cached is not None:
                bodies[key] = ("html", cached)
                continue
            try:
                bodies[key] = ("markdown", read_body(article))
            except NewsgenError as error:  # the page that shows it reports it
                bodies[key] = ("error", error)
            except OSError as exc:
                bodies[key] = (
                    "error",
                    ContentError(f"cannot read the file: {exc.strerror}", article.path),
                )
    return bodies


def _collect(future: distributed.Future[Any], cache: HtmlCache) -> list[Rendered]:
    """A chunk's results, once the bodies its workers rendered are in the cache here."""
    with _cluster_errors():
        results, fresh = future.result()
    for key, html in fresh.items():
        cache.put(key, html)
    return list(results)


@contextlib.contextmanager
def _cluster_errors() -> Iterator[None]:
    """Turn the ways a cluster fails into one-line errors."""
    try:
        yield
    except OSError as exc:  # a lost connection, a timeout
        raise ClusterError(f"the Dask cluster stopped answering: {_reason(exc)}") from None
    except distributed.CancelledError as exc:
        raise ClusterError(f"the Dask cluster cancelled the work: {_reason(exc)}") from None
    except distributed.KilledWorker as exc:
        raise ClusterError(f"Dask workers died while rendering: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    """An exception as the end of a one-line message."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
