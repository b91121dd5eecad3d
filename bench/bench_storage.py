"""Benchmark: write throughput (audits per second) through the repository API.

Each writer is a separate process with its own engine; every audit is one write transaction,
as in the app (one :func:`audit.scoring.evaluate` by the caller, then
``Repository.submit_audit`` with an idempotency key: the evaluation check, the facility lock,
version bump, sequence number, current-audit marker, one findings row per rule and the
change-log row). Figures for SQLite (WAL) and
PostGIS (``TEST_DATABASE_URL``; rows skipped with a note when it is not set), with 1 and 8
concurrent writers. Median of the repetitions.

Baseline, measured in the same run on the same database: plain SQLAlchemy Core ``executemany``
INSERTs of the same audit rows (same measurements and stored evaluation JSON) and their findings
rows *without* the repository — one transaction per writer, no validation, scoring, locking or
change log. It is
an upper bound of what the database itself takes, not a competitor: the ratio (ours ÷ baseline,
since a rate is better when higher) shows the price of the guarantees.

Run alone with ``python -m bench.bench_storage [--size smoke]``.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from audit.actors import Actor
from audit.scoring import evaluate
from audit.storage import open_database, upgrade_to_head
from audit.storage.findings import finding_row
from audit.storage.orm import Audit, AuditFinding, ChangeLog, Facility
from audit.storage.repository import Repository

SIZES = {"full": (200, 3), "smoke": (12, 1)}  # audits per writer, repetitions
#: what the machine must have to run this benchmark at smoke size (see bench/common.py)
NEEDS = ("postgis",)
WRITERS = (1, 8)
MEASUREMENTS = {"running_slope_pct": 7.5, "cross_slope_pct": 1.0, "rise_mm": 450,
                "clear_width_mm": 1300, "handrail_present": True}
TAG = "bench-storage"


def _facility(url: str) -> int:
    db = open_database(url)
    with db.session(write=True) as s:
        fid = Repository(s, Actor(None, TAG, "inspector")).create_facility(
            "ramp", 111.98, 21.86, name=f"{TAG} {uuid.uuid4().hex[:8]}").id
    db.engine.dispose()
    return fid


def _repository_writer(url: str, facility_id: int, n: int, run_id: str, worker: int) -> float:
    db = open_database(url)
    actor = Actor(None, f"{TAG}-{worker}", "inspector")
    t0 = time.perf_counter()
    for i in range(n):
        with db.session(write=True) as s:
            Repository(s, actor).submit_audit(
                facility_id, evaluate("ramp", MEASUREMENTS),
                idempotency_key=f"{TAG}-{run_id}-{worker}-{i}", source="bench")
    elapsed = time.perf_counter() - t0
    db.engine.dispose()
    return elapsed


def _plain_rows(facility_id: int, n: int, run_id: str, worker: int) -> list[dict[str, Any]]:
    ev = evaluate("ramp", MEASUREMENTS)
    evaluation = ev.to_dict()
    return [{"facility_id": facility_id, "inspector_name": f"{TAG}-{worker}", "status": "submitted",
             "sequence": i + 1, "ruleset_id": ev.ruleset_id, "ruleset_version": ev.ruleset_version,
             "measurements": dict(ev.measurements), "notes": "", "verdict": ev.verdict,
             "score": ev.score, "n_fail": ev.n_fail, "evaluation": evaluation,
             "idempotency_key": f"{TAG}-plain-{run_id}-{worker}-{i}", "source": "bench",
             "row_version": 1, "is_demo": False} for i in range(n)]


def _plain_writer(url: str, facility_id: int, n: int, run_id: str, worker: int) -> float:
    db = open_database(url)
    rows = _plain_rows(facility_id, n, run_id, worker)
    findings = rows[0]["evaluation"]["findings"]
    t0 = time.perf_counter()
    with db.engine.begin() as conn:
        ids = conn.execute(sa.insert(Audit.__table__).returning(Audit.__table__.c.id,
                                                                sort_by_parameter_order=True),
                           rows).scalars().all()
        conn.execute(sa.insert(AuditFinding.__table__), [
            finding_row(f, audit_id=aid, facility_id=facility_id, district_code=None,
                        facility_type="ramp", ruleset_id=r["ruleset_id"],
                        ruleset_version=r["ruleset_version"], is_current=False)
            for aid, r in zip(ids, rows, strict=True) for f in findings])
    elapsed = time.perf_counter() - t0
    db.engine.dispose()
    return elapsed


def _throughput(url: str, writers: int, n: int, plain: bool) -> float:
    """Audits per second of ``writers`` concurrent processes writing ``n`` audits each."""
    fid = _facility(url)
    run_id = uuid.uuid4().hex[:10]
    target = _plain_writer if plain else _repository_writer
    ctx = mp.get_context("fork")
    with ctx.Pool(writers) as pool:
        t0 = time.perf_counter()
        pool.starmap(target, [(url, fid, n, run_id, w) for w in range(writers)])
        wall = time.perf_counter() - t0
    return writers * n / wall


def _cleanup(url: str) -> None:
    """Remove what the benchmark wrote (the PostGIS test database is shared)."""
    db = open_database(url)
    with db.session(write=True) as s:
        ids = sa.select(Facility.id).where(Facility.name.like(f"{TAG}%"))
        s.execute(sa.delete(AuditFinding).where(AuditFinding.facility_id.in_(ids)))
        s.execute(sa.delete(Audit).where(Audit.facility_id.in_(ids)))
        s.execute(sa.delete(ChangeLog).where(ChangeLog.actor.like(f"%{TAG}%")))
        s.execute(sa.delete(Facility).where(Facility.name.like(f"{TAG}%")))
    db.engine.dispose()


def _rows_for(backend: str, url: str, n: int, reps: int) -> list[dict[str, Any]]:
    rows = []
    for writers in WRITERS:
        ours = statistics.median(_throughput(url, writers, n, plain=False) for _ in range(reps))
        base = statistics.median(_throughput(url, writers, n, plain=True) for _ in range(reps))
        rows.append({
            "figure": f"write throughput, {backend}, {writers} writer process(es)",
            "ours": round(ours, 1), "baseline": round(base, 1), "unit": "audits/s",
            "ratio": round(ours / base, 4) if base > 0 else None,
            "target": "8 writers: none lost (tests/test_load.py); no numeric target",
            "note": f"{writers}×{n} audits, one transaction each: evaluate once, then "
                    "Repository.submit_audit (audit + findings rows); baseline: plain "
                    "executemany INSERT of the same audit and findings rows (one transaction "
                    "per writer, no repository); ratio = ours ÷ baseline (a rate)",
        })
    return rows


def run(size: str = "full") -> list[dict[str, Any]]:
    n, reps = SIZES[size]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        db = open_database(url)
        upgrade_to_head(db)
        with db.engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        db.engine.dispose()
        assert str(mode).lower() == "wal", mode
        rows += _rows_for("SQLite WAL", url, n, reps)
    pg_url = os.environ.get("TEST_DATABASE_URL", "")
    if not pg_url:
        rows.append({"figure": "write throughput, PostGIS", "ours": 0.0, "baseline": None,
                     "unit": "audits/s", "ratio": None, "target": "—",
                     "note": "skipped: TEST_DATABASE_URL is not set"})
        return rows
    db = open_database(pg_url)
    try:
        db.ping()
        upgrade_to_head(db)
    except Exception as exc:  # report the reason in the table instead of failing the run
        rows.append({"figure": "write throughput, PostGIS", "ours": 0.0, "baseline": None,
                     "unit": "audits/s", "ratio": None, "target": "—",
                     "note": f"skipped: PostgreSQL unavailable ({type(exc).__name__})"})
        return rows
    finally:
        db.engine.dispose()
    try:
        rows += _rows_for("PostGIS", pg_url, n, reps)
    except sa.exc.SQLAlchemyError as exc:
        # the test database is shared: a pytest session starting elsewhere drops its tables
        rows.append({"figure": "write throughput, PostGIS", "ours": 0.0, "baseline": None,
                     "unit": "audits/s", "ratio": None, "target": "—",
                     "note": f"FAILED mid-run ({type(exc.orig or exc).__name__}); the "
                             "TEST_DATABASE_URL database was changed by another session"})
    finally:
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            _cleanup(pg_url)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_storage", description=__doc__)
    parser.add_argument("--size", default="full", choices=tuple(SIZES))
    args = parser.parse_args(argv)
    for row in run(args.size):
        print(f"{row['figure']}: ours {row['ours']} {row['unit']}, baseline {row['baseline']}, "
              f"ratio {row['ratio']} ({row['note']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
