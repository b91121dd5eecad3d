"""Findings as rows: evaluate once, atomic writes, the current marker, the 0002 backfill, and
rankings from rows identical to the old JSON-parsing path (SQLite and PostGIS)."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from bureau_fixtures import GOOD_RAMP, GivenEvaluation, facility, hand_evaluation
from conftest import one_unit_of_work

import audit.demo.facilities
import audit.demo.workorders
import audit.io.odk_import
import audit.scoring
import audit.storage.bulk
import audit.storage.repository as repository_module
from audit.actors import SYSTEM, Actor
from audit.demo import seed_demo
from audit.demo.measurements import random_measurements
from audit.errors import InputError
from audit.inspect import AuditRequest
from audit.inspect import save_audit as save_audit_in
from audit.io.odk_import import import_odk as import_odk_in
from audit.model import FACILITY_TYPES
from audit.rankings import (
    _report_fix_types,
    compute_rankings,
    gap_points_by_facility,
    rank_frame,
    report_counts,
)
from audit.scoring import evaluate
from audit.settings import Settings
from audit.storage import Database, upgrade_to_head
from audit.storage.findings import FINDING_STATUSES, finding_row
from audit.storage.migrate import alembic_config, current_revision
from audit.storage.orm import Audit, AuditFinding, Facility, TZDateTime
from audit.storage.repository import Repository

save_audit = one_unit_of_work(save_audit_in)
import_odk = one_unit_of_work(import_odk_in)
INSPECTOR = Actor(None, "inspector-wu", "inspector")
LON, LAT = 111.9822, 21.8590  # 江城区
REPO_ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = {"critical": 3.0, "major": 2.0, "minor": 1.0}
DISTRICTS = ("441702", "441704", "441721", "441781")
FINDING_COLUMNS = [c.name for c in AuditFinding.__table__.columns if c.name != "id"]


def _findings(db: Database) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = s.execute(sa.select(*(AuditFinding.__table__.c[n] for n in FINDING_COLUMNS))
                         .order_by(AuditFinding.audit_id, AuditFinding.rule_id))
        return [dict(r._mapping) for r in rows]


def _current(db: Database) -> dict[int, bool]:
    with db.session() as s:
        return {int(r[0]): bool(r[1]) for r in s.execute(sa.select(Audit.id, Audit.is_current))}


def _facility_state(db: Database) -> dict[int, tuple[str | None, datetime | None]]:
    with db.session() as s:
        rows = s.execute(sa.select(Facility.id, Facility.current_verdict,
                                   Facility.current_submitted_at))
        return {int(r[0]): (r[1], r[2]) for r in rows}


def _count(db: Database, model: type) -> int:
    with db.session() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


# ----------------------------------------------------------------------------- writes


def test_submit_writes_one_row_per_rule_with_the_evaluation(db: Database) -> None:
    ev = evaluate("ramp", {"running_slope_pct": 9.0, "rise_mm": 400, "clear_width_mm": 1000})
    with db.session(write=True) as s:
        fid = facility(s, "ramp", "441702")
        audit = Repository(s, INSPECTOR).submit_audit(fid, ev)
    rows = {r["rule_id"]: r for r in _findings(db)}
    assert sorted(rows) == sorted(f.rule_id for f in ev.findings)
    for f in ev.findings:
        row = rows[f.rule_id]
        assert (row["audit_id"], row["facility_id"], row["status"], row["severity"]) == (
            audit.id, fid, f.status, f.severity)
        assert (row["district_code"], row["facility_type"]) == ("441702", "ramp")
        assert (row["clause"], row["reference"], row["provisional"]) == (
            f.clause, f.reference, f.provisional)
        assert row["threshold_text"] == f.threshold["text"]
        assert (row["ruleset_id"], row["ruleset_version"]) == (ev.ruleset_id, ev.ruleset_version)
        assert row["is_current"] is True
    slope = next(f for f in ev.findings if f.fields == ("running_slope_pct",) and f.measured)
    assert rows[slope.rule_id]["measured_value"] == 9.0
    assert rows[slope.rule_id]["measured_unit"] == "%"
    assert {r["status"] for r in rows.values()} <= set(FINDING_STATUSES)
    assert audit.ruleset_version == ev.ruleset_version and audit.verdict == ev.verdict
    assert _facility_state(db) == {fid: (ev.verdict, audit.submitted_at)}


def test_reaudit_and_draft_move_the_current_marker(db: Database) -> None:
    steep = evaluate("ramp", {"running_slope_pct": 10.0, "rise_mm": 400})
    good = evaluate("ramp", {"running_slope_pct": 8.0, "rise_mm": 400})
    with db.session(write=True) as s:
        fid = facility(s, "ramp", "441702")
        first = Repository(s, INSPECTOR).submit_audit(fid, steep)
        draft = Repository(s, INSPECTOR).submit_audit(fid, good, status="draft")
    assert _current(db) == {first.id: True, draft.id: False}
    assert {r["is_current"] for r in _findings(db) if r["audit_id"] == draft.id} == {False}
    assert _facility_state(db) == {fid: ("non_compliant", first.submitted_at)}
    with db.session(write=True) as s:  # a draft edit replaces its rows, still not current
        draft = Repository(s, INSPECTOR).update_draft(draft.id, steep,
                                                      expected_row_version=draft.row_version)
    draft_rows = [r for r in _findings(db) if r["audit_id"] == draft.id]
    assert len(draft_rows) == len(steep.findings)
    assert {r["status"] for r in draft_rows} == {f.status for f in steep.findings}
    with db.session(write=True) as s:  # submitting the draft makes it the current audit
        submitted = Repository(s, INSPECTOR).update_draft(
            draft.id, good, submit=True, expected_row_version=draft.row_version)
    assert _current(db) == {first.id: False, draft.id: True}
    assert _facility_state(db) == {fid: (good.verdict, submitted.submitted_at)}
    by_audit: dict[int, set[bool]] = {}
    for r in _findings(db):
        by_audit.setdefault(r["audit_id"], set()).add(r["is_current"])
    assert by_audit == {first.id: {False}, draft.id: {True}}
    with db.session() as s:
        frame = Repository(s).facility_frame()
    assert frame.loc[frame.facility_id == fid, "audit_id"].item() == draft.id


def test_a_failure_after_the_audit_insert_leaves_neither(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ev = evaluate("ramp", {"running_slope_pct": 8.0, "rise_mm": 400})
    with db.session(write=True) as s:
        fid = facility(s, "ramp", "441702")
        first = Repository(s, INSPECTOR).submit_audit(fid, ev)
        version = Repository(s).get_facility(fid).version
    before = (_findings(db), _current(db), _facility_state(db))
    real = repository_module.write_findings

    def fail_after_writing(session: Any, audit: Audit, fac: Facility, data: Any) -> None:
        real(session, audit, fac, data)  # the audit row and its findings are written ...
        raise RuntimeError("disk full")  # ... and then the transaction fails

    monkeypatch.setattr(repository_module, "write_findings", fail_after_writing)
    with pytest.raises(RuntimeError, match="disk full"), db.session(write=True) as s:
        Repository(s, INSPECTOR).submit_audit(fid, ev, idempotency_key="tablet-1:7")
    assert _count(db, Audit) == 1
    assert (_findings(db), _current(db), _facility_state(db)) == before
    assert _current(db) == {first.id: True}
    with db.session() as s:
        assert Repository(s).get_facility(fid).version == version
    monkeypatch.setattr(repository_module, "write_findings", real)
    with db.session(write=True) as s:  # the same request again succeeds, once
        again = Repository(s, INSPECTOR).submit_audit(fid, ev, idempotency_key="tablet-1:7")
    assert _current(db) == {first.id: False, again.id: True}


def _assert_refused(db: Database, fid: int, data: dict[str, Any], field: str) -> None:
    """Storing ``data`` is refused naming ``field``, and nothing is written."""
    with pytest.raises(InputError) as err, db.session(write=True) as s:
        Repository(s, INSPECTOR).submit_audit(fid, GivenEvaluation(data))
    assert field in {p.field for p in err.value.problems}
    assert _count(db, Audit) == 0 and _findings(db) == []


@pytest.mark.parametrize(("change", "field"), [
    ({"facility_type": "toilet"}, "evaluation.facility_type"),
    ({"ruleset_version": ""}, "evaluation.ruleset_version"),
    ({"ruleset_id": None}, "evaluation.ruleset_id"),
    ({"verdict": "compliant"}, "evaluation.verdict"),
    ({"score": 140.0}, "evaluation.score"),
    ({"measurements": None}, "evaluation.measurements"),
    ({"findings": [{"rule_id": "r1", "status": "advice", "severity": "minor"}]},
     "evaluation.findings[0].status"),
    ({"findings": [{"rule_id": "r1", "status": "fail", "severity": "critical"},
                   {"rule_id": "r1", "status": "pass", "severity": "minor"}]},
     "evaluation.findings[1].rule_id"),
])
def test_an_evaluation_that_is_not_what_it_claims_is_refused(
    sqlite_db: Database, change: dict[str, Any], field: str
) -> None:
    with sqlite_db.session(write=True) as s:
        fid = facility(s, "ramp", "441702")
    good = hand_evaluation("ramp", "non_compliant", {"critical": 1})
    data = {**good.to_dict(), **change}

    _assert_refused(sqlite_db, fid, data, field)


def test_storage_never_imports_the_scoring_engine() -> None:
    code = ("import sys, audit.storage.repository, audit.storage.findings, "
            "audit.storage.queries; bad = sorted(m for m in sys.modules if m == 'audit.scoring' "
            "or m.startswith('audit.rules') or m == 'statsmodels'); print(bad); "
            "sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO_ROOT, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# ----------------------------------------------------------------------------- evaluate once


class _Counter:
    """Counts :func:`audit.scoring.evaluate` calls and checks that no save evaluates again."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.made: set[int] = set()
        self.saved: list[Any] = []
        real_evaluate = audit.scoring.evaluate

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            out = real_evaluate(*args, **kwargs)
            self.made.add(id(out))
            return out

        for module in (audit.scoring, audit.io.odk_import, audit.demo.facilities,
                       audit.demo.workorders):
            monkeypatch.setattr(module, "evaluate", counting)
        real_batch = audit.io.odk_import.score_batch

        def counting_batch(*args: Any, **kwargs: Any) -> Any:
            """The bulk import scores a facility type's rows at once: one evaluation each."""
            out = real_batch(*args, **kwargs)
            self.calls += len(out)
            self.made.update(id(e) for e in out)
            return out

        monkeypatch.setattr(audit.io.odk_import, "score_batch", counting_batch)
        for name in ("submit_audit", "update_draft"):
            real_save = getattr(Repository, name)
            monkeypatch.setattr(Repository, name, self._spy(real_save))
        monkeypatch.setattr(audit.storage.bulk, "submit_audits",
                            self._spy_bulk(audit.storage.bulk.submit_audits))

    def _spy_bulk(self, real_save: Any) -> Any:
        """The bulk import's save (many evaluations at once) is held to the same rule."""

        def save(repo: Repository, items: Any, **kwargs: Any) -> Any:
            before = self.calls
            out = real_save(repo, items, **kwargs)
            assert self.calls == before, "the repository evaluated the measurements again"
            self.saved.extend(item.evaluation for item in items)
            return out

        return save

    def _spy(self, real_save: Any) -> Any:
        def save(repo: Repository, key: int, evaluation: Any, **kwargs: Any) -> Any:
            before = self.calls
            out = real_save(repo, key, evaluation, **kwargs)
            assert self.calls == before, "the repository evaluated the measurements again"
            self.saved.append(evaluation)
            return out

        return save

    def all_saved_were_made_by_the_caller(self) -> bool:
        return all(id(e) in self.made for e in self.saved)


def test_an_inspector_save_evaluates_once(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = _Counter(monkeypatch)
    cfg = Settings(data_dir=tmp_path)
    m = {"running_slope_pct": 9.0, "rise_mm": 300}
    draft = save_audit(sqlite_db, INSPECTOR, AuditRequest("ramp", m, lon=LON, lat=LAT,
                                                          status="draft"), settings=cfg)
    assert counter.calls == 1
    saved = save_audit(sqlite_db, INSPECTOR, AuditRequest(
        "ramp", {**m, "running_slope_pct": 7.0}, draft_audit_id=draft.audit.id,
        draft_row_version=draft.audit.row_version), settings=cfg)
    assert counter.calls == 2 and len(counter.saved) == 2
    assert counter.all_saved_were_made_by_the_caller()
    assert saved.audit.measurements["running_slope_pct"] == 7.0
    assert _current(sqlite_db) == {saved.audit.id: True}


def test_odk_import_and_demo_seed_evaluate_each_audit_once(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = _Counter(monkeypatch)
    fixtures = Path(__file__).resolve().parent / "fixtures" / "odk"
    report = import_odk(sqlite_db, SYSTEM, fixtures / "central_submissions.csv",
                        settings=Settings(data_dir=tmp_path))
    assert report.imported == 3 and counter.calls == 3 and len(counter.saved) == 3
    assert counter.all_saved_were_made_by_the_caller()
    demo_db = sqlite_db
    with demo_db.session(write=True) as s:  # the seeder only fills an empty database
        s.execute(sa.delete(AuditFinding))
        s.execute(sa.delete(Audit))
        s.execute(sa.delete(Facility))
    counter.calls, counter.saved, counter.made = 0, [], set()
    with demo_db.unit_of_work(SYSTEM, write=True) as repo:
        result = seed_demo(repo, n_facilities=25)
    assert result.seeded and len(counter.saved) == _count(demo_db, Audit) > 25
    assert counter.all_saved_were_made_by_the_caller()


# ----------------------------------------------------------------------------- migration 0002


_audits_0001 = sa.table(
    "audits",
    *(sa.column(n) for n in ("id", "facility_id", "inspector_name", "status", "sequence",
                             "ruleset_id", "ruleset_version", "notes", "verdict", "score",
                             "n_fail", "source", "row_version", "is_demo")),
    sa.column("created_at", TZDateTime()), sa.column("submitted_at", TZDateTime()),
    sa.column("measurements", sa.JSON()), sa.column("evaluation", sa.JSON()),
)
_facilities_0001 = sa.table(
    "facilities",
    *(sa.column(n) for n in ("id", "facility_type", "name", "lon", "lat", "district_code",
                             "address", "version", "is_demo")),
    sa.column("created_at", TZDateTime()),
)


@pytest.fixture
def db_at_0001(db: Database) -> Iterator[Database]:
    command.downgrade(alembic_config(db), "0001")
    assert current_revision(db) == "0001"
    try:
        yield db
    finally:
        upgrade_to_head(db)


def test_migration_0002_backfills_findings_from_stored_evaluations(db_at_0001: Database) -> None:
    db = db_at_0001
    rng = np.random.default_rng(4)
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    facilities, audits = [], []
    for fid in range(1, 13):
        ftype = FACILITY_TYPES[fid % len(FACILITY_TYPES)]
        facilities.append({"id": fid, "facility_type": ftype, "name": f"f{fid}", "lon": LON,
                           "lat": LAT, "district_code": DISTRICTS[fid % 4], "address": "",
                           "version": 1, "is_demo": False, "created_at": t0})
        for k in range(fid % 4):  # 0 to 3 audits; some drafts, one without an evaluation
            status = "draft" if (fid + k) % 5 == 0 else "submitted"
            ev = evaluate(ftype, random_measurements(ftype, rng, missing_rate=0.2)).to_dict()
            if fid == 7 and k == 0:
                ev = hand_evaluation(ftype, "non_compliant", {"critical": 2}).to_dict()
            if fid == 5 and k == 0:  # an advice (宜) finding not followed
                ev = evaluate(ftype, {**PAVING, "width_mm": 600}).to_dict()
            audits.append({
                "id": len(audits) + 1, "facility_id": fid, "inspector_name": "t",
                "status": status, "sequence": k + 1 if status == "submitted" else 0,
                "ruleset_id": ev["ruleset_id"], "ruleset_version": ev["ruleset_version"],
                "notes": "", "verdict": ev["verdict"], "score": ev["score"],
                "n_fail": sum(f["status"] == "fail" for f in ev["findings"]), "source": "app",
                "row_version": 1, "is_demo": False, "created_at": t0,
                "submitted_at": t0 + timedelta(days=k) if status == "submitted" else None,
                "measurements": ev["measurements"],
                "evaluation": None if (fid == 6 and k == 0) else ev,
            })
    with db.engine.begin() as conn:
        conn.execute(sa.insert(_facilities_0001), facilities)
        conn.execute(sa.insert(_audits_0001), audits)
    command.upgrade(alembic_config(db), "0002")  # the backfill under test; 0003 follows it
    assert current_revision(db) == "0002"
    latest: dict[int, dict[str, Any]] = {}
    for a in audits:
        cur = latest.get(a["facility_id"])
        if a["status"] == "submitted" and (
                cur is None or (a["sequence"], a["id"]) > (cur["sequence"], cur["id"])):
            latest[a["facility_id"]] = a
    current_ids = {a["id"] for a in latest.values()}
    assert _current(db) == {a["id"]: a["id"] in current_ids for a in audits}
    fac = {f["id"]: f for f in facilities}
    expected = [
        finding_row(f, audit_id=a["id"], facility_id=a["facility_id"],
                    district_code=fac[a["facility_id"]]["district_code"],
                    facility_type=fac[a["facility_id"]]["facility_type"],
                    ruleset_id=a["ruleset_id"], ruleset_version=a["ruleset_version"],
                    is_current=a["id"] in current_ids)
        for a in audits for f in (a["evaluation"] or {}).get("findings", [])
    ]
    key = ("audit_id", "rule_id")
    got = sorted(_findings(db), key=lambda r: tuple(r[k] for k in key))
    assert got == sorted(expected, key=lambda r: tuple(r[k] for k in key))
    assert len(got) > 40 and any(r["status"] == "fail" for r in got)
    # the obligation is copied: the advice row (宜, not followed) stays advice, never a fail
    assert [(r["audit_id"], r["rule_id"], r["status"]) for r in got
            if r["obligation"] == "advice" and r["status"] != "not_measured"] == [
        (a["id"], "tactile_paving.width", "advice") for a in audits if a["facility_id"] == 5]
    assert _facility_state(db) == {
        fid: (latest[fid]["verdict"], latest[fid]["submitted_at"]) if fid in latest
        else (None, None) for fid in fac}
    # the backfilled rows rank exactly as the stored evaluations did
    with db.session() as s:
        repo = Repository(s)
        ours = compute_rankings(repo, expected=_targets(1), weights=WEIGHTS)
        old = _old_path_table(repo, _targets(1), {})
    pd.testing.assert_frame_equal(ours.table, old)


# ----------------------------------------------------------------------------- rankings


def _targets(seed: int) -> pd.DataFrame:
    rnd = random.Random(seed)
    rows = [{"district_code": d, "facility_type": t, "expected": rnd.randint(1, 8)}
            for d in DISTRICTS for t in FACILITY_TYPES if rnd.random() < 0.85]
    return pd.DataFrame(rows)


def _old_path_table(repo: Repository, expected: pd.DataFrame, filters: dict[str, Any],
                    group_by: tuple[str, ...] = ("district_code", "facility_type"),
                    threshold: float = 0.3) -> pd.DataFrame:
    """The ranking table as it was computed before findings rows: the latest submitted audit
    per facility picked in Python, its failing severities parsed from the stored JSON."""
    s = repo.session
    latest: dict[int, Any] = {}
    for a in s.execute(sa.select(Audit.id, Audit.facility_id, Audit.sequence, Audit.status,
                                 Audit.verdict, Audit.submitted_at, Audit.evaluation)):
        cur = latest.get(a.facility_id)
        if a.status == "submitted" and (cur is None or (a.sequence, a.id) > (cur.sequence,
                                                                            cur.id)):
            latest[a.facility_id] = a
    rows, gaps = [], {}
    for f in s.execute(sa.select(Facility.id, Facility.district_code, Facility.facility_type,
                                 Facility.is_demo)):
        a = latest.get(f.id)
        if a is None:
            continue
        if filters.get("facility_types") is not None and \
                f.facility_type not in filters["facility_types"]:
            continue
        if filters.get("districts") is not None and f.district_code not in filters["districts"]:
            continue
        if filters.get("since") is not None and a.submitted_at < filters["since"]:
            continue
        if filters.get("until") is not None and a.submitted_at > filters["until"]:
            continue
        rows.append({"facility_id": f.id, "district_code": f.district_code,
                     "facility_type": f.facility_type, "verdict": a.verdict,
                     "audit_id": a.id, "is_demo": f.is_demo})
        if a.verdict == "non_compliant":
            gaps[float(a.id)] = sum(WEIGHTS[x["severity"]] for x in a.evaluation["findings"]
                                    if x["status"] == "fail")
    frame = pd.DataFrame(rows, columns=["facility_id", "district_code", "facility_type",
                                        "verdict", "audit_id", "is_demo"])
    table = rank_frame(frame, pd.Series(gaps, dtype=float), expected,
                       reports=report_counts(repo), report_fix_types=_report_fix_types(),
                       group_by=group_by, coverage_threshold=threshold)
    table["expected_source"] = "OSM/features"
    if filters.get("facility_types") is not None and "facility_type" in group_by:
        table = table[table["facility_type"].isin(filters["facility_types"])]
    if filters.get("districts") is not None and "district_code" in group_by:
        table = table[table["district_code"].isin(filters["districts"])]
    return table.reset_index(drop=True)


def _random_audits(db: Database, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    with db.session(write=True) as s:
        repo = Repository(s, INSPECTOR)
        for i in range(70):
            ftype = rnd.choice(FACILITY_TYPES)
            fid = facility(s, ftype, rnd.choice(DISTRICTS), dx=i * 1e-4, demo=rnd.random() < 0.2)
            for _ in range(rnd.choice((0, 1, 1, 2, 3))):
                ev = evaluate(ftype, random_measurements(ftype, rng,
                                                         missing_rate=rnd.choice((0.0, 0.3))))
                when = t0 + timedelta(days=rnd.randint(0, 300))
                status = "draft" if rnd.random() < 0.15 else "submitted"
                rec = repo.submit_audit(fid, ev, status=status, submitted_at=when)
                if status == "draft" and rnd.random() < 0.5:
                    repo.update_draft(rec.id, ev, expected_row_version=rec.row_version,
                                      submit=True)


@pytest.mark.parametrize("seed", [1, 2])
def test_rankings_from_rows_equal_the_old_json_path(db: Database, seed: int) -> None:
    _random_audits(db, seed)
    rnd = random.Random(seed)
    expected = _targets(seed)
    cases: list[tuple[dict[str, Any], tuple[str, ...]]] = [
        ({}, ("district_code", "facility_type")),
        ({}, ("district_code",)),
        ({}, ("facility_type",)),
        ({"districts": rnd.sample(DISTRICTS, 2)}, ("district_code", "facility_type")),
        ({"facility_types": rnd.sample(FACILITY_TYPES, 3)}, ("district_code", "facility_type")),
        ({"since": datetime(2025, 4, 1, tzinfo=UTC), "until": datetime(2025, 9, 1, tzinfo=UTC)},
         ("district_code", "facility_type")),
    ]
    with db.session() as s:
        repo = Repository(s)
        for filters, keys in cases:
            ours = compute_rankings(repo, expected=expected, weights=WEIGHTS, group_by=keys,
                                    coverage_threshold=0.3, **filters).table
            old = _old_path_table(repo, expected, filters, keys)
            pd.testing.assert_frame_equal(ours, old)
        gaps = gap_points_by_facility(repo, WEIGHTS)  # the retrofit candidates' severity
        submitted = s.scalars(sa.select(Audit).where(Audit.status == "submitted")
                              .order_by(Audit.sequence, Audit.id)).all()
    latest = {a.facility_id: a for a in submitted}  # the last one of each facility wins
    want = {fid: sum(WEIGHTS[f["severity"]] for f in a.evaluation["findings"]
                     if f["status"] == "fail")
            for fid, a in latest.items() if a.verdict == "non_compliant"}
    assert gaps.to_dict() == want and len(want) > 5


# ----------------------------------------------------------------------------- advice (宜)


PAVING = {"obstructed": False, "continuous": True, "warning_at_start_end_turns": True,
          "warning_strip_width_ok": True, "contrasts_with_pavement": True, "grate_present": False}


def test_advice_rows_never_make_a_facility_non_compliant(db: Database) -> None:
    wide = evaluate("tactile_paving", {**PAVING, "width_mm": 600})  # 3.2.2 (宜) not followed
    unmeasured = evaluate("tactile_paving", PAVING)  # advice left unmeasured: still complete
    failing = evaluate("tactile_paving", {**PAVING, "width_mm": 600, "obstructed": True})
    assert (wide.verdict, unmeasured.verdict, failing.verdict) == (
        "compliant", "compliant", "non_compliant")
    with db.session(write=True) as s:
        repo = Repository(s, INSPECTOR)
        ids = [repo.submit_audit(facility(s, "tactile_paving", "441702", dx=i * 1e-3), ev).id
               for i, ev in enumerate((wide, unmeasured, failing))]
    rows = {(r["audit_id"], r["rule_id"]): r for r in _findings(db)}
    advice = rows[(ids[0], "tactile_paving.width")]
    assert (advice["status"], advice["obligation"], advice["measured_value"]) == (
        "advice", "advice", 600.0)
    assert rows[(ids[1], "tactile_paving.width")]["status"] == "not_measured"
    assert rows[(ids[0], "tactile_paving.unobstructed")]["obligation"] == "requirement"
    assert sorted(v[0] for v in _facility_state(db).values()) == [
        "compliant", "compliant", "non_compliant"]
    with db.session() as s:
        repo = Repository(s)
        t = compute_rankings(repo, expected=_targets(1), weights=WEIGHTS).table
        gaps = gap_points_by_facility(repo, WEIGHTS)
    cell = t[(t.district_code == "441702") & (t.facility_type == "tactile_paving")].iloc[0]
    assert (cell.audited, cell.compliant, cell.non_compliant, cell.incomplete) == (3, 2, 1, 0)
    # the failing audit's gap points are its requirement's only: the advice adds nothing
    unobstructed = next(f for f in failing.findings if f.rule_id == "tactile_paving.unobstructed")
    assert cell.gap_points == WEIGHTS[unobstructed.severity]
    assert list(gaps.to_numpy()) == [WEIGHTS[unobstructed.severity]]


@pytest.mark.parametrize(("finding", "field"), [
    ({"rule_id": "r1", "status": "fail", "severity": "minor", "obligation": "advice"},
     "evaluation.findings[0].status"),
    ({"rule_id": "r1", "status": "advice", "severity": "minor", "obligation": "requirement"},
     "evaluation.findings[0].status"),
    ({"rule_id": "r1", "status": "pass", "severity": "minor", "obligation": "optional"},
     "evaluation.findings[0].obligation"),
])
def test_advice_is_never_a_failure_in_storage(sqlite_db: Database, finding: dict[str, Any],
                                              field: str) -> None:
    with sqlite_db.session(write=True) as s:
        fid = facility(s, "ramp", "441702")
    data = {**hand_evaluation("ramp", "compliant").to_dict(), "findings": [finding]}

    _assert_refused(sqlite_db, fid, data, field)


def test_verdict_check_follows_the_engine_on_advice_and_suspect_values(
    sqlite_db: Database,
) -> None:
    # an advice row that is not followed, alone, leaves the audit compliant ...
    advice_only = {**hand_evaluation("ramp", "compliant").to_dict(), "findings": [
        {"rule_id": "r1", "status": "advice", "severity": "minor", "obligation": "advice"},
        {"rule_id": "r2", "status": "not_measured", "severity": "minor", "obligation": "advice"},
        {"rule_id": "r3", "status": "pass", "severity": "major"}]}
    # ... and a value outside its plausible range, not confirmed, keeps it incomplete
    slip = evaluate("ramp", {**GOOD_RAMP, "rise_mm": 0.8})
    assert slip.verdict == "incomplete" and slip.unconfirmed == ["rise_mm"]
    claims_compliant = {**slip.to_dict(), "verdict": "compliant"}

    with sqlite_db.session(write=True) as s:
        repo = Repository(s, INSPECTOR)
        ok = repo.submit_audit(facility(s, "ramp", "441702"), GivenEvaluation(advice_only))
        stored = repo.submit_audit(facility(s, "ramp", "441704"), slip)
        assert (ok.verdict, stored.verdict) == ("compliant", "incomplete")
        with pytest.raises(InputError) as err:
            repo.submit_audit(facility(s, "ramp", "441721"), GivenEvaluation(claims_compliant))
    assert [p.field for p in err.value.problems] == ["evaluation.verdict"]
    assert "incomplete" in err.value.problems[0].allowed


# ----------------------------------------------------------------------------- demo data


def test_rankings_from_rows_equal_the_old_path_on_the_demo_data(db: Database) -> None:
    with db.unit_of_work(SYSTEM, write=True) as repo:
        seeded = seed_demo(repo, n_facilities=120)
    assert seeded.seeded and seeded.audits > 120
    expected = _targets(3)
    with db.session() as s:
        repo = Repository(s)
        for keys in (("district_code", "facility_type"), ("district_code",), ("facility_type",)):
            ours = compute_rankings(repo, expected=expected, weights=WEIGHTS, group_by=keys,
                                    coverage_threshold=0.3).table
            old = _old_path_table(repo, expected, {}, keys)
            pd.testing.assert_frame_equal(ours, old)
        assert ours["is_demo"].all()
        assert int(ours["non_compliant"].sum()) > 10
