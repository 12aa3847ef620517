"""The code stays typed (mypy --strict) and lint-clean (ruff)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import PROJECT


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=PROJECT, capture_output=True, text=True
    )


def test_mypy_strict_is_clean() -> None:
    result = _run("mypy", "--strict")  # src, tests and benchmarks, as pyproject.toml lists
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", "src", "tests", "build.py", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run("ruff", "format", "--check", "src", "tests", "build.py", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr
