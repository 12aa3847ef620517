"""Whatever a file holds, the loader gives an Article or our own content error: never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsgen.config import Config
from newsgen.errors import ContentError, NewsgenError
from newsgen.load import load_article, parse_article
from newsgen.model import Article

CONFIG = Config(root=Path("/nonexistent"))
PATH = Path("/nonexistent/articles/fuzz.md")

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        ["2021-02-31", "2021-10-14", "NO", "../x", "Uzbekistan", "Киргизия", "US", "!!python/none"]
    ),
)
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "title",
        "date",
        "source",
        "source_url",
        "language",
        "countries",
        "tags",
        "summary",
        "story",
        "slug",
        "x",
    ]
)


def _check(article: Article | None, errors: list[NewsgenError]) -> None:
    assert (article is None) == bool(errors)
    assert all(isinstance(e, ContentError) for e in errors)
    for error in errors:
        assert error.path == PATH
        assert error.line is None or error.line >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=8), st.text(max_size=200))
def test_arbitrary_front_matter_structures(front: dict[str, Any], body: str) -> None:
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body
    article, errors, _ = parse_article(PATH, text, CONFIG)
    _check(article, errors)


_yamlish = st.text(alphabet=st.sampled_from(list("ab:-[]{}!&*|>'\"#%@ \n\t0129.,?")), max_size=120)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.builds(lambda front, body: f"---\n{front}\n---\n{body}", _yamlish, st.text(max_size=50)),
        st.builds(
            lambda front: f"---\ntitle: T\ndate: 2021-01-01\nsource: S\n{front}\n---\n", _yamlish
        ),
    )
)
def test_arbitrary_text(text: str) -> None:
    article, errors, _ = parse_article(PATH, text, CONFIG)
    _check(article, errors)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=300), st.booleans())
def test_arbitrary_bytes(tmp_path: Path, data: bytes, with_header: bool) -> None:
    root = tmp_path / "site"
    (root / "articles").mkdir(parents=True, exist_ok=True)
    path = root / "articles" / "fuzz.md"
    path.write_bytes((b"---\ntitle: T\n" if with_header else b"") + data)
    config = Config(root=root)
    article, errors, _ = load_article(path, config)
    assert (article is None) == bool(errors)
    assert all(isinstance(e, ContentError) and e.path == path for e in errors)
