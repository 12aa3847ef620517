"""The command line: a thin layer over the library, and the only module that prints.

Exit codes: 0 success; 1 an article, setting or template is wrong; 2 the
command line is wrong; 3 the output folder cannot be used safely;
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from newsgen.config import Config, load_config
from newsgen.errors import (
    EXIT_CONTENT,
    EXIT_OK,
    EXIT_USAGE,
    BuildFailed,
    BuildWarning,
    NewsgenError,
)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() decides the exit."""

    def error(self, message: str) -> Any:
        raise _UsageProblem(f"{self.prog}: {message}")


class _UsageProblem(Exception):
    pass


def make_parser() -> argparse.ArgumentParser:
    """The command line's grammar."""
    parser = _Parser(
        prog="newsgen", description="Build a static news archive from Markdown articles."
    )
    parser.add_argument(
        "--root", type=Path, default=None, help="the project folder (default: the current folder)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    build = commands.add_parser("build", help="build the site into the output folder")
    _site_options(build)
    build.add_argument(
        "--full", action="store_true", help="render every page, not only changed ones"
    )
    build.add_argument(
        "--force", action="store_true", help="build into a folder that holds other files"
    )

    check = commands.add_parser(
        "check", help="check articles, settings, templates and links; write nothing"
    )
    _site_options(check)
    return parser


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
    except _UsageProblem as exc:
        print(exc, file=err)
        return EXIT_USAGE
    command = args.command or "build"
    root = (args.root or default_root or Path.cwd()).resolve()
    try:
        config, warnings = load_config(root, _overrides(args))
        _print_warnings(warnings, root, err)
        if command == "check":
            return _check(config, out, err)
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
    except KeyboardInterrupt:
        print("interrupted; the site was left as it was.", file=err)
        return 130


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "source": getattr(args, "source", None),
        "output": getattr(args, "output", None),
        "strict": getattr(args, "strict", None),
    }


def _build(config: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from newsgen.pipeline import build

    report = build(config, full=getattr(args, "full", False), force=getattr(args, "force", False))
    _print_warnings(report.warnings, config.root, err)
    print(
        f"Built {report.pages} pages from {report.articles} articles in {report.seconds:.2f} s: "
        f"{report.rendered} rendered, {len(report.written)} files written, "
        f"{len(report.removed)} removed → {_shown(config.path('output'), config.root)}",
        file=out,
    )
    return EXIT_OK


def _check(config: Config, out: TextIO, err: TextIO) -> int:
    from newsgen.linkcheck import check_folder, check_links
    from newsgen.pipeline import render_all
    from newsgen.write import read_manifest

    files = render_all(config)
    problems = check_links(files)
    output = config.path("output")
    built = output.is_dir() and read_manifest(output) is not None
    if built:
        shown = _shown(output, config.root)
        problems += [f"{shown}{problem}" for problem in check_folder(output)]
    for problem in problems:
        print(problem, file=err)
    if problems:
        print(f"{len(problems)} broken link(s).", file=err)
        return EXIT_CONTENT
    checked = f"{len(files)} pages and files" + (
        f", and the built site in {_shown(output, config.root)}" if built else ""
    )
    print(
        f"OK: articles, settings and templates are sound; every link resolves in {checked}.",
        file=out,
    )
    return EXIT_OK


def _print_warnings(warnings: Sequence[BuildWarning], root: Path, err: TextIO) -> None:
    for warning in warnings:
        print(warning.describe(root), file=err)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() + "/"
    except ValueError:
        return str(path)


if __name__ == "__main__":
    raise SystemExit(main())
