"""Incremental builds equal full builds, whatever sequence of changes came before."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsgen.config import Config, load_config
from newsgen.pipeline import build
from newsgen.state import BuildState, open_state

from .conftest import article_text, make_site, snapshot

_COUNTRIES = ["UZ", "RU", "Tadschikistan", "Kazakhstan", "US"]
# Tags whose slugs clash ("a b", "a-b") or that fold to one topic ("Energy", "energy").
_TAGS = ["a b", "a-b", "Energy", "energy", "water"]
# Small listings, so that country and topic pages split by year and feeds drop articles.
# A base URL, so that the sitemaps are made (and checked) too.
_SETTINGS = (
    "country_page_size: 3\nlatest_count: 2\nfeed_size: 3\nbase_url: https://example.org/a/\n"
)
_operation = st.one_of(
    st.tuples(
        st.just("add"), st.integers(0, 30), st.integers(1990, 2025), st.sampled_from(_COUNTRIES)
    ),
    st.tuples(
        st.just("edit-body"), st.integers(0, 30), st.text("abc xyz", min_size=1, max_size=12)
    ),
    st.tuples(
        st.just("edit-title"), st.integers(0, 30), st.text("abcdef ", min_size=1, max_size=12)
    ),
    st.tuples(st.just("edit-date"), st.integers(0, 30), st.integers(1990, 2025)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("rename"), st.integers(0, 30)),
    st.tuples(st.just("template"), st.sampled_from(["base.html", "_macros.html", "year.html"])),
    st.tuples(st.just("story"), st.integers(0, 30)),
    st.tuples(st.just("static"), st.text("abc", min_size=1, max_size=5)),
    # Edits that change one field, each moving an article between groups.
    st.tuples(st.just("set-countries"), st.integers(0, 30), st.lists(st.sampled_from(_COUNTRIES))),
    st.tuples(st.just("set-tags"), st.integers(0, 30), st.lists(st.sampled_from(_TAGS))),
    st.tuples(st.just("set-story"), st.integers(0, 30), st.sampled_from(["shared", "other", None])),
    st.tuples(st.just("set-time"), st.integers(0, 30), st.integers(0, 23)),
    st.tuples(st.just("mention"), st.integers(0, 30), st.sampled_from(["Kasachstan", "Peru"])),
    st.tuples(st.just("about"), st.text("abc ", min_size=1, max_size=8)),
    # A link to another article's file (every third to a file that is not there).
    st.tuples(st.just("link"), st.integers(0, 30), st.integers(0, 30)),
)


def _files(source: Path) -> list[Path]:
    return sorted(source.glob("*.md"))


def _apply(operation: tuple[object, ...], root: Path) -> None:
    source = root / "articles"
    files = _files(source)
    kind = operation[0]
    if kind == "add":
        _, n, year, country = operation
        assert isinstance(n, int)
        (source / f"new-{n}-{len(files)}.md").write_text(
            article_text(
                f"Article {n} {len(files)}",
                date=f"{year}-03-0{n % 9 + 1}",
                countries=f"[{country}]",
            )
        )
        return
    if kind == "template":
        path = root / "templates" / str(operation[1])
        path.write_text(path.read_text().replace("</", "<!-- changed --></", 1))
        return
    if kind == "static":
        with (root / "static" / "style.css").open("a") as stream:
            stream.write(f"/* {operation[1]} */\n")
        return
    if kind == "about":
        (root / "about.md").write_text(f"---\ntitle: About {operation[1]}\n---\nWho we are.\n")
        return
    if not files:
        return
    path = files[int(str(operation[1])) % len(files)]
    text = path.read_text()
    if kind == "edit-body":
        path.write_text(text + f"\n{operation[2]}\n")
    elif kind == "edit-title":
        path.write_text(text.replace("title: ", f"title: {str(operation[2]).strip() or 'x'} ", 1))
    elif kind == "edit-date":
        lines = [
            f"date: {operation[2]}-07-01" if line.startswith("date:") else line
            for line in text.split("\n")
        ]
        path.write_text("\n".join(lines))
    elif kind == "delete":
        path.unlink()
    elif kind == "rename":
        path.rename(path.with_name(f"renamed-{path.name}"))
    elif kind == "story":
        path.write_text(text.replace("---\n", "---\nstory: shared\n", 1))
    elif kind == "set-countries":
        path.write_text(_set_field(text, "countries", f"[{', '.join(operation[2])}]"))  # type: ignore[arg-type]
    elif kind == "set-tags":
        path.write_text(_set_field(text, "tags", f"[{', '.join(operation[2])}]"))  # type: ignore[arg-type]
    elif kind == "set-story":
        path.write_text(
            _set_field(text, "story", None if operation[2] is None else str(operation[2]))
        )
    elif kind == "set-time":
        date = next(line for line in text.split("\n") if line.startswith("date:"))[6:16]
        path.write_text(_set_field(text, "date", f"{date}T{operation[2]:02d}:00:00"))
    elif kind == "link":
        j = int(str(operation[2]))
        target = files[j % len(files)].name if j % 3 else f"gone-{j}.md"
        path.write_text(text + f"\nSee [the other report]({target}#part).\n")
    elif kind == "mention":
        path.write_text(text + f"\nOfficials in {operation[2]} said so.\n")


def _set_field(text: str, name: str, value: str | None) -> str:
    """The article's text with one front matter field set (None: removed)."""
    front, _, body = text.removeprefix("---\n").partition("\n---\n")
    lines = [line for line in front.split("\n") if not line.startswith(f"{name}:")]
    if value is not None:
        lines.append(f"{name}: {value}")
    return "---\n" + "\n".join(lines) + "\n---\n" + body


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_operation, min_size=1, max_size=8), st.booleans())
def test_incremental_output_equals_a_full_build(
    operations: list[tuple[object, ...]], in_memory: bool
) -> None:
    """in_memory: the build state is kept between builds, as the dev server keeps it."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        make_site(
            root,
            {
                # Few shared countries and topics, so related lists do not name everything.
                f"a{i}.md": article_text(
                    f"Start {i}",
                    date=f"200{i % 3}-01-0{i + 1}",
                    countries=f"[{_COUNTRIES[i % 4]}]",
                    tags=f"[{_TAGS[i % len(_TAGS)]}]" if i % 2 else "[]",
                )
                for i in range(6)
            },
            _SETTINGS,
        )
        config, _ = load_config(root)
        kept = BuildState(None, "") if in_memory else None
        build(config, state=kept)
        for operation in operations:
            _apply(operation, root)
            config, _ = load_config(root)
            try:
                build(config, state=kept)
            except Exception as incremental_error:  # e.g. two titles that now clash
                fresh = Path(folder) / "fresh"
                shutil.rmtree(fresh, ignore_errors=True)
                full_config, _ = load_config(
                    root, {"output": fresh, "cache": Path(folder) / "nocache"}
                )
                try:
                    build(full_config, full=True)
                except Exception as full_error:
                    assert type(full_error) is type(incremental_error)
                    continue
                raise
            fresh = Path(folder) / "fresh"
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.rmtree(Path(folder) / "nocache", ignore_errors=True)
            full_config, _ = load_config(root, {"output": fresh, "cache": Path(folder) / "nocache"})
            build(full_config, full=True)
            incremental = snapshot(config.path("output"))
            complete = snapshot(fresh)
            for files in (incremental, complete):
                files.pop(".newsgen-manifest.json")
            assert incremental == complete, operations


def test_a_pool_of_workers_gives_the_same_bytes(tmp_path: Path) -> None:
    articles = {
        f"a{i:03d}.md": article_text(
            f"Article {i}", date=f"{1990 + i % 30}-0{i % 9 + 1}-1{i % 9}", countries="[UZ]"
        )
        for i in range(240)
    }
    one = make_site(tmp_path / "one", articles)
    two = make_site(tmp_path / "two", articles)
    build(one, workers=1)
    build(two, workers=2)
    assert snapshot(one.path("output")) == snapshot(two.path("output"))


def test_a_kept_process_collects_what_each_rebuild_leaves(
    site: Callable[..., Config],
) -> None:
    """The dev server builds again and again in one process: garbage must not pile up."""
    config = site({f"a{n}.md": article_text(f"Report {n}", countries="[UZ]") for n in range(200)})
    edited, kept = config.path("source") / "a0.md", open_state(None, "")

    def rebuild(times: int, first: int) -> int:
        for i in range(first, first + times):
            edited.write_text(article_text("Report 0", countries="[UZ]", body=f"Edit {i}.\n"))
            os.utime(edited, ns=(10**18, 10**18 + i))
            build(config, state=kept)
        return gc.collect()  # what the rebuilds left for a collection that had not come

    build(config, state=kept)
    gc.collect()
    one = rebuild(1, 0)
    forty = rebuild(40, 1)
    kept.close()
    assert forty < 10 * max(one, 100), (one, forty)
