"""Re-audits (issue 17 item 5): a facility's current state combines the latest measurement of
each field, each with its date, so re-measuring only the fixed items cannot turn 不合格 into
资料不全 with score 100 (docs/SCORING.md §3a)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from bureau_fixtures import GOOD_RAMP, facility

from audit.actors import Actor
from audit.errors import InputError
from audit.inspect import AuditRequest, save_audit
from audit.rankings import compute_rankings
from audit.reaudit import combine, current_state, evaluate_combined
from audit.rescore import rescore
from audit.scoring import evaluate
from audit.storage import Database
from audit.storage.orm import Audit, AuditFinding, Facility

INSPECTOR = Actor(None, "inspector-wu", "inspector")
ADMIN = Actor(None, "admin-li", "admin")
T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
#: a ramp failing on its running slope (12 %) and its clear width (1.00 m): 不合格
BAD_RAMP: dict[str, Any] = {**GOOD_RAMP, "running_slope_pct": 12.0, "clear_width_mm": 1000.0}


def _first_audit(db: Database) -> tuple[int, int]:
    with db.unit_of_work(INSPECTOR, write=True) as repo:
        fid = facility(repo.session, "ramp", "441702")
        first = repo.submit_audit(fid, evaluate("ramp", BAD_RAMP), submitted_at=T0)
    assert first.verdict == "non_compliant"
    return fid, first.id


def _reaudit(db: Database, fid: int, raw: dict[str, Any], **kw: Any) -> Any:
    with db.unit_of_work(INSPECTOR, write=True) as repo:
        return save_audit(repo, AuditRequest("ramp", raw, facility_id=fid, **kw))


def _current(db: Database, fid: int) -> tuple[str | None, set[str]]:
    with db.session() as s:
        verdict = s.scalar(sa.select(Facility.current_verdict).where(Facility.id == fid))
        failing = set(s.scalars(sa.select(AuditFinding.rule_id).where(
            AuditFinding.facility_id == fid, AuditFinding.is_current,
            AuditFinding.status == "fail")))
    return verdict, failing


def test_partial_reaudit_keeps_the_failure_it_did_not_remeasure(db: Database) -> None:
    """The slope is fixed and re-measured; the width was not touched: still 不合格, not 资料不全
    with 100 — and the facility, its current findings, the rankings and a rescore agree."""
    fid, first_id = _first_audit(db)
    alone = evaluate("ramp", {"running_slope_pct": 6.0})
    assert (alone.verdict, alone.score) == ("incomplete", 100.0)  # the defect this prevents
    result = _reaudit(db, fid, {"running_slope_pct": 6.0})
    audit = result.audit
    assert audit.verdict == "non_compliant" and audit.score is not None and audit.score < 100
    assert audit.measurements["running_slope_pct"] == 6.0
    assert audit.measurements["clear_width_mm"] == 1000.0
    # every carried value names the audit and the date that measured it; the new one is not
    assert audit.measured_from["clear_width_mm"] == {
        "audit_id": first_id, "sequence": 1, "at": T0.isoformat()}
    assert "running_slope_pct" not in audit.measured_from
    assert set(audit.measured_from) == {k for k in BAD_RAMP if k != "running_slope_pct"}
    verdict, failing = _current(db, fid)
    assert verdict == "non_compliant" and failing == {"ramp.clear_width"}
    with db.unit_of_work(INSPECTOR) as repo:
        state = current_state(repo, fid)
        cells = compute_rankings(repo, group_by=("district_code",)).table
    assert state is not None and state.audit_id == audit.id
    assert state.fields["clear_width_mm"].measured_at == T0
    assert state.fields["running_slope_pct"].audit_id == audit.id
    assert state.oldest == T0
    row = cells[cells["district_code"] == "441702"].iloc[0]
    assert int(row["non_compliant"]) == 1 and int(row.get("incomplete", 0)) == 0
    report = rescore(db, ADMIN, everything=True)
    assert report.changed == 0 and not report.rejected
    assert _current(db, fid) == (verdict, failing)


def test_remeasured_as_passing_clears_the_failure_and_keeps_older_dates(db: Database) -> None:
    fid, first_id = _first_audit(db)
    second = _reaudit(db, fid, {"running_slope_pct": 6.0}).audit
    third = _reaudit(db, fid, {"clear_width_mm": 1300.0}).audit
    assert third.verdict == "compliant" and third.score == 100.0
    assert third.measured_from["running_slope_pct"]["audit_id"] == second.id
    assert third.measured_from["running_slope_pct"]["sequence"] == 2
    assert third.measured_from["handrail_height_mm"]["audit_id"] == first_id
    assert _current(db, fid) == ("compliant", set())
    # a value re-measured as failing fails again, whatever was fixed before
    fourth = _reaudit(db, fid, {"running_slope_pct": 9.5}).audit
    assert fourth.verdict == "non_compliant"
    assert _current(db, fid)[1] == {"ramp.running_slope"}


def test_full_audit_and_discarded_values_stop_old_measurements_counting(db: Database) -> None:
    fid, _ = _first_audit(db)
    full = _reaudit(db, fid, {"running_slope_pct": 6.0, "clear_width_mm": 1300.0},
                    full_audit=True).audit
    assert full.verdict == "incomplete" and full.measured_from == {}
    assert set(full.measurements) <= {"running_slope_pct", "clear_width_mm", "site_constrained",
                                      "in_dwelling"}  # the schema's defaults
    fid2, _ = _first_audit(db)
    kept = _reaudit(db, fid2, {"running_slope_pct": 6.0}, discard=["clear_width_mm"]).audit
    assert "clear_width_mm" not in kept.measurements and kept.verdict == "incomplete"
    with pytest.raises(InputError) as caught:
        _reaudit(db, fid2, {"running_slope_pct": 6.0}, discard=["no_such_field"])
    assert [(p.field, p.value) for p in caught.value.problems] == [("discard", "no_such_field")]


def test_a_carried_value_that_contradicts_a_new_one_is_dropped_and_listed() -> None:
    """The handrail was removed: its old height no longer counts (never guessed)."""
    from audit.reaudit import state_of
    from audit.storage.repository import AuditRecord

    record = AuditRecord(
        id=7, facility_id=3, sequence=1, status="submitted", created_at=T0, submitted_at=T0,
        inspector_name="w", measurements=dict(BAD_RAMP), notes="", verdict="non_compliant",
        score=75.0, n_fail=2, ruleset_id="r", ruleset_version="1", row_version=1,
        idempotency_key=None, source="app", is_demo=False)
    state = state_of(record, "ramp")
    evaluation, combined = evaluate_combined(state, "ramp", {"handrail_present": False})
    assert combined.dropped.get("handrail_height_mm") == "contradiction"
    assert "handrail_height_mm" not in evaluation.measurements
    assert evaluation.measurements["handrail_present"] is False
    assert combined.measured_from["clear_width_mm"]["audit_id"] == 7
    # a contradiction within what was measured now is the inspector's to correct
    with pytest.raises(InputError):
        evaluate_combined(state, "ramp", {"handrail_present": False, "handrail_height_mm": 850})
    # a toilet's derived area is not carried when its width is measured anew
    toilet = AuditRecord(**{**record.__dict__, "measurements": {
        "internal_width_mm": 1500.0, "internal_depth_mm": 1500.0, "area_m2": 2.25}})
    combined = combine(state_of(toilet, "toilet"), "toilet", {"internal_width_mm": 1900.0})
    assert combined.dropped == {"area_m2": "derived"}
    assert "area_m2" not in combined.measurements


def test_a_bad_measured_from_is_refused_and_nothing_is_written(sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work(INSPECTOR, write=True) as repo:
        fid = facility(repo.session, "ramp", "441702")
    for bad in ({"no_such": {"audit_id": 1, "sequence": 1, "at": T0.isoformat()}},
                {"clear_width_mm": {"audit_id": "1", "sequence": 1, "at": T0.isoformat()}},
                {"clear_width_mm": {"audit_id": 1, "sequence": 1, "at": "yesterday"}}):
        with pytest.raises(InputError) as caught, \
                sqlite_db.unit_of_work(INSPECTOR, write=True) as repo:
            repo.submit_audit(fid, evaluate("ramp", BAD_RAMP), measured_from=bad)
        assert caught.value.problems[0].field.startswith("measured_from.")
        with sqlite_db.session() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(Audit)) == 0
