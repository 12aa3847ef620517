"""Pages → bytes: the Jinja environment, Markdown → safe HTML, and the template filters."""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import hashlib
import io
import re
import secrets
import traceback
import types
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from babel.dates import format_date
from markupsafe import Markup, escape

from newsgen import cite, urls
from newsgen import data as open_data
from newsgen.config import Config, local_time
from newsgen.countries import country_name, region_name
from newsgen.errors import ContentError, NewsgenError, TemplateError
from newsgen.frontmatter import CONTROL_CHARACTERS
from newsgen.locales import parse_locale
from newsgen.mdlinks import point_links
from newsgen.model import Article, Document, Notes, Page
from newsgen.outlets import outlet_named
from newsgen.theme import search_path

_MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]

# What sanitized Markdown may keep: the tags Markdown itself makes, and a few more.
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dfn", "div",
    "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": {"lang", "title", "dir"},
    "a": {"href"},
    "abbr": {"title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "time": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "ol": {"start"},
}
_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(
    text: str,
    allow_raw_html: bool,
    id_prefix: str = "body",
    path: Path | None = None,
    part: str = "the text nests",
) -> Markup:
    """An article body as HTML; raw HTML in it is sanitized unless the site trusts it.

    The ids Markdown makes (footnotes: ``fn-PREFIX-1``, ``fnref-PREFIX-1``; headings:
    ``PREFIX-h-methods``) carry id_prefix, so two bodies on one page cannot clash, nor a body
    with the page around it; a link to a heading of the text (``#methods``) is pointed at
    its id. An author's own id attributes are sanitized away.
    path: the file the text is from, which an error names, and part what of it nests too
    deeply when Markdown cannot parse it ("the notes nest").
    """
    converter, marker = _markdown()
    try:
        rendered = converter.reset().convert(text)
    except RecursionError:
        # Python-Markdown parses nested blocks by recursion: some 200 lists or quotes one
        # inside another exhaust Python's stack.
        raise ContentError(
            f"{part} too deeply to render (lists or quotes hundreds of levels inside one another)",
            path,
        ) from None
    if not allow_raw_html:
        import nh3  # here, not above: a build that renders no body need not load it

        rendered = nh3.clean(
            rendered,
            tags=_ALLOWED_TAGS,
            attributes=_ALLOWED_ATTRIBUTES_WITH_ID,
            attribute_filter=functools.partial(_keep_made_ids, marker),
            url_schemes=_URL_SCHEMES,
            link_rel="noopener noreferrer",
        )
    # A character reference (&#1;, &#xFFFF;) is decoded by the sanitizer into a character
    # that no page or feed may carry; the loader refuses the characters themselves.
    rendered = CONTROL_CHARACTERS.sub("", rendered)
    return Markup(rendered.replace(marker, id_prefix))


_FOOTNOTE_REST = re.compile(r"[\w.-]+")


def clean_cached(html: str, allow_raw_html: bool, id_prefix: str) -> Markup:
    """A body's HTML read back from the cache, sanitized again unless the site trusts raw HTML.

    The cache is a folder anyone who shares the project (or a CI cache) can write to, so
    what it holds is treated as untrusted: only the footnote and heading ids this body's
    Markdown makes may keep their id.
    """
    if allow_raw_html:
        return Markup(html)
    import nh3

    # Markdown's footnote and heading ids for this body: fn-PREFIX-…, fnref-PREFIX-… and
    # PREFIX-h-… (a pattern per body would be compiled anew for each: Python's cache of
    # patterns holds 512).
    heads = (f"fn-{id_prefix}-", f"fnref-{id_prefix}-", f"{id_prefix}-h-")

    def made(value: str) -> bool:
        return any(
            value.startswith(head) and _FOOTNOTE_REST.fullmatch(value, len(head)) is not None
            for head in heads
        )

    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES_WITH_ID,
        attribute_filter=lambda tag, name, value: (
            None if name == "id" and not made(value) else value
        ),
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(CONTROL_CHARACTERS.sub("", cleaned))


def notes_of(article: Article, text: str) -> Notes:
    """An article's notes as a record the body renderer takes; their ids differ from the body's."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Notes(text, article.url.removesuffix(".html") + "-notes.html", digest, article.path)


def body_id_prefix(article: Article | Document | Notes) -> str:
    """The prefix of the ids in an article's body, unique as its page's address is.

    Slugs may repeat (on other days), addresses may not: 'articles/2021/10/14-x.html'
    gives 'articles-2021-10-14-x'.
    """
    return _id_prefix(article.url)


def _id_prefix(url: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", url.removesuffix(".html")).strip("-")


def section_id(url: str, name: str) -> str:
    """The id of a heading of the body shown at an address, from the name a link gives it
    ('methods' on 'articles/2021/10/14-x.html': 'articles-2021-10-14-x-h-methods')."""
    return f"{_id_prefix(url)}-h-{section_name(name)}"


def section_name(text: str) -> str:
    """A heading's name in links: its words in lower case, punctuation dropped, each run of
    spaces and hyphens one hyphen ('Sources & thanks': 'sources-thanks'); composed first,
    so 'café' typed either way is one name. Python-Markdown's own slug, as GitHub's."""
    from markdown.extensions.toc import slugify_unicode

    return slugify_unicode(unicodedata.normalize("NFC", text), "-")


def body_key(article: Article | Document | Notes) -> str:
    """What an article's rendered body depends on, besides the settings: its text and its ids."""
    return f"{body_id_prefix(article)}:{article.body_digest}"


_ALLOWED_ATTRIBUTES_WITH_ID = {
    **_ALLOWED_ATTRIBUTES,
    "*": _ALLOWED_ATTRIBUTES["*"] | {"id"},
}


def _keep_made_ids(marker: str, tag: str, attribute: str, value: str) -> str | None:
    """Keep an id only where Markdown made it: it holds this process's unguessable marker."""
    if attribute == "id" and marker not in value:
        return None
    return value


@functools.cache
def _markdown() -> tuple[Any, str]:
    # Building the parser costs about as much as converting a short article: do it once.
    import secrets

    import markdown

    # Footnote and heading ids are made with a marker no author can know, so the sanitizer
    # can tell them from ids written by hand; the marker is replaced by a stable prefix after.
    marker = f"x{secrets.token_hex(12)}x"
    converter = markdown.Markdown(
        extensions=[*_MARKDOWN_EXTENSIONS, _sections(marker)],
        extension_configs={"extra": {"footnotes": {"SEPARATOR": f"-{marker}-"}}},
        output_format="html",
    )
    return converter, marker


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_STASHED = re.compile("\x02[^\x03]*\x03")  # Python-Markdown's placeholders for raw HTML


def _sections(marker: str) -> Any:
    """A Markdown extension: each heading gets an id from its name (``section_name``, or
    the author's own, ``## Method {#m}``), made unique in the text, with the marker the
    body's prefix replaces: PREFIX-h-method. A link to a heading of the same text
    (``[see](#method)``) leads to it. ("[TOC]" in a text stays text.)"""
    import markdown
    from markdown.treeprocessors import Treeprocessor

    head = f"{marker}-h-"

    class Sections(Treeprocessor):
        def run(self, root: Any) -> None:
            taken: set[str] = set()
            for heading in [e for e in root.iter() if e.tag in _HEADINGS]:
                own = heading.get("id")
                text = own if own else _STASHED.sub("", "".join(heading.itertext()))
                name = section_name(text) or "section"
                unique, count = name, 0
                while unique in taken:
                    count += 1
                    unique = f"{name}_{count}"
                taken.add(unique)
                heading.set("id", head + unique)
            if not taken:
                return
            for link in root.iter("a"):
                href = link.get("href", "")
                if href.startswith("#") and (name := section_name(unquote(href[1:]))) in taken:
                    link.set("href", f"#{head}{name}")

    class SectionsExtension(markdown.Extension):
        def extendMarkdown(self, md: markdown.Markdown) -> None:
            # After inline markup (20) and the author's attributes (attr_list, 8).
            md.treeprocessors.register(Sections(md), "sections", 5)

    return SectionsExtension()


# Callables that cannot carry a ``__call__`` of their own that takes a context.
_PLAIN_CALLABLES = frozenset(
    {
        types.FunctionType,
        types.MethodType,
        types.BuiltinFunctionType,
        types.BuiltinMethodType,
        functools.partial,
    }
)
_TAKES_EVAL_CONTEXT = getattr(jinja2.pass_eval_context(lambda ctx: ctx), "jinja_pass_arg", None)


class _Context(jinja2.runtime.Context):
    """Jinja's template context, with a shorter way to call a plain function.

    A template calls a function some fifty times a page, each through ``call``, which
    looks for a context-taking ``__call__`` on every callable. A plain function, method
    or partial cannot have one, so only its own mark is read; the answer is Jinja's.
    """

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call __obj as Jinja's Context.call does."""
        if type(__obj) in _PLAIN_CALLABLES:
            pass_arg = getattr(__obj, "jinja_pass_arg", None)
            if pass_arg is None or pass_arg is _TAKES_EVAL_CONTEXT:
                if kwargs:
                    kwargs.pop("_block_vars", None)
                    kwargs.pop("_loop_vars", None)
                if pass_arg is not None:
                    args = (__self.eval_ctx, *args)
                try:
                    return __obj(*args, **kwargs)
                except StopIteration:
                    return __self.environment.undefined(
                        "value was undefined because a callable raised a StopIteration exception"
                    )
        return super().call(__obj, *args, **kwargs)


class _Environment(jinja2.Environment):
    """Jinja's environment, whose templates see its globals as one plain dict.

    Jinja layers a template's globals over the environment's in a ChainMap, so that a
    global set after a template was loaded still shows (which its documentation asks
    not to rely on). Each page copies the globals into its context and compares their
    names with an imported template's, and through a ChainMap both run in Python. Ours
    are all set before any template loads.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals: the environment's, with the template's own over them."""
        return {**self.globals, **(d or {})}


def make_environment(config: Config, loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """The Jinja environment: autoescape everywhere, and a misspelt name fails the build.

    loader: where templates come from; by default the project's templates/ first, then
    the theme's (an own NAME.html replaces only that). Templates are compiled in each
    build, never kept: the cache folder holds data only, and a cache restored from
    elsewhere (a CI cache) must never run as code.
    """
    if loader is None:
        loader = jinja2.FileSystemLoader(search_path(config, "templates"))
    env = _Environment(
        loader=loader,
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # An environment lives for one build, and its templates do not change during it:
        # asking the loader whether each is still fresh, on every page, buys nothing.
        auto_reload=False,
    )
    env.context_class = _Context
    messages = translations(config.language)
    # An article page cites its article four times (the text and three downloads).
    reference = _last_reference(config)
    env.install_gettext_translations(messages, newstyle=True)  # type: ignore[attr-defined]
    gettext_, ngettext_ = _template_gettext(messages)
    shared = SharedMacros(env)
    env.globals.update(
        # A page's own code gets a link bound to it (render_page); the macros it imports
        # get this one.
        link=shared.link,
        cached_macro=shared.cached,
        # In place of the i18n extension's own: see _template_gettext.
        _=gettext_,
        gettext=gettext_,
        ngettext=ngettext_,
        site=config,
        urls=urls,
        lang_attr=lambda code, around=config.language: lang_attr(code, around),
        # The language the catalog writes the chrome in: where it is not the text's around
        # it (a site in a language with no catalog), the chrome's elements say so.
        chrome_language=chrome_language(config.language),
        text_direction=text_direction,
        absolute=lambda url: urls.absolute(config.base_url, url),
        entry_id=entry_id,
        feed_id=feed_id,
        news_article_ld=lambda a: news_article_ld(a, config.language),
        collection_ld=lambda code, articles: collection_ld(code, articles, config),
        search_records=lambda articles: search_records(articles, config.language),
        citation=lambda a: cite.citation_text(reference(a)),
        citation_data=lambda name, a: citation_data(name, a, config, reference(a)),
    )
    env.filters.update(
        long_date=long_date,
        month_name=month_name,
        month_abbr=month_abbr,
        country_name=lambda code, language=config.language: country_name(code, language),
        region_name=lambda code, language=config.language: region_name(code, language),
        language_name=lambda code, language=config.language: language_name(code, language),
        atom_date=lambda article: atom_date(article, config.timezone),
        plural=functools.partial(plural, messages),
        site_label=site_label,
        lang_span=lambda text, code, around=config.language: lang_span(text, code, around),
        by_story=by_story,
    )
    return env


def render_page(
    env: jinja2.Environment,
    page: Page,
    body: Callable[[Article | Document | Notes], Markup],
) -> bytes:
    """One page's bytes, or a TemplateError that names the template and line.

    A page whose template names a generated format (``GENERATED``) is made by its
    function from the page's context; the rest by Jinja. ``body`` renders Markdown: a
    record's body, or an article's notes.
    """
    if page.template in GENERATED:
        config = env.globals["site"]
        assert isinstance(config, Config)
        return GENERATED[page.template](page.context, config)
    try:
        template = env.get_template(page.template)
        bodies = {article.url: body(article) for article in page.bodies}
        linked = page.context.get("file_links")
        if linked:  # links to other articles' files lead to their pages
            to_page = functools.partial(urls.relative, page.url)
            bodies = {
                u: Markup(point_links(b, linked, to_page, section_id)) for u, b in bodies.items()
            }
        rendered_notes = {
            a.url: body(notes_of(a, a.notes))
            for a in page.bodies
            if isinstance(a, Article) and a.notes
        }
        link = _links_from(page, env)
        text = template.render(
            page.context,
            page_url=page.url,
            link=link,
            bodies=bodies,
            notes=rendered_notes,
        )
        shared = getattr(env.globals["cached_macro"], "__self__", None)
        if isinstance(shared, SharedMacros):
            text = shared.place_links(text, link)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            exc.message or "syntax error", _template_path(env, exc.name), exc.lineno
        ) from None
    except jinja2.TemplateNotFound as exc:
        # Named by an include, import or extends: the line that names it; else the folder.
        path, line = _template_frame(env, exc)
        raise TemplateError(
            f"template '{exc.name}' does not exist", path or _template_path(env, None), line
        ) from None
    except NewsgenError:
        raise  # already says where (a template that cannot be read, a body that cannot be)
    except Exception as exc:  # anything raised inside a template is the template's error
        path, line = _template_frame(env, exc)
        if path is None:
            raise
        raise TemplateError(f"while rendering {page.url}: {exc}", path, line) from None
    return text.encode("utf-8")


def _template_folders(env: jinja2.Environment) -> list[Path]:
    loader = env.loader
    if isinstance(loader, jinja2.FileSystemLoader):
        return [Path(folder) for folder in loader.searchpath]
    return [Path()]


def _template_path(env: jinja2.Environment, name: str | None) -> Path:
    """The file a template name stands for: the first folder that has it, as the loader looks."""
    folders = _template_folders(env)
    if name is None:
        return folders[0]
    return next((f / name for f in folders if (f / name).is_file()), folders[0] / name)


def _template_frame(env: jinja2.Environment, exc: BaseException) -> tuple[Path | None, int | None]:
    """The innermost template file and line in an exception's traceback."""
    folders = [folder.resolve() for folder in _template_folders(env)]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename)
        if path.is_absolute() and any(path.resolve().is_relative_to(f) for f in folders):
            return path, frame.lineno
    return None, None


class ShippedTemplates(jinja2.FileSystemLoader):
    """Templates read once where the build runs, served from memory where pages render.

    A worker on another machine cannot read the project's folders. It gets each template's
    source with the name of the file it came from, and the folders searched, so an error
    in a template names the same file and line wherever the page rendered.
    """

    def __init__(
        self,
        searchpath: list[str],
        sources: dict[str, tuple[str, str]],
        unreadable: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(searchpath)
        self.sources = sources
        self.unreadable = unreadable or {}
        """Files of the template folders that could not be read as text: what is wrong,
        and the file. Only a page that uses one fails, naming it; the rest (a stray
        image in templates/, say) are no template of ours."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        """A template's source and the file it was read from."""
        if template in self.unreadable:
            problem, filename = self.unreadable[template]
            raise TemplateError(problem, Path(filename))
        try:
            source, filename = self.sources[template]
        except KeyError:
            raise jinja2.TemplateNotFound(template) from None
        return source, filename, lambda: True

    def list_templates(self) -> list[str]:
        """Every template's name."""
        return sorted(self.sources)


def ship_templates(env: jinja2.Environment) -> ShippedTemplates:
    """Every template the environment can load, read now, to be sent where pages render."""
    loader = env.loader
    assert loader is not None
    searchpath = list(loader.searchpath) if isinstance(loader, jinja2.FileSystemLoader) else []
    sources: dict[str, tuple[str, str]] = {}
    unreadable: dict[str, tuple[str, str]] = {}
    for name in loader.list_templates():
        try:
            source, filename, _ = loader.get_source(env, name)
        except UnicodeDecodeError:
            unreadable[name] = ("cannot read the template: it is not UTF-8 text", name)
        except OSError as exc:
            unreadable[name] = (f"cannot read the template: {exc.strerror or exc}", name)
        else:
            sources[name] = (source, filename or name)
    # The file each unreadable name stands for, as the loader would have found it.
    for name, (problem, _) in unreadable.items():
        unreadable[name] = (problem, str(_template_path(env, name)))
    return ShippedTemplates([str(folder) for folder in searchpath], sources, unreadable)


# --- outputs made by code, not templates --------------------------------------------------


def _citations(format_name: str) -> Callable[[Mapping[str, Any], Config], bytes]:
    def make(context: Mapping[str, Any], config: Config) -> bytes:
        return cite.FORMATS[format_name](cite.reference(a, config) for a in context["articles"])

    return make


def _data_rows(context: Mapping[str, Any], config: Config) -> Iterator[dict[str, Any]]:
    return open_data.rows(
        context["articles"], config, context["mentions"], context["story_titles"], context["files"]
    )


GENERATED: dict[str, Callable[[Mapping[str, Any], Config], bytes]] = {
    **{f"cite:{name}": _citations(name) for name in cite.FORMATS},
    "data:json": lambda context, config: open_data.articles_json(_data_rows(context, config)),
    "data:csv": lambda context, config: open_data.articles_csv(_data_rows(context, config)),
    "data:package": lambda context, config: open_data.datapackage(config, context["years"]),
    "data:schema": lambda context, config: open_data.table_schema(),
}
"""Page 'templates' that are functions of the context: citation files and open data."""


# --- template helpers ------------------------------------------------------------------


def citation_data(
    format_name: str, article: Article, config: Config, ref: cite.Reference | None = None
) -> str:
    """An article's citation as a data: address, for a download link on its own page.

    A file per article and format would triple the files of a large archive (and its
    publishing time); the citation is a few hundred bytes, so it travels in the page.
    ref: the article's reference, when the caller has made it already.
    """
    data = cite.FORMATS[format_name]([ref or cite.reference(article, config)])
    return f"data:{cite.MEDIA_TYPES[format_name]};charset=utf-8,{percent_encode(data)}"


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_PERCENT = tuple(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256))


def percent_encode(data: bytes) -> str:
    """``urllib.parse.quote(data, safe='')``, character for character, in a third less time.

    Every article page carries three citations this way; quote() spends a call per byte.
    """
    return "".join(map(_PERCENT.__getitem__, data))


def _last_reference(config: Config) -> Callable[[Article], cite.Reference]:
    """cite.reference, remembering the last article's: a page asks for it several times."""
    last: list[tuple[Article, cite.Reference]] = []

    def reference(article: Article) -> cite.Reference:
        # By identity: the same record object, so the same reference (records are frozen).
        if last and last[0][0] is article:
            return last[0][1]
        ref = cite.reference(article, config)
        last[:] = [(article, ref)]
        return ref

    return reference


def site_label(url: str) -> str:
    """The site an address leads to, for its link's text: 'themoscowtimes.com'."""
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def by_story(articles: Sequence[Article]) -> list[tuple[Article, ...]]:
    """A listing's entries: the reports of one story in the list become one entry.

    An entry stands where its first report stands; its reports keep the list's order.
    """
    groups: dict[str, list[Article]] = {}
    entries: list[list[Article]] = []
    for article in articles:
        if article.story is None:
            entries.append([article])
        elif article.story in groups:
            groups[article.story].append(article)
        else:
            groups[article.story] = [article]
            entries.append(groups[article.story])
    return [tuple(entry) for entry in entries]


def _links_from(page: Page, env: jinja2.Environment) -> Callable[[str], str]:
    """``link`` for one page: the relative link from it to a page of the site.

    On the 404 page links are absolute: a server shows it at any missing address, at
    any depth, where a relative link would lead nowhere; with the site's address known,
    links use it. (A function taking the template's context would cost more: Jinja copies
    the context at each such call inside a loop or after a ``{% set %}`` in a block.)
    """
    if page.context.get("absolute_links"):
        config = env.globals["site"]
        assert isinstance(config, Config)
        return functools.partial(urls.absolute, config.base_url)
    return functools.partial(urls.relative, page.url)


class SharedMacros:
    """Macros that serve every page of a build: their modules made once, and their output
    (``cached_macro(template, name, *args)``) made once for its arguments and reused on
    every page that shows it; a listing entry stands on its countries', topics' and
    year's pages.

    A template's macros, imported without the page's context as the theme imports them,
    see only their arguments and the site-wide globals, so nothing of one page can reach
    another through them. Their links, which differ from page to page, come out as marks
    (the global ``link``), and each page replaces them with its own once it is rendered;
    a macro prints a link as it is (a mark taken apart, sliced or measured, is not one).
    A template that calls ``cached_macro`` must import from the macro's template (or be
    it): a page's fingerprint follows imports, so a change to the macro re-renders it.
    """

    KEPT = 20_000
    """Outputs kept at most (some 20 MB), so that a large archive's memory stays bounded."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        # Unguessable, so no text of an article can pass for a mark.
        self.token = secrets.token_hex(12)
        self.marks = re.compile(rf"{self.token}<(.*?)>{self.token}", re.DOTALL)
        self.made: dict[tuple[Any, ...], Markup] = {}

    def link(self, target: str) -> Markup:
        """A mark that stands for the link to target until the page is rendered."""
        return Markup(f"{self.token}<{target}>{self.token}")

    def cached(self, template: str, name: str, /, *args: Any, **kwargs: Any) -> Markup:
        """The macro's output for these arguments, from the cache when it was made before."""
        # With the arguments' types: 1 and True are equal keys but print differently.
        key = (template, name, args, tuple(map(type, args)), tuple(sorted(kwargs.items())))
        try:
            return self.made[key]
        except KeyError:
            pass
        except TypeError:  # an argument that cannot be a key: make it every time
            return Markup(self._macro(template, name)(*args, **kwargs))
        output = Markup(self._macro(template, name)(*args, **kwargs))
        if len(self.made) >= self.KEPT:
            del self.made[next(iter(self.made))]  # the oldest
        self.made[key] = output
        return output

    def _macro(self, template: str, name: str) -> Callable[..., Any]:
        # The module an import without context gets: made once, with the globals only.
        return getattr(self.env.get_template(template).module, name)  # type: ignore[no-any-return]

    def place_links(self, text: str, link: Callable[[str], str]) -> str:
        """A rendered page with the marks of its shared macros replaced by its own links."""
        if self.token not in text:
            return text
        # As printing link(target) in the page would have: escaped.
        return self.marks.sub(lambda match: escape(link(match[1])), text)


def _template_gettext(
    messages: gettext.NullTranslations,
) -> tuple[Callable[..., str], Callable[..., str]]:
    """Templates' ``gettext`` (also ``_``) and ``ngettext``, as the i18n extension's
    new-style ones answer, with each message looked up once per environment.

    The extension's functions take the template's context, which makes Jinja copy it at
    each call inside a loop or a block with a ``{% set %}``, and reach the catalog through
    two more calls; a page says some forty messages. Only autoescaping (the evaluation
    context) changes what they return, so that is all these take.
    """
    said: dict[str, str] = {}  # a message with no variables, as the page shows it
    found: dict[str, Markup] = {}
    found_plural: dict[tuple[str, str, int], Markup] = {}

    @jinja2.pass_eval_context
    def gettext_(eval_ctx: jinja2.nodes.EvalContext, string: str, /, **variables: Any) -> str:
        if not eval_ctx.autoescape:
            return messages.gettext(string) % variables
        if not variables:
            try:
                return said[string]
            except KeyError:
                pass
        try:
            text = found[string]
        except KeyError:
            text = found[string] = Markup(messages.gettext(string))
        # As the extension does: a message is always a format string, '%%' included.
        if variables:
            return text % variables
        result = said[string] = text % variables
        return result

    @jinja2.pass_eval_context
    def ngettext_(
        eval_ctx: jinja2.nodes.EvalContext,
        singular: str,
        plural: str,
        num: int,
        /,
        **variables: Any,
    ) -> str:
        variables.setdefault("num", num)
        if not eval_ctx.autoescape:
            return messages.ngettext(singular, plural, num) % variables
        key = (singular, plural, num)
        try:
            text = found_plural[key]
        except KeyError:
            text = found_plural[key] = Markup(messages.ngettext(singular, plural, num))
        return text % variables

    return gettext_, ngettext_


def lang_attr(code: str, around: str) -> Markup:
    """A ` lang` attribute for text in another language than the text around it, and a
    ` dir` where the direction changes (Arabic in English, English in Hebrew)."""
    if not code or code == around:  # "": the text is in the site's language
        return Markup("")
    direction = text_direction(code)
    turn = direction != text_direction(around)
    return Markup(' lang="{}"{}').format(code, Markup(f' dir="{direction}"') if turn else "")


def lang_span(text: str, code: str, around: str) -> Markup:
    """Text in a language, in a ``span`` that says which where it is not the language around
    it; else the text alone (escaped unless it is markup)."""
    attribute = lang_attr(code, around)
    if not attribute:
        return escape(text)
    return Markup("<span{}>{}</span>").format(attribute, text)


@functools.cache
def text_direction(code: str) -> str:
    """'rtl' for a language written right to left (CLDR's character order), else 'ltr'."""
    from babel import UnknownLocaleError

    try:
        order = parse_locale(code).character_order
    except (ValueError, UnknownLocaleError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


def plural(messages: gettext.NullTranslations, count: int, one: str, other: str) -> str:
    """A count with its noun in the site's language: '1 article', '5 Artikel', '5 статей'.

    The catalog holds the pair as '%(num)d article' / '%(num)d articles', the way
    templates write it with ngettext; a pair it lacks stays in English.
    """
    text = messages.ngettext(f"%(num)d {one}", f"%(num)d {other}", count)
    return text % {"num": count}


CATALOG_DOMAIN = "newsgen"
"""The gettext domain of the site's own words: locale/LANG/LC_MESSAGES/newsgen.po."""


def catalog_folder() -> Path:
    """Where the message catalogs of the site's chrome are, one folder per language."""
    return Path(__file__).resolve().parent / "locale"


def _catalog(language: str) -> tuple[str, Path] | None:
    """The chrome's catalog for a language: its folder's name and .po file, by the full tag,
    then the base language; None when there is neither."""
    tag = language.replace("-", "_")
    for name in (tag, tag.split("_")[0]):
        path = catalog_folder() / name / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"
        if path.is_file():
            return name, path
    return None


@functools.cache
def chrome_language(language: str) -> str:
    """The language (BCP 47) the chrome of a site in a language is written in: the one of the
    catalog translations() finds, or English (the msgids') where there is none.

    A regional variant read from its base language's catalog ('de-AT' from 'de') counts as
    the site's own language, as its readers take it; a variant of script ('sr-Latn' from
    'sr') does not, for its words are written otherwise.
    """
    found = _catalog(language)
    if found is None:
        return "en"
    name, tag = found[0], language.replace("-", "_")
    if name == tag:
        return language
    from babel.core import parse_locale as split_tag

    # The tag's own subtags only: Babel's Locale would add the likely script ('sr-RS' is Cyrl).
    try:
        script = split_tag(tag)[2]
    except ValueError:
        script = None
    return language if script is None else name.replace("_", "-")


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of the site's chrome for a language (BCP 47), or English when there is none.

    Catalogs ship as .po files, read and compiled here: there is no binary file to drift
    from its source.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    found = _catalog(language)
    if found is None:
        return gettext.NullTranslations()
    name, path = found
    with path.open("rb") as stream:
        catalog = read_po(stream, locale=name, domain=CATALOG_DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=CATALOG_DOMAIN)


@functools.cache
def long_date(value: dt.date, language: str) -> str:
    """A date written out in a language: '14 October 2021', '21. Januar 2025'."""
    return str(format_date(value, format="long", locale=parse_locale(language)))


@functools.cache
def month_name(month: int, language: str) -> str:
    """A month's name, as it stands alone, in a language."""
    return str(parse_locale(language).months["stand-alone"]["wide"][month])


@functools.cache
def month_abbr(month: int, language: str) -> str:
    """A month's short name, as it stands alone, in a language: 'Jan', 'Jän.'."""
    return str(parse_locale(language).months["stand-alone"]["abbreviated"][month])


@functools.cache
def language_name(code: str, language: str) -> str:
    """A language's name, written in another language: 'de' in English is 'German'."""
    target = parse_locale(code)
    name = parse_locale(language).languages.get(target.language) or code
    return str(name)


def atom_date(article: Article, zone: str = "UTC") -> str:
    """An article's time as RFC 3339; when only a date is known, midnight in the site's
    time zone (as midnight UTC, a reader west of it would see the day before)."""
    if article.timestamp is not None and article.timestamp.tzinfo is not None:
        return article.timestamp.isoformat()
    moment = article.timestamp or dt.datetime.combine(article.date, dt.time())
    return local_time(moment, zone).isoformat()


def entry_id(article: Article) -> str:
    """A feed entry id that stays the same while the article keeps its address."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"newsgen:article:{article.url}").urn


def feed_id(url: str) -> str:
    """A feed id that stays the same while the feed keeps its path."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"newsgen:feed:{url}").urn


def _place(code: str, language: str) -> dict[str, str]:
    return {"@type": "Country", "name": country_name(code, language), "identifier": code}


def news_article_ld(article: Article, language: str) -> dict[str, Any]:
    """schema.org NewsArticle data for an article page."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "datePublished": article.timestamp.isoformat()
        if article.timestamp
        else article.date.isoformat(),
        "inLanguage": article.language,
        "description": article.summary,
        "publisher": {"@type": "Organization", "name": article.source},
    }
    # This record's text is derived from the copy that was taken: the original, or a
    # repost or summary of it (via); the publisher stays the original's either way.
    based_on = article.via_url or article.source_url
    if based_on:
        data["isBasedOn"] = based_on
    if article.archived_url:
        data["archivedAt"] = article.archived_url
    if article.author:
        # A name alone does not say whether it is a person's or an organisation's: one the
        # table of outlets knows ('Reuters', 'ТАСС': a wire story's byline) is an outlet's.
        authors = [
            {"@type": "Organization" if outlet_named(name) else "Person", "name": name}
            for name in article.author
        ]
        data["author"] = authors[0] if len(authors) == 1 else authors
    if article.tags:
        data["keywords"] = list(article.tags)
    if article.countries:
        places = [_place(code, language) for code in article.countries]
        data["about"] = places
        data["contentLocation"] = places
    return data


def collection_ld(code: str, articles: tuple[Article, ...], config: Config) -> dict[str, Any]:
    """schema.org CollectionPage data for a country page."""
    page = urls.country_url(code)
    return {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": country_name(code, config.language),
        "inLanguage": config.language,
        "about": _place(code, config.language),
        "hasPart": [
            {
                "@type": "NewsArticle",
                "headline": a.title,
                "url": _ld_url(page, urls.article_url(a), config),
            }
            for a in articles[:100]
        ],
    }


def _ld_url(page: str, target: str, config: Config) -> str:
    # JSON-LD resolves a relative URL against the page it stands on.
    return (
        urls.absolute(config.base_url, target) if config.base_url else urls.relative(page, target)
    )


def search_records(articles: Iterable[Article], language: str) -> list[dict[str, Any]]:
    """A shard of the small title index the search page reads from ``file://``: what a
    listing shows, and no body."""
    return [
        {
            "url": urls.article_url(a),
            "title": a.title,
            "summary": a.summary,
            "date": a.date.isoformat(),
            "shown_date": long_date(a.date, language),
            "source": a.source,
            "lang": a.language,
            "language": language_name(a.language, language),
            "countries": [country_name(code, language) for code in a.countries],
            "topics": list(a.tags),
            "year": str(a.year),
        }
        for a in articles
    ]
