"""Synthetic resident reports near the demo facilities, in every workflow status (演示).

Each report goes through the real workflow functions of :mod:`audit.reports` (verify, link,
start, fix, reject, mark duplicate, support), so the demo shows the rules as they are.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Final, NamedTuple

import numpy as np

from audit.demo.common import DEMO_BUREAU, DEMO_RESIDENT, claim_demo_database
from audit.frames import frame_rows
from audit.geo import EARTH_RADIUS_M
from audit.reports import (
    OPEN_STATUSES,
    REPORT_CATEGORIES,
    ReportReceipt,
    create_report,
    link_facility,
    mark_duplicate,
    mark_fixed,
    reject_report,
    start_work,
    support,
    verify_report,
)
from audit.storage.orm import utcnow
from audit.storage.repository import Repository


class _DemoFacility(NamedTuple):
    id: int
    facility_type: str
    lon: float
    lat: float
    address: str


DEMO_REPORTS: Final = 60
#: Share of demo reports per final status (synthetic; chosen to show every state).
DEMO_STATUS_SHARES: Final[dict[str, float]] = {
    "new": 0.30, "confirmed": 0.20, "in_progress": 0.15, "fixed": 0.15,
    "rejected": 0.08, "duplicate": 0.12,
}
DEMO_OFFSET_M: Final = 30.0
DEMO_DESCRIPTIONS: Final[dict[str, str]] = {
    "tactile_blocked": "盲道上停放电动车（演示数据，合成） / e-bikes parked on tactile paving "
    "(synthetic demo)",
    "curb_ramp_missing": "路口没有缘石坡道（演示） / no curb ramp at the corner (synthetic demo)",
    "ramp_steep": "坡道太陡，轮椅上不去（演示） / ramp too steep for a wheelchair (synthetic demo)",
    "toilet_unusable": "无障碍厕所上锁（演示） / accessible toilet locked (synthetic demo)",
    "parking_occupied": "无障碍车位被普通车占用（演示） / accessible bay taken (synthetic demo)",
    "crossing_signal": "过街音响不响（演示） / crossing signal silent (synthetic demo)",
    "entrance_barrier": "入口有两级台阶（演示） / two steps at the entrance (synthetic demo)",
    "other": "其他障碍（演示） / other barrier (synthetic demo)",
}


def seed_demo_reports(repo: Repository, rng: np.random.Generator) -> str:
    """Deterministic synthetic reports near demo facilities, in every status; labelled 演示.

    Does nothing if reports exist; refuses on a database holding real data.
    """
    claim_demo_database(repo)
    by_type = {c.facility_type: c.key for c in REPORT_CATEGORIES.values() if c.facility_type}
    if repo.reports.any():
        return "reports: database already holds reports, none added"
    frame = repo.facility_frame()
    frame = frame[frame["is_demo"]]
    facilities = [
        _DemoFacility(int(r.facility_id), str(r.facility_type), float(r.lon), float(r.lat),
                      str(r.address))
        for r in frame_rows(frame)
    ]
    if not facilities:
        return "reports: no demo facilities, no demo reports added"
    resident = repo.acting_as(DEMO_RESIDENT)
    bureau = repo.acting_as(DEMO_BUREAU)
    statuses = list(DEMO_STATUS_SHARES)
    probs = np.array([DEMO_STATUS_SHARES[k] for k in statuses])
    picks = rng.choice(len(facilities), size=min(DEMO_REPORTS, len(facilities)),
                       replace=False)
    start = datetime(2025, 6, 1, tzinfo=utcnow().tzinfo)
    made: list[ReportReceipt] = []
    for n, index in enumerate(sorted(int(i) for i in picks)):
        fac = facilities[index]
        category = by_type.get(fac.facility_type, "other")
        if rng.random() < 0.1:
            category = "other"
        bearing = rng.random() * 2 * math.pi
        dist = rng.random() * DEMO_OFFSET_M
        dlat = math.degrees(dist * math.cos(bearing) / EARTH_RADIUS_M)
        dlon = math.degrees(dist * math.sin(bearing) / EARTH_RADIUS_M) / math.cos(
            math.radians(fac.lat))
        when = start + timedelta(days=float(rng.random() * 300))
        typed_only = rng.random() < 0.15
        receipt = create_report(
            resident,
            category=category,
            description=DEMO_DESCRIPTIONS[category],
            location_text=f"{fac.address}（演示）" if fac.address else "演示地点",
            lon=None if typed_only else fac.lon + dlon,
            lat=None if typed_only else fac.lat + dlat,
            now=when,
            is_demo=True,
            code_rng=rng,
        )
        made.append(receipt)
        status = statuses[int(rng.choice(len(statuses), p=probs / probs.sum()))]
        later = when + timedelta(days=float(1 + rng.random() * 20))
        if status == "duplicate" and n > 0:
            original = made[int(rng.integers(0, n))]
            target = repo.reports.get(original.report_id)
            if target is not None and target.status in OPEN_STATUSES:
                mark_duplicate(bureau, receipt.report_id, original.report_id, now=later)
                continue
            status = "new"
        if status in ("confirmed", "in_progress", "fixed"):
            verify_report(bureau, receipt.report_id, now=later)
            link_facility(bureau, receipt.report_id, int(fac.id), now=later)
        if status in ("in_progress", "fixed"):
            start_work(bureau, receipt.report_id, note="已派单（演示） / work ordered (demo)",
                       now=later)
        if status == "fixed":
            mark_fixed(bureau, receipt.report_id, note="已整改（演示） / fixed (demo)",
                       now=later)
        if status == "rejected":
            reject_report(bureau, receipt.report_id,
                          "不属于无障碍设施问题（演示） / not an accessibility barrier (demo)",
                          now=later)
        for k in range(int(rng.integers(0, 4)) if status in OPEN_STATUSES else 0):
            support(resident, receipt.report_id, comment="我也遇到（演示） / me too (demo)",
                    idempotency_key=f"demo-support-{receipt.code}-{k}", now=later)
    return f"{len(made)} synthetic demo reports (演示)"
