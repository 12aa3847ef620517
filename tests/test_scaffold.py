"""newsgen init, newsgen theme copy and newsgen --version, run in-process."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

import newsgen
from newsgen import scaffold, theme, urls, write
from newsgen.cli import main
from newsgen.config import CONFIG_FILE, Config, load_config
from newsgen.pipeline import build, load_archive

from .conftest import snapshot

SETTINGS = [f for f in fields(Config) if f.name != "root"]


def run(*argv: str) -> int:
    return main(list(argv))


def test_version_prints_the_packages_one_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--version") == 0
    assert capsys.readouterr().out == f"newsgen {newsgen.__version__}\n"


def test_every_setting_is_in_the_new_settings_file_with_its_docstring() -> None:
    docs = scaffold.setting_docs()
    text = scaffold.settings_text()
    for field in SETTINGS:
        doc = docs.get(field.name, "")
        assert doc, f"Config.{field.name} has no docstring to explain it in {CONFIG_FILE}"
        assert " ".join(doc.split()) in " ".join(text.replace("# ", " ").split())
        assert re.search(rf"^# {field.name}: ", text, re.M), field.name


def test_the_new_settings_file_holds_the_defaults(tmp_path: Path) -> None:
    # Every setting commented out: the file means the defaults, and warns of nothing.
    (tmp_path / CONFIG_FILE).write_text(scaffold.settings_text(), encoding="utf-8")
    config, warnings = load_config(tmp_path)
    assert (config, warnings) == (Config(root=tmp_path.resolve()), [])
    # Every setting switched on, unchanged: still the defaults, so each shown value is right.
    names = "|".join(f.name for f in SETTINGS)
    uncommented = re.sub(rf"^# (({names}): )", r"\1", scaffold.settings_text(), flags=re.M)
    (tmp_path / CONFIG_FILE).write_text(uncommented, encoding="utf-8")
    config, warnings = load_config(tmp_path)
    assert (config, warnings) == (Config(root=tmp_path.resolve()), [])
    assert set(yaml.safe_load(uncommented)) == {f.name for f in SETTINGS}


def test_init_makes_an_archive_that_builds_strictly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "new-archive"
    assert run("init", str(folder)) == 0
    out = capsys.readouterr().out
    expected = scaffold.project_files()
    assert snapshot(folder) == {name: text.encode() for name, text in expected.items()}
    lines = out.splitlines()
    for name in expected:
        assert any(line.startswith("wrote ") and line.endswith(f"/{name}") for line in lines)
    assert not (folder / "templates").exists() and not (folder / "static").exists()

    config, warnings = load_config(folder, {"strict": True})
    assert warnings == []
    report = build(config)
    assert report.warnings == [] and report.articles == 1
    archive, _ = load_archive(config)
    (example,) = archive.articles
    assert example.path == folder / "articles" / "example.md"
    assert "example" in example.title.casefold() and example.countries
    output = config.path("output")
    assert (output / urls.article_url(example)).is_file()
    for code in example.countries:
        assert (output / urls.country_url(code)).is_file()
    assert (output / "static" / "style.css").read_bytes() == (
        theme.theme_folder("static") / "style.css"
    ).read_bytes()


def test_the_new_gitignore_covers_what_a_build_makes(tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "a")) == 0
    config, _ = load_config(tmp_path / "a")
    build(config)
    patterns = [
        line for line in (tmp_path / "a" / ".gitignore").read_text().splitlines() if line[:1] == "/"
    ]
    made = (
        {p.name for p in (tmp_path / "a").iterdir()}
        - set(scaffold.project_files())
        - {
            ".github",
            "articles",
        }
    )
    assert made == {config.output.name, config.cache.name}
    for name in made:
        assert any(re.fullmatch(_glob(pattern), name) for pattern in patterns), name
    # What an interrupted build leaves beside the output folder, named as write.py names it.
    for prefix in (write._STAGING, write._OLD):
        leftover = f".{config.output.name}{prefix}12345"
        assert any(re.fullmatch(_glob(p), leftover) for p in patterns), leftover


def _glob(pattern: str) -> str:
    return re.escape(pattern.strip("/")).replace(r"\*", ".*")


def test_the_new_workflow_builds_with_newsgen_and_keeps_its_cache(tmp_path: Path) -> None:
    workflow = yaml.safe_load(scaffold.project_files()[".github/workflows/publish.yml"])
    steps = workflow["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in steps]
    assert any(run.startswith("python -m pip install -r requirements.txt") for run in runs)
    assert any(run.startswith("newsgen build") for run in runs)
    (cache,) = [step for step in steps if step.get("uses", "").startswith("actions/cache@")]
    defaults = Config(root=tmp_path)
    assert set(cache["with"]["path"].split()) == {
        defaults.cache.as_posix(),
        defaults.output.as_posix(),
    }
    assert scaffold.requirements_text().splitlines()[-1] == f"newsgen=={newsgen.__version__}"


def test_a_restored_cache_and_site_render_nothing_when_nothing_changed(tmp_path: Path) -> None:
    # What the workflow's cache step relies on: a fresh checkout (new times on every
    # source file) with .newsgen-cache/ and _site/ restored renders no page again.
    assert run("init", str(tmp_path / "a")) == 0
    build(load_config(tmp_path / "a")[0])
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    later = os.stat(tmp_path / "a" / "about.md").st_mtime_ns + 10**10
    for path in (tmp_path / "b").rglob("*"):
        if path.is_file() and "_site" not in path.parts and ".newsgen-cache" not in path.parts:
            os.utime(path, ns=(later, later))
    report = build(load_config(tmp_path / "b")[0])
    assert (report.rendered, report.written) == (0, [])


def test_init_refuses_a_folder_that_holds_files_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    assert run("--root", str(tmp_path), "init") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{tmp_path.name}: the folder is not empty (notes.txt)")
    assert "--force" in err
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_init_with_force_keeps_every_file_that_is_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / CONFIG_FILE).write_text("title: Mine\n")
    (tmp_path / "notes.txt").write_text("mine")
    assert run("init", str(tmp_path), "--force") == 0
    out = capsys.readouterr().out
    assert (tmp_path / CONFIG_FILE).read_text() == "title: Mine\n"
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert f"kept  {(tmp_path / CONFIG_FILE).as_posix()} (already there)" in out
    for name, text in scaffold.project_files().items():
        if name != CONFIG_FILE:
            assert (tmp_path / name).read_text() == text


def test_init_takes_a_folder_holding_only_git(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert run("init", str(tmp_path)) == 0
    assert (tmp_path / "articles" / "example.md").is_file()


def test_init_refuses_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_text("x")
    assert run("init", str(tmp_path / "f")) == 2
    assert "not a folder; nothing was written" in capsys.readouterr().err


def test_init_under_a_file_names_the_file_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("x")
    before = snapshot(tmp_path)
    assert run("init", str(tmp_path / "afile" / "sub" / "new")) == 2
    assert capsys.readouterr().err == "afile: not a folder; nothing was written\n"
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("blocked", [".github", "articles"])
def test_init_with_force_refuses_a_file_where_its_folder_goes(
    blocked: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / blocked).write_text("mine")
    before = snapshot(tmp_path)
    assert run("init", str(tmp_path), "--force") == 2
    assert capsys.readouterr().err == (
        f"{tmp_path.name}/{blocked}: not a folder, so nothing could be written in it\n"
    )
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("force", [False, True])
def test_init_that_cannot_write_a_file_leaves_nothing_half_made(
    force: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "new"
    if force:  # a folder holding a file of the archive already: that one is kept
        folder.mkdir()
        (folder / CONFIG_FILE).write_text("title: Mine\n")
    before = snapshot(tmp_path), sorted(tmp_path.rglob("*"))  # files, and folders too
    last = sorted(scaffold.project_files())[-1]  # written after every other file
    real_open = Path.open

    def refusing(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path == folder / last:  # as a folder the user may not write in answers
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing)
    argv = ["init", str(folder)] + (["--force"] if force else [])
    assert run(*argv) == 2
    assert capsys.readouterr().err == (
        f"new/{last}: cannot write it: permission denied; nothing was written\n"
    )
    assert (snapshot(tmp_path), sorted(tmp_path.rglob("*"))) == before


def test_theme_copy_copies_all_templates_or_the_named_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    theme_templates = theme.theme_folder("templates")
    assert run("--root", str(tmp_path / "one"), "theme", "copy", "article.html") == 0
    assert snapshot(tmp_path / "one") == {
        "templates/article.html": (theme_templates / "article.html").read_bytes()
    }
    assert capsys.readouterr().out == "copied templates/article.html\n"

    assert run("--root", str(tmp_path / "all"), "theme", "copy") == 0
    assert snapshot(tmp_path / "all" / "templates") == snapshot(theme_templates)


def test_theme_copy_refuses_to_overwrite_and_copies_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "base.html").write_text("mine")
    assert run("--root", str(tmp_path), "theme", "copy", "article.html", "base.html") == 2
    assert "refusing to overwrite templates/base.html; nothing was copied" in (
        capsys.readouterr().err
    )
    assert snapshot(tmp_path) == {"templates/base.html": b"mine"}

    assert run("--root", str(tmp_path), "theme", "copy", "artcle.html") == 2
    err = capsys.readouterr().err
    assert "not a template of the default theme: artcle.html" in err
    assert "article.html" in err
    assert snapshot(tmp_path) == {"templates/base.html": b"mine"}


def test_theme_copy_refuses_a_file_where_the_templates_folder_goes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "templates").write_text("mine")
    assert run("--root", str(tmp_path), "theme", "copy", "article.html") == 2
    assert capsys.readouterr().err == (
        "templates: not a folder, so nothing could be written in it\n"
    )
    assert snapshot(tmp_path) == {"templates": b"mine"}


def test_a_copied_template_is_what_the_build_then_uses(tmp_path: Path) -> None:
    assert run("init", str(tmp_path)) == 0
    assert run("--root", str(tmp_path), "theme", "copy", "article.html") == 0
    own = tmp_path / "templates" / "article.html"
    own.write_text(own.read_text().replace("{% block main %}", "{% block main %}OWN", 1))
    config, _ = load_config(tmp_path)
    build(config)
    (example,) = load_archive(config)[0].articles
    page = (config.path("output") / urls.article_url(example)).read_text()
    assert "OWN" in page


def test_init_names_a_folder_with_spaces_as_a_shell_takes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("init", "my archive") == 0
    assert "Next: cd 'my archive' && newsgen new" in capsys.readouterr().out
