"""Open data: records → a JSON and a CSV file per year, and a Frictionless Data Package.

Pure functions. The columns are a table (a name, a Table Schema type, a description),
read by the CSV and JSON writers and by the table schema alike.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from newsgen import urls
from newsgen.config import Config
from newsgen.model import Article

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "string", "The record's identifier in this archive (also its citation key)."),
    ("slug", "string", "Its page's file name, made from the title unless given."),
    ("title", "string", "The headline."),
    ("date", "date", "When it was published."),
    ("time", "string", "The date-time of publication (ISO 8601), when known."),
    ("source", "string", "The original publisher."),
    ("source_url", "string", "The original's address, when known."),
    ("via", "string", "Where this copy of the text was found, when it is not the original."),
    ("via_url", "string", "The address of that copy."),
    ("retrieved", "date", "When the text was taken."),
    ("archived_url", "string", "A snapshot of the page, e.g. in a web archive."),
    ("notes", "string", "The curator's notes (Markdown): how the date was found, what was cut."),
    ("author", "string", "Who wrote it; several names are separated by '; '."),
    ("language", "string", "Its language, a BCP 47 tag."),
    ("countries", "array", "ISO 3166 codes of the countries it is about."),
    ("mentions", "array", "ISO 3166 codes of other countries its text names."),
    ("tags", "array", "Its topics."),
    ("summary", "string", "One paragraph."),
    ("story", "string", "The key shared by reports of one event."),
    ("story_title", "string", "The title of that story."),
    ("page", "string", "The record's page in this archive."),
    ("file", "string", "The article file the record was made from, in the project."),
)  # fmt: skip
"""Every exported field: name, Table Schema type, description."""

_CSV_LIST_SEPARATOR = "; "


def record_row(
    article: Article,
    config: Config,
    mentions: Sequence[str] = (),
    story_title: str | None = None,
    file: str = "",
) -> dict[str, Any]:
    """One record as plain values, by column name; lists stay lists, missing values None."""
    return {
        "id": urls.record_key(article),
        "slug": article.slug,
        "title": article.title,
        "date": article.date.isoformat(),
        "time": article.timestamp.isoformat() if article.timestamp else None,
        "source": article.source,
        "source_url": article.source_url,
        "via": article.via,
        "via_url": article.via_url,
        "retrieved": article.retrieved.isoformat() if article.retrieved else None,
        "archived_url": article.archived_url,
        "notes": article.notes,
        "author": "; ".join(article.author) or None,
        "language": article.language,
        "countries": list(article.countries),
        "mentions": list(mentions),
        "tags": list(article.tags),
        "summary": article.summary,
        "story": article.story,
        "story_title": story_title,
        "page": urls.absolute(config.base_url, urls.article_url(article)),
        "file": file,
    }


def rows(
    articles: Sequence[Article],
    config: Config,
    mentions: Mapping[str, Sequence[str]],
    story_titles: Mapping[str, str],
    files: Mapping[str, str],
) -> Iterator[dict[str, Any]]:
    """Every record's row, in the order given; mentions and files by address.

    One at a time: a writer turns each into text before the next is made.
    """
    return (
        record_row(
            a,
            config,
            mentions.get(a.url, ()),
            story_titles.get(a.story) if a.story else None,
            files.get(a.url, ""),
        )
        for a in articles
    )


def articles_json(table: Iterable[Mapping[str, Any]]) -> bytes:
    """The rows as a JSON array of objects, one record a line."""
    records = ",\n".join(json.dumps(row, ensure_ascii=False) for row in table)
    return f"[\n{records}\n]\n".encode()


def articles_csv(table: Iterable[Mapping[str, Any]]) -> bytes:
    """The rows as CSV (RFC 4180, UTF-8, a header row); lists joined with '; '."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(name for name, _, _ in COLUMNS)
    for row in table:
        writer.writerow(_csv_value(row[name], kind) for name, kind, _ in COLUMNS)
    return out.getvalue().encode("utf-8")


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "array":
        return _CSV_LIST_SEPARATOR.join(value)
    return str(value)


def table_schema() -> bytes:
    """The Table Schema every year's CSV file follows: one file, referred to by each resource."""
    fields = [
        {
            "name": name,
            # In CSV a list is text joined with '; ' (the description says so).
            "type": "string" if kind == "array" else kind,
            "description": description + (" In CSV, joined with '; '." if kind == "array" else ""),
        }
        for name, kind, description in COLUMNS
    ]
    schema = {"fields": fields, "primaryKey": ["id"], "missingValues": [""]}
    return (json.dumps(schema, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def datapackage(config: Config, years: Sequence[tuple[int, int]]) -> bytes:
    """The Frictionless Data Package descriptor: each year's CSV and JSON file a resource.

    years: (year, its number of records), oldest first. The descriptor depends on nothing
    else, so a change inside a year leaves it as it is.
    """
    from newsgen.urls import make_slug

    resources: list[dict[str, Any]] = []
    for year, count in years:
        records = f"{count} record{'' if count == 1 else 's'}"
        resources.append(
            {
                "name": f"articles-{year:04d}",
                "path": _in_data(urls.data_url("csv", year)),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": f"Articles of {year:04d}: {records}.",
                "schema": _in_data(urls.DATA_SCHEMA),
            }
        )
        resources.append(
            {
                "name": f"articles-{year:04d}-json",
                "path": _in_data(urls.data_url("json", year)),
                "format": "json",
                "mediatype": "application/json",
                "encoding": "utf-8",
                "description": (
                    f"Articles of {year:04d} as a JSON array of objects (lists are arrays): "
                    f"{records}."
                ),
            }
        )
    total = sum(count for _, count in years)
    descriptor = {
        "name": make_slug(config.title) or "news-archive",
        "title": config.title,
        "description": f"{config.description} {total} records, a file per year.",
        "resources": resources,
    }
    return (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _in_data(url: str) -> str:
    # Resource paths are relative to the descriptor, which lives beside them.
    return urls.relative(urls.DATAPACKAGE, url)
