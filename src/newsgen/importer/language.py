"""The language of an article's text, as a tag CLDR knows."""

from __future__ import annotations

import functools
from typing import Any

from newsgen.locales import UnknownLanguage, check_language


@functools.cache
def _detector() -> Any:
    """Lingua's detector over every language it knows, built once.

    Low-accuracy mode uses its trigram models only: a tenth of the memory and the
    start-up time of the full models, and still right on a headline (py3langid,
    used before, took short English headlines for Frisian or Bikol).
    """
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def detect_language(text: str, default: str = "en") -> str:
    """The BCP 47 tag of the text's language; `default` when it cannot be told or CLDR lacks it."""
    found = _detector().detect_language_of(text) if text.strip() else None
    if found is None:
        return default
    try:
        return check_language(found.iso_code_639_1.name.lower())
    except UnknownLanguage:
        return default


FEW_WORDS = 25
"""Fewer words than this are too few to tell a language by: an English headline alone was
read as Latin. A page that declares its language is then taken at its word."""


def page_language(text: str, declared: str | None, default: str = "en") -> str:
    """The text's language: detected, unless the text is short and the page says its own."""
    if declared and len(text.split()) < FEW_WORDS:
        try:
            return check_language(declared)
        except UnknownLanguage:
            pass
    return detect_language(text, declared or default)
