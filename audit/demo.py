"""Deterministic synthetic demo data, clearly labelled as such.

No real audit data for Yangjiang exists yet. The demo database shows what the tool does with
**synthetic** facilities placed near real GeoNames towns inside the real district boundaries,
and synthetic measurements drawn by :func:`audit.model.random_measurements`. Every demo record
has ``is_demo = True``, its name says 演示 / demo, and ``app_meta.demo_seed`` records the seed, so
the UI and every export can say so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa

from audit.actors import SYSTEM, Actor
from audit.model import FACILITY_LABELS, random_measurements
from audit.scoring import evaluate
from audit.storage import Database
from audit.storage.orm import Facility
from audit.storage.repository import Repository, StreetRef

DEMO_SEED = 20_211_125
DEMO_FACILITIES = 560
DEMO_INSPECTOR = Actor(None, "演示督导员 demo-inspector", "system")
START = datetime(2025, 3, 1, tzinfo=UTC)
SPAN_DAYS = 600
# share of facility types in the demo (curb ramps and tactile paving are the most numerous)
TYPE_WEIGHTS: dict[str, float] = {
    "curb_ramp": 0.24,
    "tactile_paving": 0.20,
    "crossing_signal": 0.12,
    "entrance": 0.14,
    "ramp": 0.12,
    "toilet": 0.10,
    "parking": 0.08,
}
SCATTER_M = 1_800.0
REAUDIT_SHARE = 0.25
VISIT_MISSING_RATE = {1: 0.08, 2: 0.05}  # share of fields left unmeasured per visit
VISIT_NOTES = {
    1: "演示数据（合成） / synthetic demo audit",
    2: "演示复查（合成） / synthetic demo re-audit",
}


@dataclass(frozen=True)
class SeedResult:
    seeded: bool
    facilities: int
    audits: int
    message: str



def _extra_seeders() -> list[Callable[[Database, np.random.Generator], str]]:
    """Seeders that follow the facilities and audits, in order (they depend on them)."""
    from audit.reports import seed_demo_reports
    from audit.workorders import seed_demo_workorders

    return [seed_demo_reports, seed_demo_workorders]


def _points_near_towns(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points scattered around the GeoNames towns, kept inside the city."""
    import geodata

    towns = geodata.load_towns()
    tx, ty = towns.geometry.x.to_numpy(), towns.geometry.y.to_numpy()
    # weight the urban core (first town of 江城区) a little more, as audits start in the centre
    weights = np.where(towns["adcode"].to_numpy() == "441702", 3.0, 1.0)
    weights = weights / weights.sum()
    lons, lats = np.empty(n), np.empty(n)
    filled = 0
    while filled < n:
        k = n - filled
        pick = rng.choice(len(towns), size=k, p=weights)
        r = SCATTER_M * np.sqrt(rng.random(k))
        theta = rng.random(k) * 2 * math.pi
        lat = ty[pick] + (r * np.sin(theta)) / 111_195.0
        lon = tx[pick] + (r * np.cos(theta)) / (111_195.0 * np.cos(np.radians(ty[pick])))
        codes = geodata.district_of_many(lon, lat, outside="none")
        inside = np.array([c is not None for c in codes])
        take = int(inside.sum())
        lons[filled : filled + take] = lon[inside]
        lats[filled : filled + take] = lat[inside]
        filled += take
    return lons, lats


def _streets(lons: np.ndarray, lats: np.ndarray) -> list[StreetRef | None]:
    """Snap the demo points to the (synthetic) demo street network."""
    from geodata.network import load_network
    from geodata.snap import snap_points

    snapped = snap_points(load_network("demo"), lons, lats)
    refs: list[StreetRef | None] = []
    for row in snapped.itertuples(index=False):
        if not row.snapped:
            refs.append(None)
            continue
        refs.append(
            StreetRef(int(row.u), int(row.v), int(row.key), row.street_name, float(row.distance_m))
        )
    return refs


def seed_demo(
    db: Database, *, seed: int = DEMO_SEED, n_facilities: int = DEMO_FACILITIES
) -> SeedResult:
    """Fill an empty database with deterministic demo data; do nothing if it holds any facility."""
    import geodata
    from audit.auth import seed_demo_accounts

    accounts = seed_demo_accounts(db)
    with db.session() as s:
        if s.scalar(sa.select(Facility.id).limit(1)) is not None:
            message = f"database already holds facilities: demo data not added; {accounts}"
            return SeedResult(False, 0, 0, message)
    rng = np.random.default_rng(seed)
    types = list(TYPE_WEIGHTS)
    probs = np.array([TYPE_WEIGHTS[t] for t in types])
    kinds = rng.choice(len(types), size=n_facilities, p=probs / probs.sum())
    lons, lats = _points_near_towns(rng, n_facilities)
    codes = geodata.district_of_many(lons, lats)
    streets = _streets(lons, lats)
    towns = geodata.load_towns()
    n_audits = 0
    with db.session(write=True) as s:
        repo = Repository(s, SYSTEM)
        auditor = Repository(s, DEMO_INSPECTOR)
        for i in range(n_facilities):
            ftype = types[int(kinds[i])]
            nearest = int(
                np.argmin((towns.geometry.x - lons[i]) ** 2 + (towns.geometry.y - lats[i]) ** 2)
            )
            zh, en = FACILITY_LABELS[ftype]
            fac = repo.create_facility(
                ftype,
                float(lons[i]),
                float(lats[i]),
                name=f"演示{zh} {i + 1:04d} (demo {en})",
                address=f"{towns.iloc[nearest]['name']} 附近（演示数据，合成）",
                district_code=str(codes[i]),
                street=streets[i],
                is_demo=True,
            )
            when = START + timedelta(days=float(rng.random() * SPAN_DAYS))
            for visit in (1, 2):  # a first audit, and for some facilities a later re-audit
                if visit == 2:
                    if rng.random() >= REAUDIT_SHARE:
                        break
                    when += timedelta(days=float(20 + rng.random() * 120))
                measured = random_measurements(ftype, rng, missing_rate=VISIT_MISSING_RATE[visit])
                auditor.submit_audit(
                    fac.id,
                    evaluate(ftype, measured),
                    submitted_at=when,
                    source="demo",
                    notes=VISIT_NOTES[visit],
                    idempotency_key=f"demo-{seed}-{i}-{visit}",
                    is_demo=True,
                )
                n_audits += 1
        repo.set_meta("demo_seed", f"seed={seed}; facilities={n_facilities}; synthetic")
    notes = [extra(db, rng) for extra in _extra_seeders()]
    message = f"demo data seeded (synthetic): {n_facilities} facilities, {n_audits} audits"
    message += "; " + "; ".join([*notes, accounts])
    return SeedResult(True, n_facilities, n_audits, message)
