"""The theme inside the package: a project without templates/ or static/ builds with it,
and a project's own file replaces just that one file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newsgen import theme, urls
from newsgen.config import Config, load_config
from newsgen.errors import BuildFailed, ConfigError, TemplateError
from newsgen.pages import plan_pages
from newsgen.pipeline import build, load_archive, render_all

from .conftest import PROJECT, article_text, make_site, snapshot

ARTICLES = {
    "a.md": article_text(title="Bases in Uzbekistan", countries="[UZ, RU]"),
    "b.md": article_text(title="Talks in Moscow", date="2019-03-02", countries="[RU]"),
    "c.md": article_text(title="Ohne Land", date="2020-07-01", language="de"),
}


def bare_project(root: Path, settings: str | None = None) -> Config:
    """A project folder holding only articles/ (and newsgen.yaml, if given)."""
    (root / "articles").mkdir(parents=True)
    for name, text in ARTICLES.items():
        (root / "articles" / name).write_text(text, encoding="utf-8")
    if settings is not None:
        (root / "newsgen.yaml").write_text(settings, encoding="utf-8")
    config, _ = load_config(root)
    return config


def published(config: Config) -> dict[str, bytes]:
    """The built site's files, without newsgen's own record of them."""
    files = snapshot(config.path("output"))
    files.pop(urls.MANIFEST)
    return files


def urls_using(config: Config, template: str) -> set[str]:
    """The pages of a site whose own template is the given one."""
    archive, _ = load_archive(config, use_cache=False)
    return {page.url for page in plan_pages(archive, config) if page.template == template}


def test_the_theme_of_a_checkout_is_the_repositorys_templates_and_static() -> None:
    assert theme.theme_folder("templates") == PROJECT / "templates"
    assert theme.theme_folder("static") == PROJECT / "static"


def test_a_project_with_only_articles_builds_as_one_with_the_theme_copied_in(
    tmp_path: Path,
) -> None:
    bare = bare_project(tmp_path / "bare")
    copied = make_site(tmp_path / "copied", ARTICLES)  # copies templates/ and static/
    assert not bare.path("templates").exists() and not bare.path("static").exists()

    build(bare)
    build(copied)

    built = published(bare)
    assert built == published(copied)
    assert "static/style.css" in built
    assert urls_using(bare, "article.html") <= set(built)


def test_overriding_one_template_re_renders_only_the_pages_that_use_it(tmp_path: Path) -> None:
    config = bare_project(tmp_path / "p")
    build(config)
    before = published(config)
    own = config.path("templates")
    own.mkdir()
    source = (theme.theme_folder("templates") / "country.html").read_text(encoding="utf-8")
    marked = source.replace("{% block main %}", "{% block main %}<p>OWN COUNTRY PAGE</p>", 1)
    assert marked != source
    (own / "country.html").write_text(marked, encoding="utf-8")

    report = build(config)

    after = published(config)
    expected = urls_using(config, "country.html")
    assert len(expected) == 2  # Russia and Uzbekistan
    assert set(report.written) == expected
    assert {url for url in after if after[url] != before.get(url)} == expected
    assert all("OWN COUNTRY PAGE" in after[url].decode() for url in expected)

    # Removing the override brings the theme's pages back, again only those.
    (own / "country.html").unlink()
    report = build(config)
    assert set(report.written) == expected
    assert published(config) == before


def test_overriding_an_included_template_re_renders_the_pages_that_include_it(
    tmp_path: Path,
) -> None:
    config = bare_project(tmp_path / "p")
    build(config)
    before = published(config)
    (config.path("templates")).mkdir()
    base = (theme.theme_folder("templates") / "base.html").read_text(encoding="utf-8")
    (config.path("templates") / "base.html").write_text(
        base.replace("</body>", "<!-- own base --></body>", 1), encoding="utf-8"
    )

    report = build(config)

    after = published(config)
    changed = {url for url in after if after[url] != before.get(url)}
    assert changed == set(report.written)
    assert changed == {url for url in after if b"<!-- own base -->" in after[url]}
    assert urls_using(config, "article.html") <= changed
    assert not any(url.endswith(".xml") for url in changed)  # feeds do not extend base.html


def test_a_changed_theme_re_renders_exactly_the_pages_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a newsgen upgrade does to a project: the same project, a different theme.
    old_theme = tmp_path / "theme"
    shutil.copytree(theme.theme_folder("templates"), old_theme / "templates")
    shutil.copytree(theme.theme_folder("static"), old_theme / "static")
    monkeypatch.setattr(theme, "theme_folder", lambda part: old_theme / part)
    config = bare_project(tmp_path / "p")
    build(config)
    before = published(config)
    article = old_theme / "templates" / "article.html"
    article.write_text(
        article.read_text(encoding="utf-8").replace(
            "{% block main %}", "{% block main %}<p>NEW THEME</p>", 1
        ),
        encoding="utf-8",
    )
    css = old_theme / "static" / "style.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* new */\n", encoding="utf-8")

    report = build(config)

    expected = urls_using(config, "article.html") | {"static/style.css"}
    assert set(report.written) == expected
    after = published(config)
    assert {url for url in after if after[url] != before.get(url)} == expected


def test_a_projects_static_file_replaces_only_the_theme_file_of_its_name(tmp_path: Path) -> None:
    config = bare_project(tmp_path / "p")
    own = config.path("static")
    (own / "img").mkdir(parents=True)
    (own / "img" / "logo.svg").write_text("<svg/>", encoding="utf-8")
    (own / ".hidden").write_text("not published", encoding="utf-8")
    build(config)
    output = config.path("output")
    theme_css = (theme.theme_folder("static") / "style.css").read_bytes()
    assert (output / "static" / "style.css").read_bytes() == theme_css
    assert (output / "static" / "img" / "logo.svg").read_text() == "<svg/>"
    assert not (output / "static" / ".hidden").exists()

    (own / "style.css").write_text("body { color: teal }\n", encoding="utf-8")
    report = build(config)
    assert report.written == ["static/style.css"]
    assert (output / "static" / "style.css").read_text() == "body { color: teal }\n"


def test_an_error_in_an_own_template_names_the_projects_file_and_line(tmp_path: Path) -> None:
    config = bare_project(tmp_path / "p")
    config.path("templates").mkdir()
    own = config.path("templates") / "countries.html"
    theme_source = (theme.theme_folder("templates") / "countries.html").read_text()
    # A misspelt name on the line after the main block opens.
    head, tail = theme_source.split("{% block main %}\n", 1)
    own.write_text(f"{head}{{% block main %}}\n<p>{{{{ countrees }}}}</p>\n{tail}")
    with pytest.raises(BuildFailed) as failed:
        render_all(config)
    (error,) = failed.value.errors
    assert isinstance(error, TemplateError)
    assert "'countrees' is undefined" in error.message
    assert error.path == own
    assert error.line == head.count("\n") + 2

    own.write_text("{% extends 'base.html' %}\n{% block main %}\n{% if %}\n")
    with pytest.raises(BuildFailed) as failed:
        render_all(config)
    (error,) = failed.value.errors
    assert (error.path, error.line) == (own, 3)


def test_an_error_in_a_theme_template_names_the_theme_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "theme"
    shutil.copytree(theme.theme_folder("templates"), broken / "templates")
    shutil.copytree(theme.theme_folder("static"), broken / "static")
    (broken / "templates" / "404.html").write_text("{% block main %}{{ nothing.here }}\n")
    monkeypatch.setattr(theme, "theme_folder", lambda part: broken / part)
    config = bare_project(tmp_path / "p")
    config.path("templates").mkdir()  # an own folder that does not override 404.html
    with pytest.raises(BuildFailed) as failed:
        render_all(config)
    (error,) = failed.value.errors
    assert (error.path, error.line) == (broken / "templates" / "404.html", 1)


@pytest.mark.parametrize("part", ["templates", "static"])
def test_a_folder_named_in_the_settings_must_exist(tmp_path: Path, part: str) -> None:
    config = bare_project(tmp_path / "p", f"{part}: my-{part}\n")
    with pytest.raises(ConfigError) as raised:
        build(config)
    assert raised.value.describe(config.root) == f"my-{part}: the {part} folder does not exist"
    assert not config.path("output").exists()
