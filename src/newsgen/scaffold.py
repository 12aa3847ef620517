"""Starting an archive: the files `newsgen init` writes, and copies of the theme to override.

Both write into the project folder, never over a file that is there, and check
everything before writing anything: a refusal leaves the folder as it was.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import fields
from pathlib import Path

import yaml

from newsgen import __version__, config
from newsgen.config import CONFIG_FILE, Config
from newsgen.errors import UsageError, file_in_the_way, shown_path
from newsgen.theme import theme_folder
from newsgen.write import beside_output

SKELETON = Path(__file__).resolve().parent / "skeleton"
"""The files of a new archive that are text to copy, not made from the code."""

# A new archive's files taken from SKELETON: where each goes → its name there.
_FROM_SKELETON = {
    "articles/example.md": "example-article.md",
    "about.md": "about.md",
    ".github/workflows/publish.yml": "github-pages.yml",
}

# What a folder may hold and still count as empty: `git init` first is a common start.
_IGNORED_IN_EMPTY = {".git"}


def setting_docs() -> dict[str, str]:
    """Each setting's docstring, as written under its field in the Config class."""
    tree = ast.parse(inspect.getsource(config))
    (cls,) = (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == Config.__name__)
    docs: dict[str, str] = {}
    for field, after in zip(cls.body, cls.body[1:], strict=False):
        if (
            isinstance(field, ast.AnnAssign)
            and isinstance(field.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[field.target.id] = inspect.cleandoc(after.value.value)
    return docs


def settings_text() -> str:
    """newsgen.yaml for a new archive: every setting, its docstring and its default, commented."""
    docs = setting_docs()
    defaults = Config(root=Path())
    lines = [
        "# newsgen settings. Every setting is optional: each is listed here with what it does",
        "# and its default, commented out. To change one, remove the '# ' before its name.",
        "# Folders are relative to this file's folder.",
    ]
    for field in fields(Config):
        if field.name == "root":  # the folder this file is in, not a setting
            continue
        default = getattr(defaults, field.name)
        value = default.as_posix() if isinstance(default, Path) else default
        shown = yaml.safe_dump({field.name: value}, allow_unicode=True, width=1000).strip()
        doc = " ".join(docs.get(field.name, "").split())
        lines.append("")
        lines += textwrap.wrap(doc, width=88, initial_indent="# ", subsequent_indent="# ")
        lines.append(f"# {shown}")
    return "\n".join(lines) + "\n"


def gitignore_text() -> str:
    """.gitignore for a new archive: what a build makes, which the sources make again."""
    defaults = Config(root=Path())
    output, cache = defaults.output, defaults.cache
    return (
        "# Made by newsgen build from the files in this folder: not kept in version control.\n"
        f"/{output.as_posix()}/\n"
        f"/{cache.as_posix()}/\n"
        "# What a build keeps beside the output folder while it runs (its lock, its staging).\n"
        + "".join(f"/{pattern}\n" for pattern in beside_output(output.name))
    )


def requirements_text() -> str:
    """requirements.txt for a new archive: the newsgen its CI installs."""
    return (
        "# The newsgen that builds this archive (in CI: .github/workflows/publish.yml).\n"
        "# Pin the version you build with; to install newsgen from elsewhere, put its wheel's\n"
        "# path or its repository's address here instead.\n"
        f"newsgen=={__version__}\n"
    )


def project_files() -> dict[str, str]:
    """Every file `newsgen init` writes, by its path in the new archive."""
    files = {
        CONFIG_FILE: settings_text(),
        ".gitignore": gitignore_text(),
        "requirements.txt": requirements_text(),
    }
    for target, name in _FROM_SKELETON.items():
        files[target] = (SKELETON / name).read_text(encoding="utf-8")
    return dict(sorted(files.items()))


def init_project(folder: Path, force: bool = False) -> tuple[list[Path], list[Path]]:
    """Write a new archive into folder; return the files written and those kept as they were.

    A folder that holds anything refuses unless force; with force, files that are
    already there are kept, never overwritten.
    """
    blocker = file_in_the_way(folder)
    if blocker is not None:
        raise UsageError("not a folder; nothing was written", blocker)
    if folder.is_dir() and not force:
        present = sorted(p.name for p in folder.iterdir() if p.name not in _IGNORED_IN_EMPTY)
        if present:
            raise UsageError(
                f"the folder is not empty ({_listed(present)}); nothing was written",
                folder,
                hint="pass --force to add the archive's files beside these; none is overwritten",
            )
    planned = {folder / name: text for name, text in project_files().items()}
    kept = [path for path in planned if path.exists() or path.is_symlink()]
    written = [path for path in planned if path not in kept]
    # The articles folder is the archive's heart: made even when the example was kept.
    _write_new({path: planned[path] for path in written}, folder / "articles")
    return written, kept


def _write_new(files: dict[Path, str | Path], *folders: Path) -> None:
    """Write each file (its text, or a copy of a file), never over one, making the folders.

    A file where a folder goes is refused first; a failure part way (permissions, a
    full disk) removes what was made and is a UsageError naming the path.
    """
    places = sorted({path.parent for path in files} | set(folders))
    for place in places:
        blocker = file_in_the_way(place)
        if blocker is not None:
            raise UsageError("not a folder, so nothing could be written in it", blocker)
    made: list[Path] = []  # what this run made, newest last: removed again if it fails
    try:
        for place in places:
            _make_folder(place, made)
        for path, content in files.items():
            data = content.read_bytes() if isinstance(content, Path) else content.encode("utf-8")
            with path.open("xb") as stream:  # "x": never over a file
                made.append(path)
                stream.write(data)
    except OSError as exc:
        _remove(made)
        where = Path(exc.filename) if exc.filename else made[-1] if made else places[0]
        reason = (exc.strerror or str(exc)).lower()
        raise UsageError(f"cannot write it: {reason}; nothing was written", where) from None


def _make_folder(folder: Path, made: list[Path]) -> None:
    """Make folder and the parents it lacks, adding each one made to made."""
    missing = [path for path in (folder, *folder.parents) if not path.is_dir()]
    for path in reversed(missing):
        path.mkdir()
        made.append(path)


def _remove(made: list[Path]) -> None:
    """Remove the files and folders a failed run made, the newest first, as far as it can."""
    for path in reversed(made):
        try:
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
        except OSError:
            pass  # the error that stopped the run is the one to report


def theme_template_names() -> list[str]:
    """The default theme's templates, by the name a project's own copy takes."""
    folder = theme_folder("templates")
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )


def copy_theme_templates(project: Config, names: list[str]) -> list[Path]:
    """Copy default templates (all when names is empty) into the project's templates folder.

    Refuses, writing nothing, when a name is not a theme template or a copy would
    overwrite a file.
    """
    known = theme_template_names()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(
            f"not a template of the default theme: {_listed(unknown)} (its templates: "
            f"{_listed(known)})"
        )
    target = project.path("templates")
    chosen = sorted(set(names)) if names else known
    there = [shown_path(target / name, project.root) for name in chosen if (target / name).exists()]
    if there:
        raise UsageError(
            f"refusing to overwrite {_listed(there)}; nothing was copied",
            hint="move your copy aside first, or name only the templates to copy",
        )
    _write_new({target / name: theme_folder("templates") / name for name in chosen})
    return [target / name for name in chosen]


def _listed(items: list[str]) -> str:
    return ", ".join(items)
