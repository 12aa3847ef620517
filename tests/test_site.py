"""The real archive in articles/, built end to end and browsed by its links alone."""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
import sys
from collections import deque
from pathlib import Path

import pytest

from newsgen.cli import main
from newsgen.linkcheck import check_folder

from .conftest import PROJECT, snapshot

ARTICLES = sorted((PROJECT / "articles").glob("*.md"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("real") / "_site"
    assert main(["--root", str(PROJECT), "build", "--output", str(output)]) == 0
    return output


def _links(page: Path) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', page.read_text(encoding="utf-8"))


def test_every_page_is_reached_from_the_index_by_links_alone(built: Path) -> None:
    seen = {"index.html"}
    queue = deque(["index.html"])
    while queue:
        url = queue.popleft()
        if not url.endswith(".html"):
            continue
        for link in _links(built / url):
            if re.match(r"[a-z]+:", link) or link.startswith("#"):
                continue
            assert not link.startswith("/"), f"{url}: {link}"
            target = posixpath.normpath(posixpath.join(posixpath.dirname(url), link.split("#")[0]))
            assert (built / target).is_file(), f"{url} links to missing {target}"
            if target not in seen:
                seen.add(target)
                queue.append(target)
    pages = {p.relative_to(built).as_posix() for p in built.rglob("*.html")} - {"404.html"}
    assert pages <= seen
    assert len([p for p in seen if p.startswith("articles/")]) == len(ARTICLES)
    assert {
        "timeline/index.html",
        "countries/index.html",
        "countries/uz.html",
        "countries/tj.html",
    } <= seen


def test_our_link_checker_finds_nothing_broken(built: Path) -> None:
    assert check_folder(built) == []


def test_the_german_article_is_german(built: Path) -> None:
    page = (
        built
        / "articles"
        / "russland-und-usbekistan-vereinbaren-kooperation-im-militaerbereich-bis-2030.html"
    )
    text = page.read_text(encoding="utf-8")
    assert '<html lang="de">' in text
    assert "21. Januar 2025" in text


def test_the_two_reports_of_one_story_link_to_each_other(built: Path) -> None:
    german = "russland-und-usbekistan-vereinbaren-kooperation-im-militaerbereich-bis-2030.html"
    english = (
        "russia-and-uzbekistan-establish-military-strategic-partnership-plan-through-2030.html"
    )
    assert f'href="{english}" hreflang="en"' in (built / "articles" / german).read_text(
        encoding="utf-8"
    )
    assert f'href="{german}" hreflang="de"' in (built / "articles" / english).read_text(
        encoding="utf-8"
    )
    assert "also in German" in (built / "articles" / english).read_text(encoding="utf-8")


def test_countries_in_several_languages_share_one_page(built: Path) -> None:
    uzbekistan = (built / "countries" / "uz.html").read_text(encoding="utf-8")
    assert uzbekistan.count('class="entry"') == 4  # the German article names "Usbekistan"


def _build_in_child(output: Path, **env: str) -> dict[str, bytes]:
    environment = {**os.environ, **env}
    subprocess.run(
        [sys.executable, str(PROJECT / "build.py"), "--output", str(output)],
        check=True,
        env=environment,
        capture_output=True,
    )
    return snapshot(output)


def test_builds_are_byte_identical_under_any_hash_seed_time_zone_or_locale(tmp_path: Path) -> None:
    one = _build_in_child(tmp_path / "one", PYTHONHASHSEED="1", TZ="Pacific/Kiritimati", LC_ALL="C")
    two = _build_in_child(
        tmp_path / "two", PYTHONHASHSEED="4242", TZ="America/Adak", LC_ALL="C.UTF-8"
    )
    assert one == two
    assert len(one) > 30
