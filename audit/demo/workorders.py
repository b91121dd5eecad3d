"""Synthetic work orders on demo non-compliant facilities (is_demo=True), through the real rules."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from audit.demo.common import DEMO_BUREAU, DEMO_INSPECTOR, START, claim_demo_database
from audit.demo.measurements import random_measurements
from audit.scoring import evaluate
from audit.storage.repository import Repository
from audit.workorders import create_work_order, set_status

DEMO_UNITS: tuple[str, ...] = (
    "演示：江城区住房和城乡建设局 (demo unit)",
    "演示：市城管综合执法局市政科 (demo unit)",
    "演示：市交通运输局 (demo unit)",
)
DEMO_ORDERS = 24


def seed_demo_workorders(repo: Repository, rng: np.random.Generator) -> str:
    """Deterministic synthetic work orders on demo non-compliant facilities (is_demo=True).

    Some are planned, some in progress (a few overdue), some done, and — where the synthetic
    follow-up audit is compliant — verified through :func:`set_status` (the real rule).
    """
    claim_demo_database(repo)
    bureau = repo.acting_as(DEMO_BUREAU)
    auditor = repo.acting_as(DEMO_INSPECTOR)
    if repo.work_orders.any_demo():
        return "demo work orders already present"
    frame = repo.facility_frame(verdicts=["non_compliant"])
    frame = frame[frame["is_demo"]]
    if frame.empty:
        return "no demo work orders (no non-compliant demo facility)"
    pick = rng.choice(len(frame), size=min(DEMO_ORDERS, len(frame)), replace=False)
    verified = 0
    for j, i in enumerate(sorted(int(p) for p in pick)):
        fac = frame.iloc[i]
        created = START + timedelta(days=200 + float(rng.random() * 300))
        due = (created + timedelta(days=int(30 + rng.integers(0, 90)))).date()
        order = create_work_order(
            bureau, facility_id=int(fac["facility_id"]),
            title=f"演示整改：{fac['name']}（合成数据）",
            responsible_unit=DEMO_UNITS[j % len(DEMO_UNITS)], due_date=due,
            cost_yuan=float(5000 + 1000 * rng.integers(0, 30)), is_demo=True,
        )
        row = repo.work_orders.get(order.id)  # backdate it: the demo spans months
        assert row is not None
        row.created_at = row.updated_at = created
        stage = j % 4  # 0 planned, 1 in progress, 2 done, 3 done + re-audit
        if stage >= 1:
            set_status(bureau, order.id, "in_progress", now=created + timedelta(days=3))
        if stage >= 2:
            done_at = created + timedelta(days=float(10 + rng.random() * 40))
            set_status(bureau, order.id, "done", now=done_at)
        if stage == 3:
            ftype = str(fac["facility_type"])
            for attempt in range(20):
                m = random_measurements(ftype, rng, missing_rate=0.0)
                evaluation = evaluate(ftype, m)
                if evaluation.verdict == "compliant" or attempt == 19:
                    break
            audit = auditor.submit_audit(
                int(fac["facility_id"]), evaluation,
                submitted_at=done_at + timedelta(days=5), source="demo",
                notes="演示整改后复查（合成） / synthetic demo follow-up audit",
                idempotency_key=f"demo-wo-{order.id}", is_demo=True,
            )
            if audit.verdict == "compliant":
                set_status(bureau, order.id, "verified", audit_id=audit.id,
                           now=done_at + timedelta(days=6))
                verified += 1
    n = len(pick)
    return f"{n} synthetic demo work orders ({verified} verified by a compliant follow-up audit)"
