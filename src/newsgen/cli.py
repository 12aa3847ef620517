"""The command line: a thin layer over the library, and the only module that prints.

Exit codes: 0 success; 1 an article, setting or template is wrong; 2 the
command line is wrong; 3 the output folder cannot be used safely; 4 the Dask
cluster cannot be reached or used; 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from newsgen import __version__
from newsgen.config import Config, load_config
from newsgen.errors import (
    EXIT_CONTENT,
    EXIT_OK,
    BuildFailed,
    BuildWarning,
    Interrupted,
    NewsgenError,
    UsageError,
    file_in_the_way,
    shown_path,
)

if TYPE_CHECKING:
    from newsgen.importer import Saved
    from newsgen.pipeline import Renderer

_MAX_PORT = 65535
# The field of a new article each option of `new` and `add` fills: an error in one names it.
_NEW_FIELDS = {
    "title": "the title",
    "date": "--date",
    "source": "--publisher",
    "language": "--lang",
    "countries": "--country",
    "tags": "--tag",
    "story": "--story",
}
_ADD_FIELDS = {"source_url": "--url", "via": "--url", "via_url": "--url", "retrieved": "--url"}


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() decides the exit."""

    def error(self, message: str) -> Any:
        raise UsageError(f"{self.prog}: {message}")


def make_parser() -> argparse.ArgumentParser:
    """The command line's grammar."""
    parser = _Parser(
        prog="newsgen", description="Build a static news archive from Markdown articles."
    )
    parser.add_argument(
        "--root", type=Path, default=None, help="the project folder (default: the current folder)"
    )
    parser.add_argument("--version", action="store_true", help="print newsgen's version and stop")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    build = commands.add_parser("build", help="build the site into the output folder")
    _site_options(build)
    build.add_argument(
        "--full", action="store_true", help="render every page, not only changed ones"
    )
    build.add_argument(
        "--force", action="store_true", help="build into a folder that holds other files"
    )
    where = build.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_count,
        metavar="N",
        help="parse new files and render pages on N processes of this machine (default: one "
        "per core); fewer use less memory",
    )
    where.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="render on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:8786); "
        "needs newsgen[dask]",
    )
    build.add_argument(
        "--no-wait",
        action="store_true",
        help="fail (exit 3) instead of waiting while another build writes the output folder",
    )

    check = commands.add_parser(
        "check", help="check articles, settings, templates and links; write nothing"
    )
    _site_options(check)

    new = commands.add_parser("new", help="write a new article's skeleton into the articles folder")
    new.add_argument("title", help="the headline")
    new.add_argument("--date", help="YYYY-MM-DD (default: today)")
    new.add_argument("--publisher", help="who published it (the article's source)")
    new.add_argument("--lang", help="its language, e.g. de (default: the site's)")
    new.add_argument(
        "--country", action="append", default=[], help="a country it concerns (repeatable)"
    )
    new.add_argument("--tag", action="append", default=[], help="a topic (repeatable)")
    new.add_argument("--story", help="a story key shared with other reports of the same event")
    _articles_option(new)

    add = commands.add_parser(
        "add", help="import a page (saved .html, copied text, or - for stdin) as a draft"
    )
    add.add_argument("file", help="a saved web page (.html), a text (.txt, .md), or - for stdin")
    add.add_argument(
        "--url", help="the address the page was taken from (recorded with today's date)"
    )
    _articles_option(add)

    init = commands.add_parser("init", help="start a new archive in a folder")
    init.add_argument(
        "folder", nargs="?", type=Path, help="where (default: the project folder, see --root)"
    )
    init.add_argument(
        "--force", action="store_true", help="also in a folder that holds files; none is replaced"
    )

    theme = commands.add_parser("theme", help="work with the default theme")
    actions = theme.add_subparsers(
        dest="theme_action", metavar="ACTION", parser_class=_Parser, required=True
    )
    copy = actions.add_parser("copy", help="copy default templates into templates/ to override")
    copy.add_argument(
        "names", nargs="*", metavar="NAME", help="a template, e.g. article.html (default: all)"
    )

    serve = commands.add_parser("serve", help="build, serve on localhost, rebuild on every change")
    _site_options(serve)
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="the port, 0 to 65535 (default: 8000; 0: any free one)",
    )
    return parser


def _articles_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", "--articles", dest="source", type=Path, help="the articles folder"
    )


def _site_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", type=Path, help="the articles folder (default: articles)")
    parser.add_argument("--output", type=Path, help="the output folder (default: _site)")
    parser.add_argument(
        "--strict", action="store_true", default=None, help="treat warnings as errors"
    )


def main(argv: Sequence[str] | None = None, default_root: Path | None = None) -> int:
    """Run one command; return its exit code."""
    out, err = sys.stdout, sys.stderr
    try:
        args = make_parser().parse_args(argv)
    except UsageError as exc:
        print(exc.message, file=err)
        return exc.exit_code
    if args.version:
        print(f"newsgen {__version__}", file=out)
        return EXIT_OK
    command = args.command or "build"
    root = (args.root or default_root or Path.cwd()).resolve()
    try:
        if command == "init":  # before reading settings: there are none yet
            folder = args.folder.resolve() if args.folder else root
            # So that a message names the folder, or the file in the way of it, not ".".
            root = (file_in_the_way(folder) or folder).parent
            return _init(folder, args.force, out)
        config, warnings = load_config(root, _overrides(args))
        _print_warnings(warnings, root, err)
        if command == "check":
            return _check(config, out, err)
        if command == "new":
            return _new(config, args, out, err)
        if command == "add":
            return _add(config, args, out, err)
        if command == "theme":
            return _theme_copy(config, args.names, out)
        if command == "serve":
            return _serve(config, args, out, err)
        return _build(config, args, out, err)
    except BuildFailed as failed:
        _print_warnings(failed.warnings, root, err)
        for error in failed.errors:
            print(error.describe(root), file=err)
        print(f"{len(failed.errors)} error(s); nothing was written.", file=err)
        return failed.exit_code
    except NewsgenError as error:
        print(error.describe(root), file=err)
        return error.exit_code
    except KeyboardInterrupt as stop:  # from a build, an Interrupted: what it left of the site
        print((stop if isinstance(stop, Interrupted) else Interrupted("before")).message, file=err)
        return 130


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "source": getattr(args, "source", None),
        "output": getattr(args, "output", None),
        "strict": getattr(args, "strict", None),
    }


def _count(text: str) -> int:
    """A count of processes: a whole number, one or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {text!r}")
    return value


def _port(text: str) -> int:
    """A TCP port: a whole number from 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= _MAX_PORT:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to {_MAX_PORT}, not {text!r}")
    return value


def _build(config: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from newsgen.pipeline import build

    with _renderer(getattr(args, "dask", None)) as renderer:
        report = build(
            config,
            full=getattr(args, "full", False),
            force=getattr(args, "force", False),
            workers=getattr(args, "workers", None),
            renderer=renderer,
            wait=not getattr(args, "no_wait", False),
            on_wait=lambda note: print(note.describe(config.root), file=err, flush=True),
        )
    _print_warnings(report.warnings, config.root, err)
    print(
        f"Built {_plural(report.pages, 'page')} from {_plural(report.articles, 'article')} "
        f"in {report.seconds:.2f} s: "
        f"{report.rendered} rendered, {_plural(len(report.written), 'file')} written, "
        f"{len(report.removed)} removed → {_shown_folder(config.path('output'), config.root)}",
        file=out,
    )
    return EXIT_OK


def _plural(number: int, noun: str) -> str:
    """'1 article', '2 articles': the summary line is English, as the command line is."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _renderer(address: str | None) -> contextlib.AbstractContextManager[Renderer | None]:
    """Where pages render: this machine, or the Dask cluster at address."""
    if address is None:
        return contextlib.nullcontext()
    try:
        from newsgen.cluster import connect  # Dask is imported only when asked for
    except ImportError as exc:
        if exc.name is None or exc.name.split(".")[0] not in {"dask", "distributed"}:
            raise
        raise UsageError(
            "--dask needs Dask's distributed scheduler: pip install 'newsgen[dask]'"
        ) from None
    return connect(address)


def _check(config: Config, out: TextIO, err: TextIO) -> int:
    from newsgen.cache import check_cache_folder
    from newsgen.linkcheck import check_folder, check_links
    from newsgen.pipeline import render_site
    from newsgen.write import read_manifest

    check_cache_folder(config)  # a build would refuse it: so does a check
    site = render_site(config)
    files, warnings = site.files, site.warnings
    _print_warnings(warnings, config.root, err)  # under --strict, loading raised them
    rendered = check_links(files)
    problems = [_at_source(problem, site.sources, config.root) for problem in rendered]
    output = config.path("output")
    built = output.is_dir() and read_manifest(output) is not None
    if built:
        shown = _shown_folder(output, config.root)
        # A problem the pages as rendered now have already is said once, at its source.
        known = set(rendered)
        problems += [f"{shown}{p}" for p in check_folder(output) if p not in known]
    for problem in problems:
        print(problem, file=err)
    if problems:
        print(f"{len(problems)} broken link(s).", file=err)
        return EXIT_CONTENT
    checked = f"{len(files)} pages and files" + (
        f", and the built site in {_shown_folder(output, config.root)}" if built else ""
    )
    sound = "sound" if not warnings else f"sound, with {len(warnings)} warning(s) above"
    print(
        f"OK: articles, settings and templates are {sound}; every link resolves in {checked}.",
        file=out,
    )
    return EXIT_OK


def _at_source(problem: str, sources: dict[str, Path], root: Path) -> str:
    """A problem of an article's page ('articles/2021/01/01-x.html:53: …'), prefixed
    with the article's file, where the author will mend it."""
    page = problem.partition(":")[0]
    return f"{shown_path(sources[page], root)}: {problem}" if page in sources else problem


def _new(config: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from newsgen.importer import draft_file_name, new_article, save_article

    try:
        date = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
    except ValueError:
        raise UsageError(f"--date must be YYYY-MM-DD, not {args.date!r}") from None
    language = args.lang or config.language
    text = new_article(
        args.title, date, args.publisher, language, args.country, args.tag, args.story
    )
    saved = save_article(
        config,
        draft_file_name(args.title, date, language),
        lambda _slug: text,
        args.title,
        language,
        unique=False,
        options=_NEW_FIELDS,
    )
    _print_saved(saved, config, out)
    return EXIT_OK


def _add(config: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from newsgen.countries import country_name
    from newsgen.importer import draft_file_name, import_page, save_article

    today = dt.date.today()
    draft = import_page(_read_page(args.file), args.file, args.url, today, config.language)
    saved = save_article(
        config,
        draft_file_name(draft.title, draft.date or today, draft.language),
        lambda slug: draft.to_markdown(today, slug),
        draft.title,
        draft.language,
        unique=True,
        options=_ADD_FIELDS,
    )
    _print_saved(saved, config, out)
    if saved.slug:
        print(f"  slug:      {saved.slug} (another article has this title's slug)", file=out)

    def names(codes: Sequence[str]) -> str:
        return ", ".join(country_name(code, config.language) for code in codes) or "none"

    date = (
        f"{draft.date}  (from {draft.date_evidence})"
        if draft.date
        else "none found: today's stands in, marked TODO"
        + (f" (the page says only {draft.relative_date!r})" if draft.relative_date else "")
    )
    source = (
        f"{draft.source}  (from {draft.source_evidence})"
        if draft.source
        else "none found: fill it in"
    )
    print(f"  title:     {draft.title}", file=out)
    print(f"  language:  {draft.language}", file=out)
    print(f"  countries: {names(draft.countries)}; also named: {names(draft.mentions)}", file=out)
    print(f"  date:      {date}", file=out)
    print(f"  source:    {source}", file=out)
    print(f"  summary:   {'yes' if draft.summary else 'the first paragraph'}", file=out)
    print(f"  removed {len(draft.removed)} line(s) of page furniture", file=out)
    print("Check the date, the source and the countries, add tags, then build.", file=out)
    return EXIT_OK


def _init(folder: Path, force: bool, out: TextIO) -> int:
    from newsgen.scaffold import init_project

    written, kept = init_project(folder, force)
    shown = Path.cwd().resolve()
    for path in written:
        print(f"wrote {shown_path(path, shown)}", file=out)
    for path in kept:
        print(f"kept  {shown_path(path, shown)} (already there)", file=out)
    if not written:
        print("Nothing to add: every file of a new archive is already there.", file=out)
        return EXIT_OK
    where = shown_path(folder, shown)
    step = "" if where == "." else f"cd {shlex.quote(where)} && "  # a name with spaces
    print(
        f'A new archive. Next: {step}newsgen new "Title" (or newsgen add FILE), then '
        "newsgen build. To publish it on GitHub Pages, see .github/workflows/publish.yml.",
        file=out,
    )
    return EXIT_OK


def _theme_copy(config: Config, names: list[str], out: TextIO) -> int:
    from newsgen.scaffold import copy_theme_templates

    for path in copy_theme_templates(config, names):
        print(f"copied {shown_path(path, config.root)}", file=out)
    return EXIT_OK


def _read_page(name: str) -> str:
    """The text of the file to import, or of standard input for '-'."""
    from newsgen.frontmatter import decode_text

    if name == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream without bytes beneath (as in tests)
            return str(sys.stdin.read())
        data: bytes = stream.read()
        where = Path("<stdin>")
    else:
        where = Path(name)
        try:
            data = where.read_bytes()
        except OSError as exc:
            raise UsageError(f"{name}: cannot read it: {exc.strerror}") from None
    return decode_text(data, where)


def _print_saved(saved: Saved, config: Config, out: TextIO) -> None:
    print(f"wrote {shown_path(saved.path, config.root)}", file=out)
    for warning in saved.warnings:
        print(f"  to do: {warning.message}", file=out)


def _serve(config: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from newsgen.serve import DevServer, serve_until_interrupted

    server = DevServer(  # its first build checks the output folder like any build
        config.root,
        args.host,
        args.port,
        overrides=_overrides(args),
        log=lambda line: print(line, file=err, flush=True),
    )
    print(
        f"Serving {_shown_folder(config.path('output'), config.root)} at {server.address}"
        " (Ctrl-C stops)",
        file=out,
        flush=True,
    )
    try:
        serve_until_interrupted(server)
    except Interrupted as stop:  # in the middle of a build: what it left of the site
        print(stop.message, file=out)
    except KeyboardInterrupt:
        print("stopped.", file=out)
    return EXIT_OK


def _print_warnings(warnings: Sequence[BuildWarning], root: Path, err: TextIO) -> None:
    for warning in warnings:
        print(warning.describe(root), file=err)


def _shown_folder(path: Path, root: Path) -> str:
    """A folder as the summary lines show it: relative to the project where it lies inside."""
    return shown_path(path, root) + "/"


if __name__ == "__main__":
    raise SystemExit(main())
