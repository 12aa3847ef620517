"""A time written without an offset is told in the site's time zone, and published with it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from zoneinfo import ZoneInfo

import feedparser
import pytest

from newsgen.cli import main
from newsgen.config import Config
from newsgen.pipeline import build

from .conftest import article_text


def _published(config: Config) -> tuple[str, str, str]:
    """The one article's time as the feed, the page's schema.org data and the open data give it."""
    output = config.path("output")
    feed = feedparser.parse((output / "feeds" / "all.atom.xml").read_bytes())
    (page,) = output.glob("articles/**/*.html")
    text = page.read_text()
    start = text.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    ld = json.loads(text[start : text.index("</script>", start)])
    (data,) = output.glob("data/articles/*.json")
    (record,) = json.loads(data.read_text())
    return feed.entries[0].published, ld["datePublished"], record["time"]


@pytest.mark.parametrize(
    ("zone", "written"),
    [
        ("Asia/Tashkent", "2021-10-14 09:30"),
        ("Europe/Berlin", "2021-07-01T09:30:00"),  # summer time
        ("Europe/Berlin", "2021-01-01T09:30:00"),
        ("America/New_York", "2021-03-14T12:00"),  # the day the clocks went forward
        ("UTC", "2021-10-14 09:30"),
    ],
)
def test_a_time_without_an_offset_is_the_site_time_zones(
    site: Callable[..., Config], zone: str, written: str
) -> None:
    config = site({"a.md": article_text(date=written)}, settings=f"timezone: {zone}\n")
    build(config)
    told = dt.datetime.fromisoformat(written.replace(" ", "T")).replace(tzinfo=ZoneInfo(zone))
    expected = told.isoformat()
    assert _published(config) == (expected, expected, expected)


def test_an_offset_written_wins_and_the_default_zone_is_utc(
    site: Callable[..., Config],
) -> None:
    config = site(
        {"a.md": article_text(date="2021-10-14T09:30:00-04:00")}, "timezone: Asia/Tokyo\n"
    )
    build(config)
    assert set(_published(config)) == {"2021-10-14T09:30:00-04:00"}
    config = site({"a.md": article_text(date="2021-10-14 09:30")}, "title: Default\n")
    build(config)
    assert set(_published(config)) == {"2021-10-14T09:30:00+00:00"}


def test_local_mean_time_is_given_in_whole_minutes(site: Callable[..., Config]) -> None:
    # Before standard zones, Tashkent's offset was local mean time, +04:37:11: RFC 3339 and
    # ISO 8601 as feeds and citations write them have minutes only.
    config = site({"a.md": article_text(date="1900-05-01 12:00")}, "timezone: Asia/Tashkent\n")
    build(config)
    offset = ZoneInfo("Asia/Tashkent").utcoffset(dt.datetime(1900, 5, 1, 12))
    assert offset is not None and offset.total_seconds() % 60  # the premise: seconds
    minutes = round(offset.total_seconds() / 60)
    expected = f"1900-05-01T12:00:00+{minutes // 60:02d}:{minutes % 60:02d}"
    assert set(_published(config)) == {expected}


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "../etc/passwd", "utc", "''"])
def test_an_unknown_time_zone_is_an_error_at_its_line(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], zone: str
) -> None:
    config = site({"a.md": article_text()})
    (config.root / "newsgen.yaml").write_text(f"title: T\ntimezone: {zone}\n")
    capsys.readouterr()
    assert main(["--root", str(config.root), "build"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("newsgen.yaml:2: unknown time zone"), err
    assert not config.path("output").exists()
