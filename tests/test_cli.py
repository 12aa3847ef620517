from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newsgen.cli import main
from newsgen.config import Config
from newsgen.pages import plan_pages
from newsgen.pipeline import load_archive

from .conftest import article_text, make_site, snapshot


def test_build_prints_a_summary(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text(countries="[UZ]")})
    assert main(["--root", str(config.root), "build"]) == 0
    out = capsys.readouterr().out
    # A search index shard is one page of the site map, however many files it writes.
    pages = len(plan_pages(load_archive(config)[0], config))
    assert out.startswith(f"Built {pages} pages from 1 article in ")
    assert "files written" in out


def test_source_and_output_options(site: Callable[..., Config], tmp_path: Path) -> None:
    config = site({})
    other = config.root / "drafts"
    other.mkdir()
    (other / "d.md").write_text(article_text("Draft"))
    assert main(["--root", str(config.root), "build", "--source", "drafts", "--output", "out"]) == 0
    assert (config.root / "out" / "articles" / "2021" / "10" / "14-draft.html").is_file()


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--no-such-option"]) == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2


def test_a_bad_setting_names_the_file(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text()})
    (config.root / "newsgen.yaml").write_text("title: [unclosed\n")
    assert main(["--root", str(config.root), "build"]) == 1
    assert capsys.readouterr().err.startswith("newsgen.yaml:2: cannot read the settings")


def test_an_unknown_setting_warns(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text()}, settings="titel: X\n")
    assert main(["--root", str(config.root), "build"]) == 0
    assert "newsgen.yaml:1: warning: unknown setting 'titel' is ignored" in capsys.readouterr().err


def test_an_unknown_site_language_is_an_error(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text()})
    (config.root / "newsgen.yaml").write_text("language: xx-nonsense\n")
    assert main(["--root", str(config.root), "build"]) == 1
    assert "unknown site language 'xx-nonsense'" in capsys.readouterr().err


def test_check_writes_nothing_and_passes(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text()})
    before = snapshot(config.root)
    assert main(["--root", str(config.root), "check"]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
    assert snapshot(config.root) == before


def test_check_reports_bad_articles(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text(date="2021-13-01")})
    assert main(["--root", str(config.root), "check"]) == 1
    assert "articles/a.md:3: 'date' is not a real date" in capsys.readouterr().err


def test_check_finds_broken_links_in_a_template(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text()})
    template = config.path("templates") / "404.html"
    template.write_text(template.read_text().replace("{{ link(urls.INDEX) }}", "/index.html"))
    assert main(["--root", str(config.root), "check"]) == 1
    err = capsys.readouterr().err
    assert "404.html:" in err and "starts with '/'" in err


def test_check_finds_broken_links_in_the_built_site(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str]
) -> None:
    config = site({"a.md": article_text(countries="[UZ]")})
    assert main(["--root", str(config.root), "build"]) == 0
    (config.path("output") / "countries" / "uz.html").unlink()
    capsys.readouterr()
    assert main(["--root", str(config.root), "check"]) == 1
    assert "which does not exist" in capsys.readouterr().err


def test_build_py_builds_the_project_it_stands_in(tmp_path: Path) -> None:
    import subprocess
    import sys

    from .conftest import PROJECT

    output = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(PROJECT / "build.py"), "--output", str(output)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (output / "index.html").is_file()


def test_workers_sets_the_processes_pages_render_on(
    site: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsgen import pipeline

    config = site({"a.md": article_text(countries="[UZ]")})
    asked: list[int | None] = []
    real = pipeline.LocalPool.render

    def spy(self: pipeline.LocalPool, *args: Any) -> Any:
        asked.append(self.workers)
        return real(self, *args)

    monkeypatch.setattr(pipeline.LocalPool, "render", spy)
    assert main(["--root", str(config.root), "build"]) == 0
    first = snapshot(config.path("output"))
    assert main(["--root", str(config.root), "build", "--full", "--workers", "3"]) == 0
    assert asked == [None, 3]
    assert snapshot(config.path("output")) == first


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--workers", "0"], "expected a whole number of 1 or more, not '0'"),
        (["--workers", "two"], "expected a whole number of 1 or more, not 'two'"),
        (["--workers", "2", "--dask", "tcp://127.0.0.1:1"], "not allowed with argument"),
    ],
)
def test_workers_must_be_a_count_and_not_a_cluster(
    arguments: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", *arguments]) == 2
    assert said in capsys.readouterr().err


@pytest.mark.parametrize(
    ("where", "said", "kept"),
    [
        # Rendering: before the commit point, the last site stands.
        ("newsgen.write.Staging.put", "the site was left as it was", True),
        # Between the journal and the last page in place: the next build finishes it.
        # (stopped here before its first page moved, it still holds the last site's pages)
        ("newsgen.write._finish", "until the next build finishes putting it in place", True),
        # After publishing (keeping the cache tidy): the new site is whole.
        ("newsgen.pipeline.prune_html_cache", "the new site was already in place", False),
    ],
)
def test_ctrl_c_says_what_it_left_of_the_site(
    site: Callable[..., Config],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    where: str,
    said: str,
    kept: bool,
) -> None:
    config = site({"a.md": article_text("One", countries="[UZ]")})
    assert main(["--root", str(config.root), "build"]) == 0
    before = snapshot(config.path("output"))
    (config.path("source") / "b.md").write_text(article_text("Two", countries="[KZ]"))

    def stop(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(where, stop)
    capsys.readouterr()
    assert main(["--root", str(config.root), "build"]) == 130
    message = capsys.readouterr().err.strip()
    assert said in message and "Traceback" not in message and message.count("\n") == 0
    assert (snapshot(config.path("output")) == before) is kept
    monkeypatch.undo()
    assert main(["--root", str(config.root), "build"]) == 0
    fresh = make_site(tmp_path / "fresh", {
        "a.md": article_text("One", countries="[UZ]"), "b.md": article_text("Two", countries="[KZ]")
    })  # fmt: skip
    assert main(["--root", str(fresh.root), "build"]) == 0
    assert snapshot(config.path("output")) == snapshot(fresh.path("output"))
