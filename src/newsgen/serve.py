"""The development server: build, serve the output folder, rebuild on change, reload the browser.

On a failed build the last good site keeps being served, and every page shows
the error (``file:line: message``) above it until a build succeeds again. The
server answers only for files inside the output folder.
"""

from __future__ import annotations

import html
import http.server
import os
import posixpath
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from newsgen.config import load_config
from newsgen.errors import BuildFailed, NewsgenError, UsageError
from newsgen.pipeline import BuildReport, build
from newsgen.state import open_state

EVENTS = "/__newsgen/events"

_CLIENT = """<script>
(function () {
  var source = new EventSource("%(events)s?since=%(version)d");
  source.addEventListener("reload", function () { location.reload(); });
})();
</script>"""

_ERROR = """<div id="newsgen-error" role="alert" style="position:fixed;inset:0 0 auto 0;
z-index:99999;margin:0;padding:1rem 1.5rem;background:#7f1d1d;color:#fff;
font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap;max-height:60vh;overflow:auto">
newsgen: the last build failed; the last good one is shown below.

%(errors)s</div>"""


@dataclass
class BuildState:
    """The outcome of the latest build: a version that grows with each one, and its errors."""

    version: int = 0
    errors: str | None = None


class DevServer:
    """Serves a site and keeps it built while its sources change."""

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        port: int = 8000,
        overrides: dict[str, object] | None = None,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.root = root
        self.overrides = overrides or {}
        self.log = log
        self.state = BuildState()
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.watching = threading.Event()
        self.config, _ = load_config(root, self.overrides)
        self.httpd = _listen(host, port, _handler_for(self))
        self.httpd.daemon_threads = True
        # The build state stays in memory between rebuilds: the database is read again
        # only when another build has written it.
        self.kept = open_state(None, "")
        self.threads: list[threading.Thread] = []
        self.built_from: set[Path] = set()
        """The watched folders and files that were there when the last build began."""

    @property
    def address(self) -> str:
        """The URL the site is served at."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def rebuild(self) -> BuildReport | None:
        """Build once; on failure, keep the last good site and remember the errors."""
        report, errors = _build_once(self)
        if errors:
            self.log(errors)
        with self.changed:
            self.state = BuildState(self.state.version + 1, errors)
            self.changed.notify_all()
        return report

    def start(self) -> None:
        """Build, then serve and watch in background threads."""
        self.rebuild()
        for target in (self.httpd.serve_forever, self._watch):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self.threads.append(thread)
        # An edit made before the watcher is in place would go unseen: wait for it.
        self.watching.wait(timeout=30)

    def stop(self) -> None:
        """Stop watching and serving."""
        self.stopping.set()
        with self.changed:
            self.changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self.threads:
            thread.join(timeout=5)
        self.kept.close()

    def _watched(self) -> list[Path]:
        paths = [self.config.path(name) for name in ("source", "templates", "static")]
        paths.append(self.root / "newsgen.yaml")
        return [p for p in paths if p.exists()]

    def _watch(self) -> None:
        from watchfiles import watch

        first = True
        while not self.stopping.is_set():
            watched = self._watched()
            # An edit made while no watcher was in place (between the last build and a new
            # watch of a folder that came back) is seen by a build once this one is: cheap
            # when nothing changed. The first watch needs none: start() waits for it.
            catch_up, first = not first, False
            changes_seen = watch(
                *watched,
                stop_event=self.stopping,
                debounce=100,
                step=50,
                yield_on_timeout=True,  # an empty first yield says the watcher is in place
                rust_timeout=200,
            )
            for changes in changes_seen:
                self.watching.set()
                # A folder or the settings file may come back where nothing watched sees
                # it (the project folder is not watched); the watcher yields every 200 ms
                # without changes, and each time the inputs there are weighed against
                # those the last build saw.
                if changes or catch_up or set(self._watched()) != self.built_from:
                    catch_up = False
                    self.rebuild()
                if set(self._watched()) != set(watched):
                    break  # a watched folder or the settings file came or went


def _listen(
    host: str, port: int, handler: type[http.server.BaseHTTPRequestHandler]
) -> http.server.ThreadingHTTPServer:
    """A server bound to host:port, or a UsageError saying why it cannot be."""
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OverflowError:  # the socket module's word for a port out of range
        raise UsageError(f"cannot listen on {host}:{port}: a port is 0 to 65535") from None
    except OSError as exc:  # taken, not this machine's address, a name that does not resolve
        reason = (exc.strerror or str(exc)).rstrip(".")
        reason = reason[:1].lower() + reason[1:]
        raise UsageError(f"cannot listen on {host}:{port}: {reason}") from None


def _build_once(server: DevServer) -> tuple[BuildReport | None, str | None]:
    """One build for the server: its report, or the errors to show on every page."""
    root = server.root
    # What this build reads from (by the settings it reads, once read): a folder that
    # comes or goes after this is the next build's.
    server.built_from = set(server._watched())
    try:
        server.config, warnings = load_config(root, server.overrides)
        server.built_from = set(server._watched())
        report = build(
            server.config,
            on_wait=lambda note: server.log(note.describe(root)),
            state=server.kept,
        )
    except BuildFailed as failed:
        return None, "\n".join(e.describe(root) for e in failed.errors)
    except NewsgenError as error:
        return None, error.describe(root)
    except Exception as error:  # a bug in a build must not stop the server watching
        trace = "".join(traceback.format_exception(error))
        return None, f"unexpected error: {type(error).__name__}: {error}\n\n{trace}"
    for warning in [*warnings, *report.warnings]:
        server.log(warning.describe(root))
    server.log(f"built {report.pages} pages: {report.rendered} rendered in {report.seconds:.2f} s")
    return report, None


def _handler_for(server: DevServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == EVENTS:
                self._events(parts.query)
                return
            output = server.config.path("output")
            path = _resolve(output, parts.path)
            if path is None:
                data, kind = _not_found(output)
                self._send(
                    404, _inject(data, server.state) if kind.startswith("text/html") else data, kind
                )
                return
            data = path.read_bytes()
            kind = _content_type(path)
            if kind.startswith("text/html"):
                data = _inject(data, server.state)
            self._send(200, data, kind)

        def _send(self, status: int, data: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _events(self, query: str) -> None:
            value = parse_qs(query).get("since", ["0"])[0]
            since = int(value) if value.isdigit() else 0
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            try:
                while not server.stopping.is_set():
                    with server.changed:
                        server.changed.wait_for(
                            lambda: server.state.version > since or server.stopping.is_set(),
                            timeout=15,
                        )
                        version = server.state.version
                    if version > since:
                        self.wfile.write(b"event: reload\ndata: %d\n\n" % version)
                        self.wfile.flush()
                        return
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return

    return Handler


def _resolve(output: Path, url_path: str) -> Path | None:
    """The file a request path names, only if it lies inside the output folder."""
    decoded = unquote(url_path)
    if "\x00" in decoded or "\\" in decoded:
        return None
    relative = posixpath.normpath("/" + decoded).lstrip("/")
    root = os.path.realpath(output)
    candidate = os.path.realpath(os.path.join(root, relative))
    if candidate != root and not candidate.startswith(root + os.sep):
        return None
    if os.path.isdir(candidate):
        candidate = os.path.join(candidate, "index.html")
    name = os.path.basename(candidate)
    if not os.path.isfile(candidate) or name.startswith(".newsgen"):
        return None
    return Path(candidate)


def _not_found(output: Path) -> tuple[bytes, str]:
    page = output / "404.html"
    if page.is_file():
        return page.read_bytes(), "text/html; charset=utf-8"
    return (
        b"<!DOCTYPE html><title>Not found</title><body><p>Not found.</p></body>",
        "text/html; charset=utf-8",
    )


def _inject(data: bytes, state: BuildState) -> bytes:
    snippet = _CLIENT % {"events": EVENTS, "version": state.version}
    if state.errors:
        snippet = _ERROR % {"errors": html.escape(state.errors)} + snippet
    marker = data.rfind(b"</body>")
    insert = snippet.encode("utf-8")
    return data[:marker] + insert + data[marker:] if marker >= 0 else data + insert


_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".txt": "text/plain; charset=utf-8",
}


def _content_type(path: Path) -> str:
    if path.name.endswith(".atom.xml"):
        return "application/atom+xml; charset=utf-8"
    return _TYPES.get(path.suffix.lower(), "application/octet-stream")


def serve_until_interrupted(server: DevServer) -> None:
    """Run the server in the foreground until Ctrl-C."""
    server.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        server.stop()
