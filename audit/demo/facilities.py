"""Synthetic demo facilities near the real GeoNames towns, each with one or two synthetic audits.

Facilities are placed around the towns inside the real district boundaries and snapped to the
(synthetic) demo street network; their measurements come from
:func:`audit.demo.measurements.random_measurements`. Every record has ``is_demo = True`` and its
name says 演示 / demo.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np

from audit.demo.common import DEMO_INSPECTOR, SPAN_DAYS, START, claim_demo_database
from audit.demo.measurements import random_measurements
from audit.frames import frame_rows
from audit.model import FACILITY_LABELS
from audit.scoring import evaluate
from audit.storage.repository import Repository, StreetRef

DEMO_FACILITIES = 560
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
    for row in frame_rows(snapped):
        if not row.snapped:
            refs.append(None)
            continue
        refs.append(
            StreetRef(int(row.u), int(row.v), int(row.key), row.street_name, float(row.distance_m))
        )
    return refs


def seed_demo_facilities(
    repo: Repository, rng: np.random.Generator, *, seed: int,
    n_facilities: int = DEMO_FACILITIES,
) -> int:
    """Add ``n_facilities`` synthetic facilities with their audits; returns the number of audits.

    ``repo`` acts for the system, which creates the facilities; the audits are submitted by
    :data:`~audit.demo.common.DEMO_INSPECTOR`. ``seed`` only names the idempotency keys and the
    ``demo_seed`` note; the draws come from ``rng``. Refuses (:class:`DemoRefused`) on a
    database holding real data (:func:`~audit.demo.common.claim_demo_database`).
    """
    claim_demo_database(repo)
    import geodata

    types = list(TYPE_WEIGHTS)
    probs = np.array([TYPE_WEIGHTS[t] for t in types])
    kinds = rng.choice(len(types), size=n_facilities, p=probs / probs.sum())
    lons, lats = _points_near_towns(rng, n_facilities)
    codes = geodata.district_of_many(lons, lats)
    streets = _streets(lons, lats)
    towns = geodata.load_towns()
    n_audits = 0
    auditor = repo.acting_as(DEMO_INSPECTOR)
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
                evaluate(ftype, measured),  # the one evaluation; the repository stores it
                submitted_at=when,
                source="demo",
                notes=VISIT_NOTES[visit],
                idempotency_key=f"demo-{seed}-{i}-{visit}",
                is_demo=True,
            )
            n_audits += 1
    repo.set_meta("demo_seed", f"seed={seed}; facilities={n_facilities}; synthetic")
    return n_audits
