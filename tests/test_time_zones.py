"""A time written without an offset is told in the site's time zone, and published with it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
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


def _refused(config: Config, settings: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What a build says on stderr with these settings written; it must fail (exit 1)."""
    (config.root / "newsgen.yaml").write_text(settings)
    capsys.readouterr()
    assert main(["--root", str(config.root), "build"]) == 1
    return capsys.readouterr().err


@pytest.mark.parametrize(
    "zone",
    # Not zones, or files of the system's zone folder that are no IANA zone of their own.
    ["Mars/Olympus", "Europe", "../etc/passwd", "utc", "''", "localtime", "posixrules",
     "right/UTC", "Factory"],
)  # fmt: skip
def test_an_unknown_time_zone_is_an_error_at_its_line(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], zone: str
) -> None:
    config = site({"a.md": article_text()})
    err = _refused(config, f"title: T\ntimezone: {zone}\n", capsys)
    assert err.startswith("newsgen.yaml:2: unknown time zone"), err
    assert not config.path("output").exists()


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("2021-03-28 02:30", "'date': the clocks skipped 02:30 that day in Europe/Berlin"),
        ("2021-10-31 02:30", "'date': 02:30 came twice that day in Europe/Berlin"),
    ],
)
def test_a_time_the_clocks_skipped_or_passed_twice_is_a_warning_at_its_line(
    site: Callable[..., Config], written: str, said: str
) -> None:
    config = site({"a.md": article_text(date=written)}, "timezone: Europe/Berlin\n")
    (warning,) = build(config).warnings
    assert warning.message.startswith(said)
    assert warning.line == 3  # title, date: the date's line of the file


def test_zones_come_from_tzdata_not_the_system(tmp_path: Path) -> None:
    import zoneinfo
    from importlib import resources

    from newsgen import config

    # A system whose zone files say otherwise (here: Berlin's rules under Tashkent's name, as
    # an older or newer release may differ): the zone still comes from tzdata.
    berlin = resources.files("tzdata.zoneinfo").joinpath("Europe", "Berlin").read_bytes()
    (tmp_path / "Asia").mkdir()
    (tmp_path / "Asia" / "Tashkent").write_bytes(berlin)
    config.time_zone.cache_clear()
    zoneinfo.reset_tzpath([str(tmp_path)])
    assert zoneinfo.ZoneInfo.no_cache("Asia/Tashkent").utcoffset(dt.datetime(2021, 1, 1)) == (
        dt.timedelta(hours=1)
    )  # the premise: the system's file is read by zoneinfo itself
    try:
        zone = config.time_zone("Asia/Tashkent")
        assert zone is not None
        assert zone.utcoffset(dt.datetime(2021, 1, 1)) == dt.timedelta(hours=5)
    finally:
        zoneinfo.reset_tzpath()
        config.time_zone.cache_clear()


def test_a_date_alone_is_midnight_in_the_site_time_zone_in_feeds(
    site: Callable[..., Config],
) -> None:
    # As midnight UTC, a reader in New York would see the evening before.
    config = site({"a.md": article_text(date="2021-10-14")}, "timezone: America/New_York\n")
    build(config)
    feed = feedparser.parse((config.path("output") / "feeds" / "all.atom.xml").read_bytes())
    assert feed.entries[0].published == "2021-10-14T00:00:00-04:00"


@pytest.mark.parametrize(
    ("written", "meant"),
    [("utc", "UTC"), ("Europe/Berln", "Europe/Berlin"), ("asia/tashkent", "Asia/Tashkent")],
)
def test_an_unknown_time_zone_suggests_the_nearest(
    site: Callable[..., Config], capsys: pytest.CaptureFixture[str], written: str, meant: str
) -> None:
    config = site({"a.md": article_text()})
    assert f"did you mean {meant}?" in _refused(config, f"timezone: {written}\n", capsys)
