"""Benchmarks of the bureau features: rankings over 50,000 audits and the budget optimiser.

- Rankings: :func:`audit.rankings.compute_rankings` (warm: the second and later calls) on a
  SQLite database holding N facilities with one submitted audit each (and 10 % re-audits), whose
  evaluations are real :func:`audit.scoring.evaluate` outputs of random measurements, with their
  findings rows (:func:`bench.audit_data.load_audits`). Baseline:
  :func:`bench.audit_data.naive_rankings`, a per-facility Python loop parsing each evaluation.
  (The cold-process figures, SQLite and PostGIS, are in bench_rankings.)
- Optimiser: :func:`audit.priority.optimise_plan` (exact MILP, HiGHS) on M random candidates with a
  budget of a quarter of their total cost. Baseline: :func:`audit.priority.greedy_plan` (faster,
  not optimal); its total priority as a share of the optimum is reported too.

Run: ``.venv/bin/python -m bench.bench_bureau`` (or ``run("smoke")`` for a quick check).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bench.audit_data import DISTRICTS, load_audits, naive_rankings
from bench.common import median_time, row

SIZES = {"full": {"audits": 50_000, "candidates": 5_000, "repeats": 5},
         "smoke": {"audits": 1_000, "candidates": 300, "repeats": 2}}



def build_database(path: Path, n_audits: int, seed: int = 11) -> Any:
    """A SQLite database with ~``n_audits`` submitted audits and their findings (bulk loaded)."""
    from audit.storage import open_database, upgrade_to_head

    db = open_database(f"sqlite:///{path}")
    upgrade_to_head(db)
    load_audits(db, n_audits, seed)
    return db


def _candidates(m: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "candidate_id": [f"C{i}" for i in range(m)],
        "district_code": rng.choice(DISTRICTS, m),
        "cost_yuan": rng.integers(20, 400, m).astype(float) * 100,
        "priority": rng.random(m) * 20,
    })


def run(size: str = "full") -> list[dict[str, Any]]:
    """The benchmark rows (see the module docstring)."""
    from audit.actors import SYSTEM
    from audit.priority import greedy_plan, optimise_plan
    from audit.rankings import compute_rankings, severity_weights

    cfg = SIZES[size]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = build_database(Path(tmp) / "bench.sqlite3", cfg["audits"])
        weights = severity_weights()
        with db.unit_of_work(SYSTEM) as repo:
            n = int(repo.session.scalar(sa.text("SELECT COUNT(*) FROM audits")) or 0)
            compute_rankings(repo, weights=weights)  # warm-up (imports, caches)
            ours, res = median_time(lambda: compute_rankings(repo, weights=weights),
                                     cfg["repeats"])
            base, naive = median_time(lambda: naive_rankings(repo.session, weights),
                                      max(1, cfg["repeats"] // 2))
        t = res.table.set_index(["district_code", "facility_type"])
        agree = all(t.loc[k, "gap_points"] == v["gap_points"] for k, v in naive.items())
        rows.append({"figure": f"rankings, warm library call ({n:,} audits)", "ours": ours,
                     "baseline": base, "unit": "s", "ratio": base / ours,
                     "target": "< 1 s warm with 50,000 audits",
                     "note": f"baseline: per-facility Python loop; same gap points: {agree}"})
        db.engine.dispose()
    cand = _candidates(cfg["candidates"])
    budget = float(cand["cost_yuan"].sum() / 4)
    ours, plan = median_time(lambda: optimise_plan(cand, budget), cfg["repeats"])
    base, greedy = median_time(lambda: greedy_plan(cand, budget), cfg["repeats"])
    rows.append({"figure": f"budget optimiser, {len(cand):,} candidates (exact MILP)",
                 "ours": ours, "baseline": base, "unit": "s", "ratio": base / ours,
                 "target": "< 5 s for 5,000 candidates",
                 "note": f"baseline: greedy priority/cost sort; status {plan.status}"})
    rows.append({"figure": "greedy total priority as share of the MILP optimum",
                 "ours": plan.total_priority, "baseline": greedy.total_priority,
                 "unit": "priority", "ratio": greedy.total_priority / plan.total_priority,
                 "target": "optimum ≥ greedy", "note": "ratio < 1: greedy leaves priority unused"})
    return rows


if __name__ == "__main__":
    for row in run(sys.argv[1] if len(sys.argv) > 1 else "full"):
        print(row)
