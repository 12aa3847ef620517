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
from newsgen.errors import UsageError, shown_path
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
    if folder.exists() and not folder.is_dir():
        raise UsageError("not a folder; nothing was written", folder)
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
    for path in written:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as stream:  # "x": never over a file
            stream.write(planned[path])
    # The articles folder is the archive's heart: make it even when the example was kept.
    (folder / "articles").mkdir(exist_ok=True)
    return written, kept


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
    copied = []
    for name in chosen:
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as stream:
            stream.write((theme_folder("templates") / name).read_bytes())
        copied.append(path)
    return copied


def _listed(items: list[str]) -> str:
    return ", ".join(items)
