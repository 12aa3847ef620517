"""The default theme: the templates and static files a project uses where it has none of its own.

The repository's ``templates/`` and ``static/`` are the theme's only source. A built
wheel carries a copy of them in this package (``newsgen/theme/templates`` and
``newsgen/theme/static``, made by ``setup.py`` at build time); a checkout, run in
place or installed editable, reads them where they are, so an edit shows at once
and there is no second copy to drift.
"""

from __future__ import annotations

import functools
from pathlib import Path

from newsgen.config import Config
from newsgen.errors import ConfigError, TemplateError

PARTS = ("templates", "static")
"""The theme's folders, each named as the setting (and the project folder) it backs."""

_HERE = Path(__file__).resolve().parent


@functools.cache
def theme_folder(part: str) -> Path:
    """The default theme's templates or static folder."""
    if part not in PARTS:
        raise ValueError(f"the theme has no {part!r} folder")
    for folder in _candidates(part):
        if folder.is_dir():
            return folder
    raise TemplateError(
        "the default theme is missing from this installation",
        _HERE / part,
        hint="reinstall newsgen",
    )


def _candidates(part: str) -> list[Path]:
    """Where the theme may be: in a checkout, its source; else in the installed package."""
    installed = _HERE / part
    # In a checkout this file is <root>/src/newsgen/theme/__init__.py, beside <root>/pyproject.toml.
    # There the source wins, so that a copy left in src/ by some build cannot shadow it.
    root = _HERE.parents[2]
    if _HERE.parents[1].name == "src" and (root / "pyproject.toml").is_file():
        return [root / part, installed]
    return [installed]


def search_path(config: Config, part: str) -> tuple[Path, ...]:
    """The folders a file of a part is looked up in: the project's own first, then the theme's."""
    own = config.path(part)
    theme = theme_folder(part)
    if not own.is_dir():
        if getattr(config, part) != getattr(Config(root=config.root), part):
            # A folder named in the settings that is not there is a typo, not a wish for the theme.
            raise ConfigError(f"the {part} folder does not exist", own)
        return (theme,)
    if own.resolve() == theme.resolve():  # newsgen's own checkout: the project is the theme
        return (own,)
    return (own, theme)


def links_within(config: Config, folder: Path) -> Path:
    """Where links below a search-path folder may lead: into the project, or the theme."""
    return config.root if folder.is_relative_to(config.root) else folder
