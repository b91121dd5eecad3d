"""A synthetic ODK Central CSV export of the generated XLSForm, for benchmarks and tests.

Rows look like what ODK Central's "CSV (submissions)" download gives for the form of
:mod:`audit.io.xlsform`: ``SubmissionDate``, ``facility_type``, ``location-Latitude`` /
``-Longitude`` / ``-Accuracy``, one ``<type>-<field>`` column per measurement field (and
``<type>-confirmed_values``) of every facility type (yes/no questions as ``yes`` / ``no``),
``notes`` and ``meta-instanceID``. Points lie
around the real GeoNames towns inside the real district boundaries; measurements come from
:func:`audit.demo.measurements.random_measurements`. A share of the rows revisits the place of an
earlier row of the same type (a re-audit of the facility that row created). Everything here is
**synthetic**: names and notes say so.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from audit.demo.facilities import TYPE_WEIGHTS, _points_near_towns
from audit.demo.measurements import random_measurements
from audit.io.xlsform import BOOL_NO, BOOL_YES
from audit.model import CONFIRM_KEY, FACILITY_TYPES, schema

START = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)


def export_header() -> list[str]:
    """The header of a Central CSV export of the form (every type's measurement columns)."""
    head = ["SubmissionDate", "facility_type", "facility_name", "address", "location-Latitude",
            "location-Longitude", "location-Altitude", "location-Accuracy"]
    for ftype in FACILITY_TYPES:
        head += [f"{ftype}-{name}" for name in (*schema(ftype), CONFIRM_KEY)]
    return [*head, "notes", "meta-instanceID"]


def synthetic_rows(n: int, *, seed: int = 15, revisit_share: float = 0.1) -> list[dict[str, str]]:
    """``n`` synthetic submissions as CSV cells (strings), deterministic for a ``seed``."""
    rng = np.random.default_rng(seed)
    types = list(TYPE_WEIGHTS)
    probs = np.array([TYPE_WEIGHTS[t] for t in types])
    kinds = rng.choice(len(types), size=n, p=probs / probs.sum())
    lons, lats = _points_near_towns(rng, n)
    header = export_header()
    rows: list[dict[str, str]] = []
    for i in range(n):
        ftype = types[int(kinds[i])]
        lon, lat = float(lons[i]), float(lats[i])
        if i and rng.random() < revisit_share:  # back at an earlier place of the same type
            same = [j for j in range(max(0, i - 50), i) if types[int(kinds[j])] == ftype]
            if same:
                j = same[int(rng.integers(len(same)))]
                lon, lat = float(lons[j]) + 1e-5, float(lats[j])
        cells: dict[str, Any] = dict.fromkeys(header, "")
        for name, value in random_measurements(ftype, rng, missing_rate=0.08).items():
            if isinstance(value, bool):
                value = BOOL_YES if value else BOOL_NO
            cells[f"{ftype}-{name}"] = value
        when = START + timedelta(minutes=7 * i)
        cells.update({
            "SubmissionDate": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "facility_type": ftype, "facility_name": f"Synthetic {ftype} {i + 1:05d}",
            "address": "synthetic bench data", "location-Latitude": f"{lat:.7f}",
            "location-Longitude": f"{lon:.7f}", "location-Altitude": "10",
            "location-Accuracy": f"{3 + float(rng.random()) * 6:.1f}",
            "notes": "synthetic", "meta-instanceID": f"uuid:synthetic-{seed}-{i + 1:06d}",
        })
        rows.append({k: str(v) for k, v in cells.items()})
    return rows


def write_synthetic_export(
    path: Path | str, n: int, *, seed: int = 15, revisit_share: float = 0.1
) -> Path:
    """Write :func:`synthetic_rows` as a Central CSV export; returns the path."""
    out = Path(path)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=export_header())
        writer.writeheader()
        writer.writerows(synthetic_rows(n, seed=seed, revisit_share=revisit_share))
    return out
