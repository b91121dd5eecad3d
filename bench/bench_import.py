"""Benchmark: ODK/Kobo CSV import of a synthetic Central export (issue 15 §3).

Ours: :func:`audit.io.odk_import.import_odk` as the page and the CLI call it (``method="bulk"``:
positions, districts and column lookups for the whole file at once, each facility type's rows
scored at once with the vectorised rules (:mod:`audit.bulk_scoring`), batched inserts of
facilities, audits (with their evaluations' JSON made from the rules' pre-encoded parts),
findings and change log). Baseline, measured in the same run on the same file
and the same kind of database: the row-at-a-time path it replaced (``method="rows"``:
``create_facility`` / ``submit_audit`` per submission), which the tests hold to storing the same
rows. Each repetition imports into a freshly migrated database (a new SQLite file; PostGIS:
emptied tables), in one unit of work, without a street network and without photos. The file
(:func:`audit.demo.odk_export.write_synthetic_export`, synthetic) has every facility type and
re-audits of places visited earlier in the file. Median of the repetitions; the row path is slow,
so at full size it runs once.

Run alone with ``python -m bench.bench_import [--size smoke|medium|full] [--only sqlite|postgis]``
(PostGIS rows need ``TEST_DATABASE_URL``; without it they say so).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from audit.actors import Actor
from audit.demo.odk_export import write_synthetic_export
from audit.io.odk_import import import_odk
from audit.settings import Settings
from audit.storage import Database, open_database, upgrade_to_head
from bench.common import row, standalone

#: rows in the file, repetitions of ours, repetitions of the row-at-a-time baseline
SIZES = {"full": (10_000, 3, 1), "medium": (2_000, 3, 1), "smoke": (40, 1, 1)}
TARGET = "< 10 s for 10,000 submissions"
IMPORTER = Actor(None, "bench-import", "inspector")
SUFFIX = "bench_import"


def _fresh(backend: str, workdir: Path, k: int) -> Database:
    """A migrated, empty database: a new SQLite file, or on PostgreSQL a database of our own
    (``<TEST_DATABASE_URL's database>_bench_import`` with PostGIS, created again for each
    repetition and dropped at the end), never the tables the tests use."""
    if backend == "sqlite":
        db = open_database(f"sqlite:///{workdir / f'import-{k}.sqlite3'}")
    else:
        url = _own_database(create=True)
        db = open_database(url)
    upgrade_to_head(db)
    return db


def _own_database(*, create: bool) -> str:
    base = sa.make_url(os.environ["TEST_DATABASE_URL"])
    url = base.set(database=f"{base.database}_{SUFFIX}")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
            if create:
                conn.exec_driver_sql(f'CREATE DATABASE "{url.database}" TEMPLATE template0')
    finally:
        admin.dispose()
    if create:
        engine = sa.create_engine(url, poolclass=sa.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        engine.dispose()
    return url.render_as_string(hide_password=False)


def _time_import(backend: str, path: Path, workdir: Path, method: str, reps: int,
                 counter: list[int]) -> tuple[float, Any]:
    times = []
    report = None
    for _ in range(reps):
        counter[0] += 1
        db = _fresh(backend, workdir, counter[0])
        cfg = Settings(data_dir=workdir / f"data-{counter[0]}")
        t0 = time.perf_counter()
        with db.unit_of_work(IMPORTER, write=True) as repo:
            report = import_odk(repo, path, settings=cfg, method=method)  # type: ignore[arg-type]
        times.append(time.perf_counter() - t0)
        db.engine.dispose()
    return statistics.median(times), report


def run(size: str = "full", only: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    n, reps, base_reps = SIZES[size]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = write_synthetic_export(workdir / "export.csv", n)
        counter = [0]
        # warm-up, untimed: the ruleset, the district boundaries and the modules load once
        _time_import("sqlite", write_synthetic_export(workdir / "warm.csv", 5, seed=1), workdir,
                     "bulk", 1, counter)
        for backend in ("sqlite", "postgis"):
            if only and backend not in only:
                continue
            label = "SQLite" if backend == "sqlite" else "PostGIS"
            figure = f"ODK CSV import, {n:,} submissions, {label}"
            if backend == "postgis" and not os.environ.get("TEST_DATABASE_URL"):
                out.append(row(figure, 0.0, None, "s", TARGET,
                               "not measured: TEST_DATABASE_URL is not set"))
                continue
            try:
                ours, report = _time_import(backend, path, workdir, "bulk", reps, counter)
                base, base_report = _time_import(backend, path, workdir, "rows", base_reps,
                                                 counter)
            finally:
                if backend == "postgis":
                    _own_database(create=False)
            same = (report.imported, report.created_facilities, report.reaudits) == (
                base_report.imported, base_report.created_facilities, base_report.reaudits)
            out.append(row(
                figure, ours, base, "s", TARGET,
                f"median of {reps} (baseline: {base_reps}); baseline: row-at-a-time path "
                f"(method='rows'), same file; {report.imported} audits, "
                f"{report.created_facilities} new facilities, {report.reaudits} re-audits; "
                f"same counts as the baseline: {same}; {ours / n * 1000:.2f} ms per row "
                f"(baseline {base / n * 1000:.1f}); synthetic file, no network, no photos"))
    return out


if __name__ == "__main__":
    standalone(__doc__, SIZES, run)
