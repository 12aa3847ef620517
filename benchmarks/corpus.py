"""A deterministic benchmark corpus: N articles like the real ones, in a project folder.

    python benchmarks/corpus.py 10000 /tmp/corpus-10k

Bodies run to about 700 words; 10% of articles are in German; dates spread over
30 years; each article names 1 to 4 countries; one in twenty shares a story.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

COUNTRIES = [
    "Russia", "Uzbekistan", "Tajikistan", "Kazakhstan", "Kyrgyzstan", "Turkmenistan", "Afghanistan",
    "China", "United States", "Ukraine", "Belarus", "Georgia", "Armenia", "Azerbaijan", "Iran",
    "Turkey", "India", "Pakistan", "Mongolia", "Germany", "France", "United Kingdom", "Japan",
    "South Korea", "Moldova", "Estonia", "Latvia", "Lithuania", "Poland", "Finland",
]  # fmt: skip
GERMAN_COUNTRIES = {"Russia": "Russland", "Uzbekistan": "Usbekistan", "Tajikistan": "Tadschikistan",
                    "Kazakhstan": "Kasachstan", "Kyrgyzstan": "Kirgisistan", "China": "China",
                    "United States": "Vereinigte Staaten", "Germany": "Deutschland"}  # fmt: skip
TAGS = ["military cooperation", "energy", "trade", "elections", "migration", "security", "water",
        "diplomacy", "sanctions", "infrastructure", "human rights", "media"]  # fmt: skip
SOURCES = ["Example Wire", "Daily Gazette", "Regional Service", "Steppe Times", "Abendblatt"]
ENGLISH = [
    "the",
    "minister",
    "said",
    "talks",
    "on",
    "security",
    "and",
    "trade",
    "would",
    "continue",
    "next",
    "week",
    "while",
    "officials",
    "in",
    "the",
    "capital",
    "described",
    "the",
    "agreement",
    "as",
    "a",
    "step",
    "toward",
    "closer",
    "cooperation",
    "between",
    "the",
    "two",
    "governments",
    "and",
    "their",
    "neighbours",
    "across",
    "the",
    "region",
    "despite",
    "pressure",
    "from",
    "abroad",
]
GERMAN = [
    "der",
    "Minister",
    "sagte",
    "dass",
    "die",
    "Gespräche",
    "über",
    "Sicherheit",
    "und",
    "Handel",
    "in",
    "der",
    "kommenden",
    "Woche",
    "fortgesetzt",
    "werden",
    "während",
    "Beamte",
    "in",
    "der",
    "Hauptstadt",
    "das",
    "Abkommen",
    "als",
    "Schritt",
    "zu",
    "engerer",
    "Zusammenarbeit",
    "zwischen",
    "beiden",
    "Regierungen",
    "und",
    "ihren",
    "Nachbarn",
    "in",
    "der",
    "Region",
    "beschrieben",
]


def paragraph(rng: random.Random, words: list[str], count: int) -> str:
    """A paragraph of about count words, with a quote now and then."""
    text = " ".join(rng.choice(words) for _ in range(count))
    text = text[0].upper() + text[1:] + "."
    return f'"{text}"' if rng.random() < 0.1 else text


def article(rng: random.Random, index: int) -> tuple[str, str]:
    """One article: its file name and text."""
    german = rng.random() < 0.1
    words = GERMAN if german else ENGLISH
    day = dt.date(1995, 1, 1) + dt.timedelta(days=rng.randrange(30 * 365))
    names = rng.sample(COUNTRIES, rng.randint(1, 4))
    if german:
        names = [GERMAN_COUNTRIES.get(n, n) for n in names]
    headline = paragraph(rng, words, rng.randint(5, 10)).strip('."')
    title = f"{headline} {index}"
    lines = [
        "---",
        f'title: "{title}"',
        f"date: {day.isoformat()}",
        f"source: {rng.choice(SOURCES)}",
        f"language: {'de' if german else 'en'}",
        f"countries: [{', '.join(names)}]",
        f"tags: [{', '.join(rng.sample(TAGS, rng.randint(1, 3)))}]",
    ]
    if rng.random() < 0.05:
        lines.append(f"story: story-{rng.randrange(200)}")
    lines.append("---")
    body = []
    remaining = 700
    if rng.random() < 0.3:
        body.append("## " + paragraph(rng, words, 4).rstrip("."))
    while remaining > 0:
        count = min(remaining, rng.randint(40, 90))
        body.append(paragraph(rng, words, count))
        remaining -= count
    return f"{day.isoformat()}-{index:06d}.md", "\n".join(lines) + "\n" + "\n\n".join(body) + "\n"


def make_corpus(count: int, folder: Path, seed: int = 2026) -> Path:
    """A project folder with count articles; it builds with newsgen's own theme."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "articles").mkdir(parents=True)
    (folder / "newsgen.yaml").write_text("title: Benchmark Archive\n", encoding="utf-8")
    rng = random.Random(seed)
    for index in range(count):
        name, text = article(rng, index)
        (folder / "articles" / name).write_text(text, encoding="utf-8")
    return folder


def extra_article(folder: Path, index: int) -> Path:
    """One more article, as a user adds it."""
    name, text = article(random.Random(index), index)
    path = folder / "articles" / f"added-{name}"
    path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    make_corpus(args.count, args.folder)
