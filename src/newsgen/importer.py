"""Raw article text (as copied from a web page) → a draft article with front matter.

The text is cleaned of page clutter (comment forms, share buttons, related
links, copyright lines, reader notices), and what can be inferred is: the
title, a summary, the language, the countries named, the date, the source.
Whatever could not be inferred is marked ``TODO`` for the author.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import yaml
from babel import Locale

from newsgen.countries import country_name, find_mentions
from newsgen.urls import make_slug

TODO = "TODO"

# Whole lines that are page furniture, never article text (matched case-blind).
_CLUTTER_LINES = [
    r"leave a (reply|comment)",
    r"fill in your details below or click an icon to log in:?",
    r"you are commenting using your .* account\..*",
    r".*\blog out\b.*change \)",
    r"(wordpress\.com logo|google\+ photo|twitter picture|facebook photo)",
    r"connecting to %s",
    r"notify me of (new comments|new posts).*",
    r"accessibility links",
    r"breaking news",
    r"skip to (main )?content",
    r"share( this( article)?)?:?",
    r"(share|post) on (facebook|twitter|x|linkedin|whatsapp|telegram|reddit|email)",
    r"(tweet|email|print|facebook|twitter|whatsapp|telegram|linkedin)",
    r"related( articles| posts| stories| coverage)?:?",
    r"(read|see) (more|also):?.*",
    r"(subscribe|sign up)\b.*\b(newsletter|updates|inbox)\b.*",
    r"(©|\(c\)|copyright\b).*",
    r".*\ball rights reserved\b.*",
    r"mehr zum thema\b.*",
    r"original source:.*",
    r"source:\s*www\..*",
    r"via\b.*",
    r"posted:?.*\bin\b.*",
    r"to find out more, click here\.?",
    r".*\bclick here\b.*",
    r".*has been declared an \"?undesirable organization\"?.*",
    r"if you are in russia or the russia-controlled parts of ukraine.*",
    r"advertisement",
    r"comments?( \(\d+\))?",
]  # fmt: skip
_CLUTTER = re.compile("|".join(f"(?:{p})" for p in _CLUTTER_LINES), re.IGNORECASE)

# "Original Source: www.themoscowtimes.com", "(Reuters) –", "Moscow, 14 November 2005 (RFE/RL) --"
_AGENCIES = {
    "Reuters": "Reuters", "AP": "Associated Press", "AFP": "Agence France-Presse",
    "RFE/RL": "Radio Free Europe/Radio Liberty", "dpa": "dpa", "TASS": "TASS",
    "Interfax": "Interfax", "Xinhua": "Xinhua", "Anadolu": "Anadolu Agency",
}  # fmt: skip
_KNOWN_SITES = {
    "themoscowtimes.com": "The Moscow Times", "reuters.com": "Reuters",
    "rferl.org": "Radio Free Europe/Radio Liberty", "aa.com.tr": "Anadolu Agency",
    "de.rt.com": "RT DE", "rt.com": "RT", "tass.com": "TASS",
}  # fmt: skip
_PHOTO_CREDIT = re.compile(
    r"^.*?\((?:file photo|AFP|AP|Reuters|EPA|Getty Images)\)\s+(?=[A-Z][\w .'-]*, \d)"
)


@dataclass
class Draft:
    """What the importer made of a raw text."""

    title: str
    body: str
    language: str
    countries: list[str]
    date: dt.date | None
    date_evidence: str | None
    source: str | None
    summary: str | None
    removed: list[str] = field(default_factory=list)
    """The clutter lines that were dropped, for the author to glance over."""

    def file_name(self, today: dt.date) -> str:
        """The name the draft is written under: its date, then a short slug of its title."""
        return draft_file_name(self.title, self.date or today, self.language)

    def to_markdown(self, today: dt.date) -> str:
        """The draft as an article file; what must be checked is marked TODO."""
        lines = ["---", f"title: {_yaml(self.title)}"]
        if self.date:
            lines.append(f"date: {self.date.isoformat()}  # from: {self.date_evidence} (check it)")
        else:
            lines.append(
                f"date: {today.isoformat()}  # TODO: no date in the text; today's stands in"
            )
        if self.source:
            lines.append(f"source: {_yaml(self.source)}  # inferred: check it")
        else:
            lines.append("source: TODO  # who published it?")
        lines.append(f"language: {self.language}")
        countries = ", ".join(country_name(code, "en") for code in self.countries)
        lines.append(f"countries: [{countries}]  # named in the text, most often first")
        lines.append("tags: []  # TODO: topics")
        if self.summary:
            lines.append(f"summary: {_yaml(self.summary)}")
        lines.append("---")
        return "\n".join(lines) + "\n" + self.body


def draft_file_name(title: str, date: dt.date, language: str) -> str:
    """A new article's file name: '2025-01-21-short-ascii-slug.md'."""
    slug = make_slug(title, language)[:60].rstrip("-") or "article"
    return f"{date.isoformat()}-{slug}.md"


def new_article(
    title: str,
    date: dt.date,
    source: str | None,
    language: str,
    countries: list[str],
    tags: list[str],
    story: str | None,
) -> str:
    """A front-matter skeleton for an article written by hand; unknowns are marked TODO."""
    lines = ["---", f"title: {_yaml(title)}", f"date: {date.isoformat()}"]
    lines.append(f"source: {_yaml(source)}" if source else "source: TODO  # who published it?")
    lines.append(f"language: {language}")
    if countries:
        lines.append(f"countries: [{', '.join(_yaml(c) for c in countries)}]")
    else:
        lines.append("countries: []  # TODO: which countries does it concern?")
    if tags:
        lines.append(f"tags: [{', '.join(_yaml(t) for t in tags)}]")
    else:
        lines.append("tags: []  # TODO: topics")
    lines.append("# source_url: https://…  (where it was published)")
    lines.append("# summary: one paragraph for listings and feeds (default: the first paragraph)")
    if story:
        lines.append(f"story: {_yaml(story)}")
    lines.append("---")
    return "\n".join(lines) + "\nTODO: the article's text, in Markdown.\n"


def _yaml(value: str) -> str:
    return (
        yaml.safe_dump(value, allow_unicode=True, width=10_000, default_style=None)
        .strip()
        .removesuffix("\n...")
    )


def import_text(raw: str) -> Draft:
    """Clean a raw article text and infer its front matter."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = [_PHOTO_CREDIT.sub("", line.strip()) for line in text.split("\n")]
    source = _find_source(lines)
    date, evidence = _find_date(lines)
    kept, removed = _strip_clutter(lines)
    title, rest = _split_title(kept)
    title = re.sub(r"\s+[|–-]\s+(Reuters|AP|AFP|RFE/RL)\s*$", "", title)
    rest = [line for line in rest if line != title]  # headlines repeated by the page
    summary, paragraphs = _split_summary(rest)
    language = detect_language(" ".join([title, *paragraphs[:5]]))
    if date is None:
        date, evidence = _find_date(paragraphs[:3], language)
    countries = find_mentions("\n".join([title, summary or "", *paragraphs]), language)
    body = "\n\n".join(_as_markdown(p) for p in paragraphs) + "\n"
    return Draft(title, body, language, countries, date, evidence, source, summary, removed)


def detect_language(text: str) -> str:
    """The language of a text, as a BCP 47 code, by py3langid's bundled model."""
    import py3langid

    code, _ = py3langid.classify(text)
    return str(code)


def _strip_clutter(lines: list[str]) -> tuple[list[str], list[str]]:
    kept: list[str] = []
    removed: list[str] = []
    for index, line in enumerate(lines):
        if not line:
            continue
        if _CLUTTER.fullmatch(line):
            removed.append(line)
            continue
        # A box of related coverage: a heading printed twice, then its blurb, to the end.
        if kept and line == kept[-1] and len(line) < 60 and index > len(lines) // 2:
            removed.extend([kept.pop(), *[x for x in lines[index:] if x]])
            break
        kept.append(line)
    return kept, removed


def _split_title(lines: list[str]) -> tuple[str, list[str]]:
    if not lines:
        return "Untitled", []
    first = lines[0]
    if (len(first) <= 160 and not first.endswith((".", "!", "?"))) or len(first) <= 100:
        return first, lines[1:]
    # No headline: the text opens with a paragraph. Its first clause stands in as a title.
    sentence = re.split(r"(?<=[.!?])\s", first)[0].rstrip(".")
    clause = sentence.split(", ")[0]
    words = (clause if len(clause.split()) >= 6 else sentence).split()
    return (" ".join(words[:16]) + ("…" if len(words) > 16 else "")), lines


def _split_summary(lines: list[str]) -> tuple[str | None, list[str]]:
    """A standfirst (a short first paragraph before the story proper) becomes the summary."""
    if (
        len(lines) >= 3
        and len(lines[0]) < 400
        and not _DATELINE.match(lines[0])
        and not lines[0].startswith("(")
    ):
        return lines[0], lines[1:]
    return None, lines


_DATELINE = re.compile(r"^[A-Z][\w .'-]*, \d{1,2} \w+ \d{4} \(|^\(\w[\w/ ]*\)")


def _as_markdown(paragraph: str) -> str:
    # A short line with no closing punctuation between paragraphs is a sub-head.
    if (
        len(paragraph) < 60
        and not re.search(r"[.!?:;,\"”“»)]$", paragraph)
        and paragraph[:1].isupper()
    ):
        return f"## {paragraph}"
    return paragraph


def _find_source(lines: list[str]) -> str | None:
    for line in lines:
        match = re.match(r"(?i)original source:\s*(?:https?://)?(?:www\.)?([^\s/]+)", line)
        if match:
            site = match.group(1).lower()
            return _KNOWN_SITES.get(site, site)
    for line in lines[:12]:
        # The agency in a dateline: "(Reuters) –", "Moscow, 14 November 2005 (RFE/RL) --".
        match = re.search(
            r"(?:^|\d{4} )\((" + "|".join(re.escape(a) for a in _AGENCIES) + r")\)", line
        )
        if match:
            return _AGENCIES[match.group(1)]
        match = re.search(r"\|\s*(" + "|".join(re.escape(a) for a in _AGENCIES) + r")\s*$", line)
        if match:
            return _AGENCIES[match.group(1)]
    if any(re.match(r"(?i)mehr zum thema\b", line) for line in lines):
        return "RT DE"  # its sign-off for related links
    return None


def _find_date(lines: list[str], language: str = "en") -> tuple[dt.date | None, str | None]:
    patterns = _date_patterns(language)
    for line in lines[:40]:
        for pattern in patterns:
            match = pattern.search(line)
            if match:
                found = _to_date(match, language)
                if found:
                    return found, f'"{match.group(0).strip()}"'
    return None, None


def _date_patterns(language: str) -> list[re.Pattern[str]]:
    months = "|".join(sorted(_month_names(language), key=len, reverse=True))
    return [
        re.compile(
            r"(?i)\bposted:?\s+(?P<month>" + months + r")\.?\s+(?P<day>\d{1,2}),\s+(?P<year>\d{4})"
        ),
        re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<mon>\d{2})-(?P<day>\d{2})\b"),
        re.compile(
            r"(?i)\b(?P<day>\d{1,2})\.?\s+(?P<month>"
            + months
            + r")\.?\s+(?P<year>(?:19|20)\d{2})\b"
        ),
        re.compile(
            r"(?i)\b(?P<month>" + months + r")\.?\s+(?P<day>\d{1,2}),\s+(?P<year>(?:19|20)\d{2})\b"
        ),
    ]


def _month_names(language: str) -> dict[str, int]:
    names: dict[str, int] = {}
    for lang in dict.fromkeys((language, "en")):
        try:
            locale = Locale.parse(lang.replace("-", "_"))
        except (ValueError, LookupError):
            continue
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in locale.months[context][width].items():
                    names[re.escape(str(name).rstrip(".").casefold())] = int(number)
    return names


def _to_date(match: re.Match[str], language: str) -> dt.date | None:
    parts = match.groupdict()
    try:
        if parts.get("mon"):
            month = int(parts["mon"])
        else:
            month = _month_names(language)[re.escape(parts["month"].rstrip(".").casefold())]
        return dt.date(int(parts["year"]), month, int(parts["day"]))
    except (KeyError, ValueError):
        return None
