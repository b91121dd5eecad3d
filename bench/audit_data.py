"""Bulk-loaded audit data for the ranking benchmarks, and the old ranking approach as baseline.

:func:`load_audits` fills a migrated, empty database with ``n`` facilities' worth of submitted
audits — about ``n_audits`` in all, one per facility plus a re-audit of every tenth — in a few
``INSERT … SELECT`` statements, the same SQL on SQLite and PostgreSQL: a recursive CTE numbers
the facilities, a multiplicative hash of the id picks each one's type, district and evaluation,
and the evaluations come from a small pool of real :func:`audit.scoring.evaluate` results of
random measurements (stored whole, as the app stores them). Each audit's findings rows and the
"current" marker are written as the repository writes them. Nothing goes through the per-audit
repository path: that is measured by bench_storage. Loading is committed in steps, each retried
if the database server restarts meanwhile.

:func:`naive_rankings` is the baseline: the approach before findings rows, a per-facility
Python loop that parses every stored evaluation.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from audit.errors import StorageUnavailable
from audit.storage import Database
from audit.storage.findings import finding_row
from audit.storage.orm import Audit, AuditFinding, Facility, TZDateTime

DISTRICTS = ("441702", "441704", "441721", "441781")
POOL = 40  # evaluations per facility type
REAUDIT_EVERY = 10  # every tenth facility was audited twice
MODULUS = 2_147_483_647  # 2³¹ − 1 with Park–Miller multipliers: a cheap hash of an id in SQL
T0 = datetime(2025, 1, 1, tzinfo=UTC)

_meta = sa.MetaData()
_pool = sa.Table(
    "bench_pool", _meta,
    sa.Column("facility_type", sa.String(32)), sa.Column("k", sa.Integer),
    sa.Column("verdict", sa.String(16)), sa.Column("score", sa.Double),
    sa.Column("n_fail", sa.Integer), sa.Column("ruleset_id", sa.String(64)),
    sa.Column("ruleset_version", sa.String(64)), sa.Column("measurements", sa.JSON),
    sa.Column("evaluation", sa.JSON),
)
_pool_findings = sa.Table(
    "bench_pool_findings", _meta,
    sa.Column("facility_type", sa.String(32)), sa.Column("k", sa.Integer),
    *(sa.Column(c.name, c.type) for c in AuditFinding.__table__.columns
      if c.name not in ("id", "audit_id", "facility_id", "district_code", "facility_type",
                        "ruleset_id", "ruleset_version", "is_current")),
)


def _hash(col: Any, multiplier: int, mod: int) -> Any:
    return (sa.cast(col, sa.BigInteger) * multiplier) % MODULUS % mod


def _pool_rows(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from audit.demo.measurements import random_measurements
    from audit.model import FACILITY_TYPES
    from audit.scoring import evaluate

    rng = np.random.default_rng(seed)
    pool, findings = [], []
    for ftype in FACILITY_TYPES:
        for k in range(POOL):
            ev = evaluate(ftype, random_measurements(ftype, rng, missing_rate=0.05))
            data = ev.to_dict()
            pool.append({"facility_type": ftype, "k": k, "verdict": ev.verdict,
                         "score": ev.score, "n_fail": ev.n_fail, "ruleset_id": ev.ruleset_id,
                         "ruleset_version": ev.ruleset_version,
                         "measurements": data["measurements"], "evaluation": data})
            for f in data["findings"]:
                row = finding_row(f, audit_id=0, facility_id=0, district_code=None,
                                  facility_type=ftype, ruleset_id="", ruleset_version="",
                                  is_current=False)
                findings.append({"facility_type": ftype, "k": k,
                                 **{c.name: row[c.name] for c in _pool_findings.columns
                                    if c.name not in ("facility_type", "k")}})
    return pool, findings


CHUNK = 100_000  # facilities (and their audits' findings) per committed step


def _step(db: Database, what: str, fn: Callable[[sa.Connection], Any]) -> None:
    """Run ``fn`` in one transaction; if the server goes away (the shared PostgreSQL is
    restarted by other test runs), wait for it and run the step again. Each step first deletes
    what it writes, so a retry after a lost COMMIT reply writes nothing twice."""
    for attempt in range(1, 6):
        try:
            with db.engine.begin() as conn:
                fn(conn)
            return
        except sa.exc.OperationalError as exc:
            print(f"bench load: {what} failed ({type(exc.orig).__name__}), attempt {attempt}",
                  file=sys.stderr)
            deadline = time.monotonic() + 900
            while True:
                try:
                    db.ping()
                    break
                except StorageUnavailable:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(5)
    raise RuntimeError(f"bench load: {what} failed 5 times")


def load_audits(db: Database, n_audits: int, seed: int = 11) -> int:
    """Fill the (migrated, empty) database; returns the number of audits written.

    Committed in steps of :data:`CHUNK` facilities, each retried if the server restarts.
    """
    from audit.model import FACILITY_TYPES

    n_fac = max(1, round(n_audits / (1 + 1 / REAUDIT_EVERY)))
    pool, pool_findings = _pool_rows(seed)
    fac = cast(sa.Table, Facility.__table__)
    aud = cast(sa.Table, Audit.__table__)
    fnd = cast(sa.Table, AuditFinding.__table__)
    t0 = sa.literal(T0, TZDateTime())

    def pools(conn: sa.Connection) -> None:
        _meta.drop_all(conn)
        _meta.create_all(conn)
        conn.execute(sa.insert(_pool), pool)
        conn.execute(sa.insert(_pool_findings), pool_findings)

    def facilities(lo: int, hi: int) -> Callable[[sa.Connection], None]:
        series = sa.select(sa.literal(lo).label("g")).cte("series", recursive=True)
        series = series.union_all(sa.select(series.c.g + 1).where(series.c.g < hi))
        g = series.c.g
        types = sa.case(*((_hash(g, 48271, len(FACILITY_TYPES)) == i, t)
                          for i, t in enumerate(FACILITY_TYPES)))
        districts = sa.case(*((_hash(g, 69621, len(DISTRICTS)) == i, d)
                              for i, d in enumerate(DISTRICTS)))

        def run(conn: sa.Connection) -> None:
            conn.execute(sa.delete(fac).where(fac.c.id.between(lo, hi)))
            conn.execute(fac.insert().from_select(
                ["id", "facility_type", "name", "lon", "lat", "district_code", "address",
                 "version", "is_demo", "created_at"],
                sa.select(g, types, sa.literal("bench ") + sa.cast(g, sa.String),
                          111.9 + _hash(g, 16807, 100_000) / 1e6,
                          21.8 + _hash(g, 48271, 100_000) / 1e6,
                          districts, sa.literal(""), sa.literal(1), sa.true(), t0),
            ))

        return run

    def audits(lo: int, hi: int) -> Callable[[sa.Connection], None]:
        f = fac.alias("f")
        # first audits: audit id = facility id; a re-audit of facility f gets n_fac + its rank
        reaudit_id = n_fac + (f.c.id - 1) // REAUDIT_EVERY + 1
        kinds = ((1, f.c.id, sa.true(), f.c.id % REAUDIT_EVERY != 1),
                 (2, reaudit_id, f.c.id % REAUDIT_EVERY == 1, sa.true()))

        def run(conn: sa.Connection) -> None:
            conn.execute(sa.delete(aud).where(aud.c.facility_id.between(lo, hi)))
            for seq, audit_id, where, current in kinds:
                conn.execute(aud.insert().from_select(
                    ["id", "facility_id", "inspector_name", "created_at", "submitted_at",
                     "status", "sequence", "ruleset_id", "ruleset_version", "measurements",
                     "notes", "verdict", "score", "n_fail", "evaluation", "source",
                     "row_version", "is_demo", "is_current"],
                    sa.select(audit_id, f.c.id, sa.literal("bench"), t0,
                              sa.literal(T0 + timedelta(days=seq), TZDateTime()),
                              sa.literal("submitted"), sa.literal(seq), _pool.c.ruleset_id,
                              _pool.c.ruleset_version, _pool.c.measurements, sa.literal(""),
                              _pool.c.verdict, _pool.c.score, _pool.c.n_fail,
                              _pool.c.evaluation, sa.literal("bench"), sa.literal(1), sa.true(),
                              current)
                    .select_from(f)
                    .join(_pool, sa.and_(_pool.c.facility_type == f.c.facility_type,
                                         _pool.c.k == _hash(audit_id, 16807, POOL)))
                    .where(where, f.c.id.between(lo, hi)),
                ))
            cur = aud.alias("cur")

            def of_current(col: Any) -> Any:
                return (sa.select(col).where(cur.c.facility_id == fac.c.id, cur.c.is_current)
                        .scalar_subquery())

            conn.execute(sa.update(fac).where(fac.c.id.between(lo, hi)).values(
                current_verdict=of_current(cur.c.verdict),
                current_submitted_at=of_current(cur.c.submitted_at)))

        return run

    def findings(lo: int, hi: int) -> Callable[[sa.Connection], None]:
        a = aud.alias("a")
        f = fac.alias("f")
        copied = [c.name for c in _pool_findings.columns if c.name not in ("facility_type", "k")]

        def run(conn: sa.Connection) -> None:
            # by audit id (indexed): the chunk's first audits and its re-audits
            r_lo, r_hi = (n_fac + (x - 1) // REAUDIT_EVERY + 1 for x in (lo, hi))
            conn.execute(sa.delete(fnd).where(sa.or_(fnd.c.audit_id.between(lo, hi),
                                                     fnd.c.audit_id.between(r_lo, r_hi))))
            conn.execute(fnd.insert().from_select(
                ["audit_id", "facility_id", "district_code", "facility_type", "ruleset_id",
                 "ruleset_version", "is_current", *copied],
                sa.select(a.c.id, a.c.facility_id, f.c.district_code, f.c.facility_type,
                          a.c.ruleset_id, a.c.ruleset_version, a.c.is_current,
                          *(_pool_findings.c[n] for n in copied))
                .select_from(a)
                .join(f, f.c.id == a.c.facility_id)
                .join(_pool_findings,
                      sa.and_(_pool_findings.c.facility_type == f.c.facility_type,
                              _pool_findings.c.k == _hash(a.c.id, 16807, POOL)))
                .where(a.c.facility_id.between(lo, hi)),
            ))

        return run

    _step(db, "pool", pools)
    for lo in range(1, n_fac + 1, CHUNK):
        hi = min(n_fac, lo + CHUNK - 1)
        for name, make in (("facilities", facilities), ("audits", audits),
                           ("findings", findings)):
            _step(db, f"{name} {lo}-{hi}", make(lo, hi))
    _step(db, "drop pool", _meta.drop_all)
    _analyze(db)
    with db.engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(aud)) or 0)


def _analyze(db: Database) -> None:
    """Planner statistics (and, on PostgreSQL, the visibility map that index-only scans use),
    as autovacuum would leave them after a bulk load."""
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE facilities, audits, findings")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def naive_rankings(
    session: so.Session, weights: dict[str, float], *, every: int = 1
) -> dict[tuple[str, str], dict[str, float]]:
    """Baseline: one Python pass per facility, parsing each latest audit's stored evaluation.

    The approach before findings rows; gives the same audited / non-compliant / gap-point
    figures as :func:`audit.rankings.compute_rankings`. ``every=k`` reads only the facilities
    whose id is a multiple of ``k`` (a sample, for databases too large to loop over whole).
    """
    audits = sa.select(Audit).where(Audit.status == "submitted")
    facilities = sa.select(Facility)
    if every > 1:
        audits = audits.where(Audit.facility_id % every == 0)
        facilities = facilities.where(Facility.id % every == 0)
    latest: dict[int, Audit] = {}
    for a in session.scalars(audits):
        cur = latest.get(a.facility_id)
        if cur is None or (a.sequence, a.id) > (cur.sequence, cur.id):
            latest[a.facility_id] = a
    out: dict[tuple[str, str], dict[str, float]] = {}
    for fac in session.scalars(facilities):
        found = latest.get(fac.id)
        if found is None:
            continue
        cell = out.setdefault((str(fac.district_code), fac.facility_type),
                              {"audited": 0, "non_compliant": 0, "gap_points": 0.0})
        cell["audited"] += 1
        if found.verdict == "non_compliant":
            cell["non_compliant"] += 1
            for finding in (found.evaluation or {}).get("findings", []):
                if finding.get("status") == "fail":
                    cell["gap_points"] += weights[finding["severity"]]
    return out
