"""Helpers for the bureau tests: facilities and audits with chosen verdicts and failing clauses.

Audits are stored through :meth:`Repository.submit_audit` with a hand-written evaluation
(verdict + findings), so the ranking arithmetic can be checked exactly without depending on the
ruleset's thresholds, and their findings rows and current marker are written as in the app.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from audit.actors import SYSTEM
from audit.storage import Database
from audit.storage.orm import Audit, Base, Report
from audit.storage.repository import Repository

#: a ramp compliant under the current ruleset (2.0.0), every field measured
GOOD_RAMP: dict[str, Any] = {
    "running_slope_pct": 6.7, "cross_slope_pct": 0.7, "rise_mm": 181.0,
    "site_constrained": False, "clear_width_mm": 1381.0, "landing_length_mm": 1698.0,
    "landing_width_mm": 1838.0, "handrail_present": True, "handrails_both_sides": True,
    "handrails_continuous": True, "handrail_height_mm": 858.0, "double_handrail": False,
    "handrail_extension_mm": 367.0, "handrail_wall_clearance_mm": 47.0,
    "handrail_contrasts": True, "has_open_side": True, "edge_protection": True,
    "surface_non_slip": True, "in_dwelling": False,
}

T0 = datetime(2025, 6, 1, tzinfo=UTC)
WEIGHTS = {"critical": 5.0, "major": 3.0, "minor": 1.0}
# a point inside each district (near a GeoNames town), lon/lat
POINTS = {
    "441702": (111.95, 21.86),
    "441704": (112.02, 21.87),
    "441721": (111.62, 21.74),
    "441781": (111.79, 22.17),
}


def snapshot(db: Database) -> str:
    """A hash of every row of every table (any write changes it)."""
    digest = hashlib.sha256()
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


class GivenEvaluation:
    """Any evaluation dict, as the repository receives one (``to_dict``)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return self.data


@dataclass(frozen=True)
class HandEvaluation:
    """An evaluation written by hand (what :func:`audit.scoring.evaluate` would return)."""

    facility_type: str
    verdict: str
    findings: list[dict[str, Any]]
    score: float | None = 50.0
    measurements: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"facility_type": self.facility_type, "verdict": self.verdict,
                "score": self.score, "ruleset_id": "test", "ruleset_version": "1",
                "measurements": dict(self.measurements), "findings": list(self.findings)}


def facility(s: so.Session, ftype: str, district: str, *, dx: float = 0.0, demo: bool = False
             ) -> int:
    lon, lat = POINTS[district]
    rec = Repository(s, SYSTEM).create_facility(
        ftype, lon + dx, lat, name=f"{ftype}-{district}", district_code=district, is_demo=demo
    )
    return rec.id


def hand_evaluation(ftype: str, verdict: str, fails: dict[str, int] | None = None
                    ) -> HandEvaluation:
    """``fails``: failing clauses per severity; an incomplete audit also has an unmeasured one."""
    findings = [
        {"rule_id": f"x.{sev}.{i}", "status": "fail", "severity": sev}
        for sev, n in (fails or {}).items() for i in range(n)
    ] + [{"rule_id": "x.pass", "status": "pass", "severity": "major"}]
    if verdict == "incomplete":
        findings.append({"rule_id": "x.unmeasured", "status": "not_measured", "severity": "minor"})
    return HandEvaluation(ftype, verdict, findings)


def audit(s: so.Session, facility_id: int, verdict: str, fails: dict[str, int] | None = None,
          *, at: datetime | None = None) -> int:
    repo = Repository(s, SYSTEM)
    n_prev = s.query(Audit).filter(Audit.facility_id == facility_id).count()
    ftype = repo.get_facility(facility_id).facility_type
    record = repo.submit_audit(facility_id, hand_evaluation(ftype, verdict, fails),
                               submitted_at=at or T0 + timedelta(days=n_prev))
    return record.id


def report(s: so.Session, district: str, category: str, status: str = "new",
           facility_id: int | None = None, code: str = "R1") -> int:
    lon, lat = POINTS[district]
    row = Report(code=code, category=category, lon=lon, lat=lat, district_code=district,
                 status=status, facility_id=facility_id)
    s.add(row)
    s.flush()
    return row.id
