"""The whole-site golden test: tests/fixtures/site built with the real templates must equal
tests/fixtures/expected byte for byte.

After an intended change to the output, regenerate the expected folder and review its diff:

    NEWSGEN_REGENERATE=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from .conftest import snapshot
from .sites import build_fixture

EXPECTED = Path(__file__).parent / "fixtures" / "expected"


def test_the_fixture_site_matches_the_expected_folder(tmp_path: Path) -> None:
    actual = snapshot(build_fixture(tmp_path / "_site"))
    actual.pop(".newsgen-manifest.json")  # holds hashes of newsgen's own code

    if os.environ.get("NEWSGEN_REGENERATE"):
        shutil.rmtree(EXPECTED, ignore_errors=True)
        for url, data in actual.items():
            (EXPECTED / url).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / url).write_bytes(data)

    expected = snapshot(EXPECTED)
    assert sorted(actual) == sorted(expected)
    for url in sorted(expected):
        if actual[url] != expected[url]:
            diff = difflib.unified_diff(
                expected[url].decode().splitlines(),
                actual[url].decode().splitlines(),
                url,
                url,
                lineterm="",
            )
            raise AssertionError("\n".join(diff))
