"""What a test needs from the machine, the CI rule for it, and the one-line summary of skips.

A test that needs something a plain laptop may lack (Chromium, a PostGIS database, ...) calls
:func:`skip_or_fail` with the key of that need. Outside CI the test skips with a reason tagged
``[needs KEY]``; in CI (``CI=true``), where .ci/run installs everything, it fails instead, so a
broken CI set-up cannot hide behind skips. :func:`summary_line` turns the skip reasons of a run
into one line naming what was skipped and how to enable it; conftest.py prints it at the end.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest


@dataclass(frozen=True)
class Need:
    """Something of the machine's that some tests need, and how to provide it."""

    label: str
    enable: str


NEEDS: dict[str, Need] = {
    "chromium": Need("Chromium", "apt install chromium"),
    "postgis": Need("PostGIS", "set TEST_DATABASE_URL"),
    "poppler": Need("poppler-utils", "apt install poppler-utils"),
    "java": Need("Java", "apt install default-jre-headless"),
    "assets": Need("the map's browser assets", "make setup"),
}
_TAG = re.compile(r"^\[needs (?P<key>[a-z_]+)\] ")
README_POINTER = "see README, Tests and CI"


def in_ci() -> bool:
    """True when running in CI, where a missing Chromium or PostGIS is a failure."""
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str, needs: str | None = None) -> NoReturn:
    """Skip with ``reason`` on a laptop; fail in CI, where a skip would hide a broken set-up.

    ``needs`` (a key of :data:`NEEDS`) tags the reason so the end-of-run summary can count it.
    """
    if needs is not None and needs not in NEEDS:
        raise ValueError(f"needs={needs!r}: one of {', '.join(NEEDS)}")
    text = f"[needs {needs}] {reason}" if needs else reason
    if in_ci():
        pytest.fail(f"required in CI but unavailable: {text}", pytrace=False)
    pytest.skip(text)


def chromium_path() -> Path:
    """Where the tests look for Chromium (``CHROMIUM_PATH``, default Debian's)."""
    return Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


def require_chromium() -> Path:
    """The Chromium executable, or skip (laptop) / fail (CI)."""
    path = chromium_path()
    if not path.exists():
        skip_or_fail(f"Chromium not found at {path}", needs="chromium")
    return path


def require_postgis_url() -> str:
    """``TEST_DATABASE_URL`` of a reachable PostgreSQL, or skip (laptop) / fail (CI)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        skip_or_fail("TEST_DATABASE_URL is not set (PostgreSQL with PostGIS); .ci/run sets it",
                     needs="postgis")
    return url


def require(need: str) -> None:
    """Skip or fail unless ``need`` (``chromium`` or ``postgis``) is available."""
    checks = {"chromium": require_chromium, "postgis": require_postgis_url}
    if need not in checks:
        raise ValueError(f"need={need!r}: one of {', '.join(checks)}")
    checks[need]()


def skip_reason(report: Any) -> str:
    """The reason text of a skipped test report (without pytest's ``Skipped: `` prefix)."""
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


def _tests(n: int) -> str:
    return f"{n} test{'' if n == 1 else 's'}"


def summary_line(reasons: Iterable[str]) -> str | None:
    """One line saying what was skipped and how to enable it; ``None`` when nothing was.

    >>> summary_line(["[needs chromium] x", "[needs postgis] y", "[needs postgis] z"])
    'skipped 1 test that needs Chromium (apt install chromium) and 2 that need PostGIS (set \
TEST_DATABASE_URL) — see README, Tests and CI'
    """
    counts: Counter[str] = Counter()
    other = 0
    for reason in reasons:
        match = _TAG.match(reason)
        if match and match["key"] in NEEDS:
            counts[match["key"]] += 1
        else:
            other += 1
    parts = []
    for i, key in enumerate(k for k in NEEDS if counts[k]):
        n, need = counts[key], NEEDS[key]
        verb = "needs" if n == 1 else "need"
        count = _tests(n) if i == 0 else str(n)
        parts.append(f"{count} that {verb} {need.label} ({need.enable})")
    if other:
        parts.append(f"{_tests(other) if not parts else other} for other reasons (listed above)")
    if not parts:
        return None
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"skipped {joined} — {README_POINTER}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any) -> Iterator[None]:
    """Print :func:`summary_line` for this run (registered through conftest.py).

    An outermost wrapper, so the line comes after pytest's own short summary (``-ra``), just
    before the final count.
    """
    try:
        return (yield)
    finally:
        line = summary_line(skip_reason(r) for r in terminalreporter.stats.get("skipped", []))
        if line:
            terminalreporter.write_line(line)
