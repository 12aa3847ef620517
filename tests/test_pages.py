"""The site map: which pages exist for an archive, and how big ones are split."""

from __future__ import annotations

from collections.abc import Callable

from newsgen.config import Config
from newsgen.linkcheck import check_folder
from newsgen.pipeline import build

from .conftest import article_text


def test_a_country_with_many_articles_gets_a_page_per_year(site: Callable[..., Config]) -> None:
    articles = {
        f"a{i}.md": article_text(
            f"Report {i}", date=f"{2019 + i % 3}-0{i % 9 + 1}-01", countries="[UZ]"
        )
        for i in range(7)
    }
    articles["ru.md"] = article_text("Only Russia", countries="[RU]")
    config = site(
        articles, settings="country_page_size: 3\nlatest_count: 2\nbase_url: https://example.org/\n"
    )

    build(config)

    output = config.path("output")
    main = (output / "countries" / "uz.html").read_text()
    assert main.count('class="entry"') == 2  # the newest two
    for year, count in ((2019, 3), (2020, 2), (2021, 2)):
        page = (output / "countries" / "uz" / f"{year}.html").read_text()
        assert f'href="uz/{year}.html">{year}</a>' in main
        assert page.count('class="entry"') == count
        assert f"<h1>Uzbekistan, {year}</h1>" in page
        assert f'<strong aria-current="page">{year}</strong>' in page
    assert not (output / "countries" / "ru").exists()  # a small country stays one page
    assert (output / "countries" / "ru.html").read_text().count('class="entry"') == 1
    assert (
        "https://example.org/countries/uz/2020.html" in (output / "sitemap-pages.xml").read_text()
    )
    assert check_folder(output) == []


def test_adding_an_article_re_renders_only_its_countrys_year(site: Callable[..., Config]) -> None:
    articles = {
        f"a{i}.md": article_text(
            f"Report {i}", date=f"{2019 + i % 3}-0{i % 9 + 1}-01", countries="[UZ]"
        )
        for i in range(7)
    }
    config = site(articles, settings="country_page_size: 3\nlatest_count: 2\n")
    build(config)
    (config.path("source") / "new.md").write_text(
        article_text("New", date="2019-12-31", countries="[UZ]")
    )

    report = build(config)

    countries = sorted(url for url in report.written if url.startswith("countries/"))
    assert countries == ["countries/index.html", "countries/uz.html", "countries/uz/2019.html"]
