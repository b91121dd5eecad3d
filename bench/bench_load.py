"""Benchmark: concurrent writers — 8 processes × 1,000 audits with resends and late duplicates.

Ours: 8 writer processes at once (:func:`bench.load.run_load`), each sending 1,000 audits of its
own plus ~10 % resends of the same request and ~5 % late duplicates of an earlier one. Baseline,
measured in the same run on the same kind of database: the same total of audits sent by one
writer process alone (no contention). Figure: audits stored per second; ratio = ours ÷ baseline
here (above 1 means the concurrent writers together store faster than one). Both runs must store
exactly one audit per key with gapless re-audit numbers, or the row says "LOST OR DUPLICATED".

The test suite (tests/test_load.py) runs the same harness at a smaller size with the same
assertions; set ``LOAD_PER_WRITER=1000`` there to run the full size as a test.

Run alone with ``python -m bench.bench_load [--size smoke|full] [--only sqlite|postgis]``
(PostGIS rows need ``TEST_DATABASE_URL``; they use a database of their own).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from audit.storage import Database, open_database, upgrade_to_head
from bench.bench_import import _own_database
from bench.load import LoadOutcome, run_load

#: writers, audits per writer
SIZES = {"full": (8, 1_000), "smoke": (2, 10)}
TARGET = "none lost, none duplicated"
NEEDS = ("postgis",)


def _fresh(backend: str, workdir: Path, name: str) -> Database:
    url = (f"sqlite:///{workdir / f'{name}.sqlite3'}" if backend == "sqlite"
           else _own_database(create=True))
    db = open_database(url)
    upgrade_to_head(db)
    return db


def _measure(backend: str, workdir: Path, name: str, writers: int,
             per_writer: int) -> tuple[float, LoadOutcome]:
    db = _fresh(backend, workdir, name)
    try:
        t0 = time.perf_counter()
        outcome = run_load(db, writers, per_writer)
        return time.perf_counter() - t0, outcome
    finally:
        db.engine.dispose()
        if backend == "postgis":
            _own_database(create=False)


def _sound(outcome: LoadOutcome, expected: int) -> bool:
    return (outcome.stored == outcome.distinct_keys == expected
            and outcome.gapless_sequences and outcome.calls > expected)


def run(size: str = "full", only: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    writers, per_writer = SIZES[size]
    total = writers * per_writer
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for backend in ("sqlite", "postgis"):
            if only and backend not in only:
                continue
            label = "SQLite (WAL)" if backend == "sqlite" else "PostGIS"
            figure = f"{writers} writers × {per_writer:,} audits, {label}"
            if backend == "postgis" and not os.environ.get("TEST_DATABASE_URL"):
                out.append({"figure": figure, "ours": 0.0, "baseline": None, "unit": "audits/s",
                            "ratio": None, "target": TARGET,
                            "note": "not measured: TEST_DATABASE_URL is not set"})
                continue
            ours_s, ours = _measure(backend, workdir, "ours", writers, per_writer)
            base_s, base = _measure(backend, workdir, "base", 1, total)
            ours_rate, base_rate = total / ours_s, total / base_s
            verdict = ("none lost or duplicated in either run"
                       if _sound(ours, total) and _sound(base, total) else "LOST OR DUPLICATED")
            out.append({
                "figure": figure, "ours": round(ours_rate, 1), "baseline": round(base_rate, 1),
                "unit": "audits/s", "ratio": round(ours_rate / base_rate, 2), "target": TARGET,
                "note": (f"{verdict}; {ours.calls:,} requests sent for {total:,} audits "
                         f"(resends and late duplicates); wall {ours_s:.1f} s vs {base_s:.1f} s "
                         f"for one writer alone (baseline); one run each"),
            })
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="full", choices=tuple(SIZES))
    parser.add_argument("--only", nargs="*", default=(), choices=("sqlite", "postgis"))
    args = parser.parse_args()
    for r in run(args.size, tuple(args.only)):
        print(r, file=sys.stdout)


if __name__ == "__main__":
    main()
