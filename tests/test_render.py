from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import quote

import jinja2
import pytest
from markupsafe import Markup

from newsgen import cite
from newsgen.config import Config
from newsgen.errors import BuildFailed, TemplateError
from newsgen.model import Page
from newsgen.pipeline import build, render_all
from newsgen.render import (
    SharedMacros,
    long_date,
    make_environment,
    percent_encode,
    render_markdown,
    render_page,
)

from .conftest import article_text

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"


def _a_citation_download(
    tag: str, name: str, value: str, attrs: list[tuple[str, str | None]]
) -> bool:
    """An article's own citation, offered for download: a data: link of a citation format,
    every byte of it percent-encoded, so nothing in it can be read as markup or script."""
    media, _, payload = value.removeprefix("data:").partition(",")
    return (
        tag == "a"
        and name == "href"
        and any(n == "download" for n, _ in attrs)
        and media.removesuffix(";charset=utf-8") in cite.MEDIA_TYPES.values()
        and re.fullmatch(r"[A-Za-z0-9%._~-]*", payload) is not None
    )


class _Scanner(HTMLParser):
    """Finds anything executable in an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if (
                value
                and re.match(r"\s*(javascript|vbscript|data):", value, re.I)
                and not _a_citation_download(tag, name, value, attrs)
            ):
                self.problems.append(f"<{tag} {name}={value}>")
        # The site's own scripts (the search page's) come from static/, never from content.
        own_script = any(n == "src" and v and v.endswith("static/search.js") for n, v in attrs)
        if tag == "script" and ("type", "application/ld+json") not in attrs and not own_script:
            self.problems.append("<script>")
        if tag == "form" and ("role", "search") in attrs:
            return
        if tag in {"iframe", "object", "embed", "form"}:
            self.problems.append(f"<{tag}>")


def test_markdown_keeps_structure_and_drops_scripts() -> None:
    html = render_markdown(
        '## Sub\n\n> quote\n\n<script>x()</script>\n\n<p onclick="x()">hi</p>\n\n'
        "[a](javascript:alert(1)) [b](https://example.org) <a href='vbscript:x'>c</a>\n",
        allow_raw_html=False,
    )
    assert '<h2 id="body-h-sub">Sub</h2>' in html and "<blockquote>" in html
    assert "<script" not in html and "onclick" not in html
    assert "javascript:" not in html and "vbscript:" not in html
    assert 'href="https://example.org"' in html


def test_trusted_raw_html_is_kept_when_allowed() -> None:
    assert '<video controls=""></video>' in render_markdown(
        '<video controls=""></video>\n', allow_raw_html=True
    )
    assert "<video" not in render_markdown('<video controls=""></video>\n', allow_raw_html=False)


def test_dates_are_written_in_the_articles_language() -> None:
    day = dt.date(2025, 1, 21)
    assert long_date(day, "de") == "21. Januar 2025"
    assert long_date(day, "en") == "January 21, 2025"
    assert long_date(day, "ru") == "21 января 2025\u202fг."


def test_no_payload_from_content_reaches_any_output_file(site: Callable[..., Config]) -> None:
    quoted = PAYLOAD.replace("\\", "\\\\").replace('"', '\\"')
    config = site(
        {
            "x.md": article_text(
                title=f'"{quoted}"',
                source=f'"{quoted}"',
                tags=f'["{quoted}"]',
                summary=f'"{quoted}"',
                author=f'"{quoted}"',
                story="xss",
                countries="[UZ]",
                body=f'{PAYLOAD}\n\n[click](javascript:alert(3))\n\n<a href="JaVaScRiPt:alert(4)">x</a>\n\n'
                "<svg onload=alert(5)></svg><iframe src=x></iframe>\n",
            ),
            "y.md": article_text(title="Sibling", story="xss", language="de", countries="[UZ]"),
        }
    )
    build(config)
    output = config.path("output")
    files = sorted(p for p in output.rglob("*") if p.is_file())
    assert len(files) > 10
    for path in files:
        # The search index's shards are compressed: their text is checked where it is shown.
        text = path.read_bytes().decode("utf-8", errors="replace")
        relative = path.relative_to(output).as_posix()
        if relative.startswith("data/") or path.name.endswith((".bib", ".ris", ".csl.json")):
            # Citations and open data are data, never served as markup: they keep a title
            # exactly as written, payload and all, for the reader's own tools.
            continue
        assert "<script>alert" not in text, path
        assert "javascript:" not in text.lower(), path
        if path.suffix == ".html":
            scanner = _Scanner()
            scanner.feed(text)
            assert scanner.problems == [], path
            for block in re.findall(
                r'<script type="application/ld\+json">(.*?)</script>', text, re.S
            ):
                assert "<" not in block and ">" not in block, path
    # The payload is shown as text, not dropped.
    page = (
        output / "articles/2021/10/14-script-alert-1-script-img-src-x-onerror-alert-2.html"
    ).read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    records = [r for p in output.glob("data/articles/*.json") for r in json.loads(p.read_text())]
    assert any(PAYLOAD in record["title"] for record in records)


def test_a_country_payload_is_an_error_not_output(site: Callable[..., Config]) -> None:
    config = site({"x.md": article_text(countries='["<script>alert(1)</script>"]')})
    with pytest.raises(BuildFailed) as failed:
        build(config)
    assert "unknown country '<script>alert(1)</script>'" in failed.value.errors[0].message


def test_a_misspelt_template_variable_fails_with_template_and_line(
    site: Callable[..., Config],
) -> None:
    config = site({"a.md": article_text()})
    template = config.path("templates") / "countries.html"
    template.write_text(template.read_text().replace("{% if regions |", "{% if regionz |"))
    with pytest.raises(BuildFailed) as failed:
        render_all(config)
    (error,) = failed.value.errors
    assert isinstance(error, TemplateError)
    assert error.path == template
    assert error.line == 6
    assert "'regionz' is undefined" in error.message


def test_a_template_syntax_error_names_template_and_line(site: Callable[..., Config]) -> None:
    config = site({"a.md": article_text()})
    (config.path("templates") / "404.html").write_text(
        "{% extends 'base.html' %}\n{% block main %}\n{% if %}\n"
    )
    with pytest.raises(BuildFailed) as failed:
        render_all(config)
    (error,) = failed.value.errors
    assert isinstance(error, TemplateError)
    assert error.path is not None and error.path.name == "404.html"
    assert error.line == 3


@pytest.mark.parametrize(
    "statement",
    ['{% include "nothere.html" %}', '{% from "nothere.html" import x %}{{ x() }}'],
)
def test_a_template_naming_one_that_does_not_exist_names_its_line(
    site: Callable[..., Config], statement: str
) -> None:
    config = site({"a.md": article_text()})
    template = config.path("templates") / "404.html"
    lines = template.read_text().split("\n")
    lines.insert(2, statement)
    template.write_text("\n".join(lines))
    with pytest.raises(BuildFailed) as failed:
        render_all(config)
    (error,) = failed.value.errors
    assert isinstance(error, TemplateError)
    assert (error.path, error.line) == (template, 3)
    assert error.message == "template 'nothere.html' does not exist"


# --- what rendering reuses across pages --------------------------------------------------

_FRAGMENT_TEMPLATES = {
    "m.html": (
        '{% macro entry(target, title) %}<a href="{{ link(target) }}">{{ title }}</a>'
        "{% endmacro %}"
        "{% macro nosy(x) %}{{ x }} {{ secret }}{% endmacro %}"
    ),
    "cached.html": '{{ cached_macro("m.html", "entry", target, title) }}',
    "direct.html": '{% from "m.html" import entry with context %}{{ entry(target, title) }}',
    "imported.html": '{% from "m.html" import entry %}{{ entry(target, title) }}',
    "nosy.html": '{{ cached_macro("m.html", "nosy", 1) }}',
}


def _fragment_environment(config: Config) -> jinja2.Environment:
    return make_environment(config, jinja2.DictLoader(_FRAGMENT_TEMPLATES))


def test_shared_and_cached_macros_give_each_page_its_own_links(
    site: Callable[..., Config],
) -> None:
    config = site({}, "base_url: https://example.org/archive/\n")
    env = _fragment_environment(config)
    # A target that needs escaping, as a story's key from an author might.
    context = {"target": 'stories/a&b".html', "title": "<Press review>"}
    pages = ["index.html", "countries/ru.html", "countries/ru/2021.html", "stories/x.html"]
    for url in pages:
        cached = render_page(env, Page(url, "cached.html", context), _no_body)
        direct = render_page(env, Page(url, "direct.html", context), _no_body)
        imported = render_page(env, Page(url, "imported.html", context), _no_body)
        assert cached == direct == imported
        assert b"&amp;" in cached and b"&lt;Press review&gt;" in cached
    # The 404 page's links are absolute, cached or not.
    missing = {**context, "absolute_links": True}
    cached = render_page(env, Page("404.html", "cached.html", missing), _no_body)
    assert cached == render_page(env, Page("404.html", "direct.html", missing), _no_body)
    assert cached == render_page(env, Page("404.html", "imported.html", missing), _no_body)
    assert b'href="https://example.org/archive/stories/a&amp;b&#34;.html"' in cached
    shared = getattr(env.globals["cached_macro"], "__self__", None)
    assert isinstance(shared, SharedMacros) and len(shared.made) == 1  # made once, reused


def test_a_cached_macro_cannot_see_the_page_it_stands_on(site: Callable[..., Config]) -> None:
    """What it makes is reused on other pages, so a page's variable must fail, not leak."""
    env = _fragment_environment(site({}))
    with pytest.raises(TemplateError, match="'secret' is undefined"):
        render_page(env, Page("index.html", "nosy.html", {"secret": "page one"}), _no_body)


def _no_body(record: object) -> Markup:
    raise AssertionError("these pages have no body")


def test_citation_downloads_are_percent_encoded_as_quote_does() -> None:
    samples = [bytes(range(256)), "Zürich — «press» 100% & co.\r\n".encode(), b""]
    for data in samples:
        assert percent_encode(data) == quote(data, safe="")


class _Callable:
    @jinja2.pass_context
    def __call__(self, context: jinja2.runtime.Context, x: int) -> str:
        return f"object {x} on {context['page']}"


def test_templates_call_functions_as_jinja_does(site: Callable[..., Config]) -> None:
    """The environment's shorter call path passes each kind of callable what Jinja would."""
    functions = {
        "plain": lambda x: f"plain {x}",
        "with_context": jinja2.pass_context(lambda c, x: f"context {x} on {c['page']}"),
        "with_eval": jinja2.pass_eval_context(lambda e, x: f"eval {x} {e.autoescape}"),
        "with_env": jinja2.pass_environment(lambda env, x: f"env {x} {env.autoescape}"),
        "part": functools.partial(lambda a, x: f"partial {a} {x}", "p"),
        "method": "[{}]".format,
        "builtin": abs,
        "obj": _Callable(),
    }
    source = (
        "{% for f in fs %}{{ f(n) }};{% endfor %}"
        "{% set local = 1 %}{% for f in [with_context, obj] %}{{ f(local) }};{% endfor %}"
    )
    outputs = []
    for context_class in (jinja2.runtime.Context, make_environment(site({})).context_class):
        env = jinja2.Environment(autoescape=True)
        env.context_class = context_class
        values = {**functions, "fs": list(functions.values()), "n": 2, "page": "p.html"}
        outputs.append(env.from_string(source).render(values))
    assert outputs[0] == outputs[1]
    assert "context 2 on p.html" in outputs[1] and "eval 2 True" in outputs[1]


def test_an_author_the_table_of_outlets_knows_is_an_organisation_in_schema_org() -> None:
    from pathlib import Path

    from newsgen.model import Article
    from newsgen.outlets import outlet_named
    from newsgen.render import news_article_ld

    names = ("Jane Doe", "Reuters", "ТАСС", "Max Müller")
    article = Article(
        Path("/a.md"), "a.html", "a", "A", dt.date(2021, 1, 1), "S", "en", (), (), "",
        author=names,
    )  # fmt: skip
    authors = news_article_ld(article, "en")["author"]
    assert [a["name"] for a in authors] == list(names)
    expected = ["Organization" if outlet_named(n) else "Person" for n in names]
    assert [a["@type"] for a in authors] == expected == [
        "Person", "Organization", "Organization", "Person"
    ]  # fmt: skip
