"""Helpers shared by the benchmarks: median timing and the result-row format.

A benchmark module may declare ``NEEDS``, a tuple of what the machine must have to run it at
smoke size (``"chromium"``, ``"postgis"``). ``make bench`` runs it regardless (a row it cannot
measure says so in its note); the smoke test (tests/test_bench_smoke.py) skips it on a laptop
that lacks one and fails in CI, like every test that needs Chromium or PostGIS.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any


def median_time(fn: Callable[[], Any], reps: int) -> tuple[float, Any]:
    """Median wall time in seconds of ``reps`` calls of ``fn``, and the last call's result."""
    times: list[float] = []
    out = None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def row(
    figure: str, ours: float, baseline: float | None, unit: str, target: str, note: str
) -> dict[str, Any]:
    """One result row; ratio = baseline ÷ ours (above 1 means ours is faster or smaller)."""
    ratio = baseline / ours if baseline is not None and ours > 0 else None
    return {
        "figure": figure,
        "ours": round(ours, 4),
        "baseline": None if baseline is None else round(baseline, 4),
        "unit": unit,
        "ratio": None if ratio is None else round(ratio, 2),
        "target": target,
        "note": note,
    }


def standalone(doc: str | None, sizes: Iterable[str],
               run: Callable[[str, tuple[str, ...]], list[dict[str, Any]]]) -> None:
    """``python -m bench.<name> [--size S] [--only sqlite|postgis]``: print the rows."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--size", default="full", choices=tuple(sizes))
    parser.add_argument("--only", nargs="*", default=(), choices=("sqlite", "postgis"))
    args = parser.parse_args()
    for r in run(args.size, tuple(args.only)):
        sys.stdout.write(f"{r}\n")
