"""Helpers for the bureau tests: facilities and audits with chosen verdicts and failing clauses.

Audits are inserted through the ORM with a hand-written evaluation (verdict + findings), so the
ranking arithmetic can be checked exactly without depending on the ruleset's thresholds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy.orm as so

from audit.actors import SYSTEM
from audit.storage.orm import Audit, Report
from audit.storage.repository import Repository

T0 = datetime(2025, 6, 1, tzinfo=UTC)
WEIGHTS = {"critical": 5.0, "major": 3.0, "minor": 1.0}
# a point inside each district (near a GeoNames town), lon/lat
POINTS = {
    "441702": (111.95, 21.86),
    "441704": (112.02, 21.87),
    "441721": (111.62, 21.74),
    "441781": (111.79, 22.17),
}


def facility(s: so.Session, ftype: str, district: str, *, dx: float = 0.0, demo: bool = False
             ) -> int:
    lon, lat = POINTS[district]
    rec = Repository(s, SYSTEM).create_facility(
        ftype, lon + dx, lat, name=f"{ftype}-{district}", district_code=district, is_demo=demo
    )
    return rec.id


def audit(s: so.Session, facility_id: int, verdict: str, fails: dict[str, int] | None = None,
          *, at: datetime | None = None, seq: int | None = None) -> int:
    findings = [
        {"rule_id": f"x.{sev}.{i}", "status": "fail", "severity": sev}
        for sev, n in (fails or {}).items() for i in range(n)
    ] + [{"rule_id": "x.pass", "status": "pass", "severity": "major"}]
    n_prev = s.query(Audit).filter(Audit.facility_id == facility_id).count()
    row = Audit(
        facility_id=facility_id, inspector_name="t", status="submitted",
        sequence=seq or n_prev + 1, submitted_at=at or T0 + timedelta(days=n_prev),
        ruleset_id="test", ruleset_version="1", measurements={}, verdict=verdict, score=50.0,
        n_fail=sum((fails or {}).values()), evaluation={"findings": findings},
    )
    s.add(row)
    s.flush()
    return row.id


def report(s: so.Session, district: str, category: str, status: str = "new",
           facility_id: int | None = None, code: str = "R1") -> int:
    lon, lat = POINTS[district]
    row = Report(code=code, category=category, lon=lon, lat=lat, district_code=district,
                 status=status, facility_id=facility_id)
    s.add(row)
    s.flush()
    return row.id
