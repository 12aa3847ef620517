"""The exception tree, and the exit code each one ends a run with.

    NewsgenError                  exit 1
    ├── ConfigError               exit 1   newsgen.yaml is wrong
    ├── ContentError              exit 1   an article is wrong
    ├── TemplateError             exit 1   a template is wrong
    ├── OutputError               exit 3   the output folder cannot be used safely
    ├── ClusterError              exit 4   the Dask cluster cannot be reached or used
    └── UsageError                exit 2   the command line is wrong
    BuildFailed                   exit of its worst error; carries every error found

Each error knows the file it is about and, where there is one, the line, so
that its message reads like a compiler's: ``articles/x.md:3: 'date' is not a date``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_CONTENT = 1
EXIT_USAGE = 2
EXIT_OUTPUT = 3
EXIT_CLUSTER = 4


class NewsgenError(Exception):
    """A problem the user can fix, located at a file and line where there is one."""

    exit_code = EXIT_CONTENT

    def __init__(
        self,
        message: str,
        path: Path | str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint

    def __reduce__(
        self,
    ) -> tuple[type[NewsgenError], tuple[str, Path | None, int | None, str | None]]:
        # Errors cross process boundaries when pages render in a pool; keep where they point.
        return (type(self), (self.message, self.path, self.line, self.hint))

    def location(self, root: Path | None = None) -> str:
        """The 'file:line' prefix, with the file relative to root where it lies inside it."""
        if self.path is None:
            return ""
        shown = shown_path(self.path, root)
        return f"{shown}:{self.line}" if self.line is not None else shown

    def describe(self, root: Path | None = None) -> str:
        """The whole message as a user reads it."""
        where = self.location(root)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text

    def __str__(self) -> str:
        return self.describe()


class ConfigError(NewsgenError):
    """newsgen.yaml or a command-line setting is wrong."""


class ContentError(NewsgenError):
    """An article file is wrong."""


class TemplateError(NewsgenError):
    """A template does not parse or fails while rendering."""


class OutputError(NewsgenError):
    """The output folder cannot be written safely."""

    exit_code = EXIT_OUTPUT


class ClusterError(NewsgenError):
    """The Dask cluster cannot be reached, has no workers, or runs another newsgen."""

    exit_code = EXIT_CLUSTER


class WorkerLost(NewsgenError):
    """A process rendering pages died: killed, most often by the system for want of memory."""

    exit_code = EXIT_CLUSTER


class UsageError(NewsgenError):
    """The command line is wrong."""

    exit_code = EXIT_USAGE


class Interrupted(KeyboardInterrupt):
    """A build the user stopped (Ctrl-C), and what it left of the site: the last one
    ("before" publishing began), a site the next build finishes putting in place
    ("publishing"), or the new one ("published")."""

    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage

    @property
    def message(self) -> str:
        """What happened to the site, in words."""
        if self.stage == "published":
            return "interrupted; the new site was already in place, and is whole."
        if self.stage == "publishing":
            return (
                "interrupted while the new site was being put in place; some pages are new, "
                "some old, until the next build finishes putting it in place."
            )
        return "interrupted; the site was left as it was."


@dataclass(frozen=True)
class BuildWarning:
    """A problem that does not stop the build unless --strict is given."""

    message: str
    path: Path | None = None
    line: int | None = None

    def describe(self, root: Path | None = None) -> str:
        """The warning as a user reads it."""
        if self.path is None:
            return f"warning: {self.message}"
        where = shown_path(self.path, root)
        where = f"{where}:{self.line}" if self.line is not None else where
        return f"{where}: warning: {self.message}"


class BuildFailed(NewsgenError):
    """Every error a run found, reported together."""

    def __init__(
        self, errors: Sequence[NewsgenError], warnings: Sequence[BuildWarning] = ()
    ) -> None:
        ordered = sorted(errors, key=_error_order)
        super().__init__(f"{len(ordered)} error(s)")
        self.errors: tuple[NewsgenError, ...] = tuple(ordered)
        self.warnings: tuple[BuildWarning, ...] = tuple(warnings)
        self.exit_code = max((e.exit_code for e in ordered), default=EXIT_CONTENT)

    def __reduce__(self) -> tuple[type[BuildFailed], tuple[Any, ...]]:
        return (type(self), (self.errors, self.warnings))


def raise_if_any(errors: Iterable[NewsgenError], warnings: Sequence[BuildWarning] = ()) -> None:
    """Raise BuildFailed when the collection holds any error."""
    collected = list(errors)
    if collected:
        raise BuildFailed(collected, warnings)


def _error_order(error: NewsgenError) -> tuple[str, int, str]:
    return (str(error.path or ""), error.line or 0, error.message)


def shown_path(path: Path, root: Path | None) -> str:
    """A path as a message shows it: relative to root where it lies inside it."""
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def file_in_the_way(folder: Path) -> Path | None:
    """What a message names when folder cannot be made: it, or a parent, where not a folder."""
    for path in (folder, *folder.parents):
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            if os.path.islink(path):
                return path  # a link to nothing: no folder can be made in its place
            continue  # the one in the way, if any, is further up
        except OSError:
            return None  # cannot be looked at: the attempt to write will say why
        return None if stat.S_ISDIR(info.st_mode) else path
    return None
