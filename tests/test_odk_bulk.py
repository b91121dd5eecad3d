"""Bulk ODK import (issue 15 §3): the batched path stores exactly what the row-at-a-time path
stores, reports the same bad rows, and leaves nothing behind when it fails half-way.

The exports here are SYNTHETIC (audit.demo.odk_export), on SQLite and PostGIS.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import sqlalchemy as sa
from conftest import one_unit_of_work
from PIL import Image

import audit.storage.bulk
from audit.actors import SYSTEM, Actor
from audit.demo.odk_export import export_header, synthetic_rows
from audit.errors import InputError, PermissionDenied
from audit.io import odk_import
from audit.io.odk_import import ImportRejected
from audit.io.xlsform import BOOL_YES
from audit.model import CONFIRM_KEY, schema
from audit.scoring import evaluate
from audit.settings import Settings
from audit.storage import Database
from audit.storage.bulk import AuditInput, submit_audits
from audit.storage.orm import Audit, Base

import_odk = one_unit_of_work(odk_import.import_odk)
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "odk"
INSPECTOR = Actor(None, "bulk-inspector", "inspector")
# a few streets in 江城区 (a small synthetic graph: the demo network takes ~20 s to build)
LON0, LAT0 = 111.9500, 21.8600
WRITTEN_AT = re.compile(r"""["'](created_at|at)["']: ["'][^"']*["']""")
TABLES = {  # what each path stores, compared column by column (ids are assigned in order)
    "facilities": "id, facility_type, name, lon, lat, district_code, address, street_u, "
                  "street_v, street_key, street_name, snap_distance_m, version, is_demo, "
                  "current_verdict, current_submitted_at",
    "audits": "id, facility_id, inspector_name, status, sequence, submitted_at, ruleset_id, "
              "ruleset_version, measurements, measured_from, notes, verdict, score, n_fail, "
              "evaluation, idempotency_key, source, gps_accuracy_m, row_version, is_demo, "
              "is_current",
    "findings": "id, audit_id, facility_id, district_code, facility_type, rule_id, status, "
                "severity, measured_value, measured_text, measured_unit, threshold_text, "
                "clause, reference, provisional, obligation, ruleset_id, ruleset_version, "
                "is_current",
    "audit_photos": "audit_id, photo_id",
    "photos": "id, sha256, mime",
    "change_log": "id, actor, entity, entity_id, action, before, after",
}


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def _streets() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for i in range(5):  # a 5 × 5 grid, ~220 m apart
        for j in range(5):
            G.add_node(10 * i + j, x=LON0 + 0.002 * i, y=LAT0 + 0.002 * j)
    for i in range(5):
        for j in range(5):
            for a, b in ((10 * i + j, 10 * (i + 1) + j), (10 * i + j, 10 * i + j + 1)):
                if b in G:
                    G.add_edge(a, b, 0, length=220.0, name=f"Synthetic St {a}")
                    G.add_edge(b, a, 0, length=220.0, name=f"Synthetic St {a}")
    return G


def _export(path: Path, n: int, *, seed: int = 7, edit: Any = None) -> Path:
    """``n`` synthetic rows placed around the small street grid; every fifth row revisits the
    place of an earlier row of its type (a re-audit within the file)."""
    rows = synthetic_rows(n, seed=seed, revisit_share=0.0)
    for i, row in enumerate(rows):
        lon, lat = LON0 - 0.002 + 0.0011 * (i % 11), LAT0 - 0.002 + 0.0009 * (i // 11)
        earlier = [r for r in rows[:i] if r["facility_type"] == row["facility_type"]]
        if i % 5 == 4 and earlier:
            lon = float(earlier[-1]["location-Longitude"]) + 0.00003
            lat = float(earlier[-1]["location-Latitude"])
        row["location-Longitude"], row["location-Latitude"] = f"{lon:.7f}", f"{lat:.7f}"
        if edit is not None:
            edit(i, row)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*export_header(), "photo_1"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def _vary_findings(i: int, row: dict[str, str]) -> None:
    """Rows whose findings vary every way a finding can: flags left empty (presence inferred,
    split groups judged on every branch, with their question), a value outside its plausible
    range (suspect), the same confirmed by the inspector."""
    ftype = row["facility_type"]
    fields = schema(ftype)
    if i % 3 == 1:  # yes/no and choice answers left empty
        for name, spec in fields.items():
            if spec.kind in ("bool", "choice") and i % 2:
                row[f"{ftype}-{name}"] = ""
    if ftype == "ramp" and i % 2 == 0:  # too steep but short, on a constrained site
        row.update({"ramp-running_slope_pct": "9", "ramp-rise_mm": "100",
                    "ramp-site_constrained": BOOL_YES})
    numeric = [s for s in fields.values()
               if s.is_numeric and s.plausible and row.get(f"{ftype}-{s.name}")]
    if i % 7 in (2, 5) and numeric:  # a unit slip, confirmed in every other such row
        spec = numeric[i % len(numeric)]
        slip = spec.plausible[1] * 3
        if slip > spec.maximum:
            slip = spec.plausible[0] / 10
        row[f"{ftype}-{spec.name}"] = f"{slip:g}"
        if i % 7 == 5:
            row[f"{ftype}-{CONFIRM_KEY}"] = spec.name


def _jpeg(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(out, format="JPEG")
    return out.getvalue()


def _snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with db.engine.connect() as conn:
        for table, cols in TABLES.items():
            order = "audit_id, photo_id" if table == "audit_photos" else "id"
            rows = conn.execute(sa.text(f"SELECT {cols} FROM {table} ORDER BY {order}")).all()
            # when a row was written differs between two runs; everything else must not
            out[table] = [tuple(WRITTEN_AT.sub("", str(v)) for v in r) for r in rows]
    return out


def _clear(db: Database) -> None:
    names = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{n}"' for n in names)
            conn.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for n in names:
                conn.execute(sa.text(f'DELETE FROM "{n}"'))


def _counts(db: Database) -> tuple[int, int, int, int]:
    with db.engine.connect() as conn:
        return tuple(int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one())
                     for t in ("facilities", "audits", "findings", "change_log"))  # type: ignore[return-value]


def test_bulk_stores_what_the_row_path_stores(db: Database, cfg: Settings,
                                              tmp_path: Path) -> None:
    """Same file, same earlier state (a stored facility to re-audit, one submission already
    imported), same streets: the same facilities, audits, findings, photos and change log."""
    row_1: dict[str, str] = {}

    def with_photos(i: int, row: dict[str, str]) -> None:
        row["photo_1"] = f"media/p{i % 3}.jpg" if i % 4 == 0 else ""
        _vary_findings(i, row)
        if i == 0:
            row_1.update(row)
        elif i == 44:  # back at the facility stored by the earlier import
            row["facility_type"] = row_1["facility_type"]
            row["location-Latitude"] = row_1["location-Latitude"]
            row["location-Longitude"] = f"{float(row_1['location-Longitude']) + 0.00002:.7f}"

    path = _export(tmp_path / "export.csv", 45, edit=with_photos)
    archive = tmp_path / "media.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for k, colour in enumerate(("red", "green", "blue")):
            z.writestr(f"media/p{k}.jpg", _jpeg(colour))
    first = tmp_path / "first.csv"
    first.write_text("\n".join(path.read_text().splitlines()[:2]) + "\n")
    G = _streets()
    seen = {}
    for method in ("rows", "bulk"):
        _clear(db)
        import_odk(db, INSPECTOR, first, settings=cfg, method=method)
        calls: list[tuple[int, int]] = []
        report = import_odk(db, INSPECTOR, path, attachments=archive, settings=cfg,
                            network=G, method=method, progress=lambda d, t, c=calls: c.append(
                                (d, t)))
        assert calls == sorted(calls) and calls[-1] == (90, 90) and len(calls) <= 120
        seen[method] = (report, _snapshot(db))
    rows, bulk = seen["rows"], seen["bulk"]
    assert bulk[0] == rows[0]
    # the batch scorer met every way a finding varies, and stored what the row path stores
    with db.engine.connect() as conn:
        found = [f for e in conn.scalars(sa.select(Audit.evaluation)) for f in e["findings"]]
    for key in ("split", "question", "inferred", "suspect", "confirmed", "via_exception",
                "provisional"):
        assert any(f[key] for f in found), key
    assert {f["status"] for f in found} == {"pass", "fail", "not_applicable", "not_measured",
                                           "advice"}
    assert bulk[0].suspect and {p.row for p in bulk[0].suspect} <= set(range(2, 46))
    assert (bulk[0].imported, bulk[0].already_imported) == (44, 1)
    assert bulk[0].reaudits >= 7 and bulk[0].photos == 11
    for table in TABLES:
        assert bulk[1][table] == rows[1][table], table
    facilities = bulk[1]["facilities"]
    assert any(f[7] != "None" for f in facilities) and any(f[7] == "None" for f in facilities)
    audits = bulk[1]["audits"]
    assert any(a[4] == "2" for a in audits)  # re-audits numbered after the first
    # partial re-audits carried values forward from audits of this very import, by their ids
    carried = [re.findall(r"audit_id.: (-?\d+)", a[9]) for a in audits]
    in_file = {a[0] for a in audits} - {"1"}  # audit 1: the earlier import's
    assert any(ids and set(ids) <= in_file for ids in carried)
    assert all(int(i) > 0 for ids in carried for i in ids)
    assert [a[4] for a in audits if a[1] == "1"] == ["1", "2"]  # the stored facility's too
    assert [a[-1] in ("1", "True") for a in audits if a[1] == "1"] == [False, True]


def test_bulk_reports_the_same_bad_rows(sqlite_db: Database, cfg: Settings,
                                        tmp_path: Path) -> None:
    def spoil(i: int, row: dict[str, str]) -> None:
        if i == 3:
            row["location-Latitude"] = "39.9"  # Beijing: outside the city
        elif i == 5:
            row["location-Longitude"] = "east"
        elif i == 8:
            row["meta-instanceID"] = "uuid:synthetic-7-000002"  # a duplicate of row 2
        elif i == 11:
            row["facility_type"] = "escalator"
        elif i == 14:
            row["location-Accuracy"] = "85"
        elif i == 17:
            row[f"{row['facility_type']}-confirmed_values"] = "no_such_field"

    files = [FIXTURES / "central_bad.csv", _export(tmp_path / "bad.csv", 20, edit=spoil)]
    for path in files:
        errors = {}
        for method in ("rows", "bulk"):
            with pytest.raises(ImportRejected) as info:
                import_odk(sqlite_db, SYSTEM, path, settings=cfg, method=method)
            errors[method] = (str(info.value), info.value.rows)
        assert errors["bulk"] == errors["rows"]
        assert _counts(sqlite_db) == (0, 0, 0, 0)
    rows = {(r.row, r.field) for r in errors["bulk"][1]}
    assert {(4, "location"), (6, "location"), (9, "instanceID"), (12, "facility_type"),
            (15, "location accuracy")} <= rows
    assert any(r == 18 for r, _ in rows)


def test_gcj02_positions_match_the_row_path(sqlite_db: Database, cfg: Settings,
                                            tmp_path: Path) -> None:
    path = _export(tmp_path / "gcj.csv", 12)
    stored = {}
    for method in ("rows", "bulk"):
        _clear(sqlite_db)
        import_odk(sqlite_db, SYSTEM, path, settings=cfg, crs="gcj02", method=method)
        stored[method] = _snapshot(sqlite_db)["facilities"]
    assert stored["bulk"] == stored["rows"] and len(stored["bulk"]) >= 9


def test_failure_half_way_leaves_nothing(db: Database, cfg: Settings, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The database fails after facilities and audits are written: nothing stays, and a broken
    photo in the middle of the file rejects its row with nothing stored either."""
    path = _export(tmp_path / "export.csv", 30)
    real = audit.storage.bulk.finding_row
    made = [0]

    def failing(*args: Any, **kwargs: Any) -> dict[str, Any]:
        made[0] += 1
        if made[0] == 100:
            raise sa.exc.OperationalError("INSERT INTO findings", {}, Exception("disk I/O error"))
        return real(*args, **kwargs)

    monkeypatch.setattr(audit.storage.bulk, "finding_row", failing)
    with pytest.raises(sa.exc.OperationalError):
        import_odk(db, SYSTEM, path, settings=cfg)
    assert _counts(db) == (0, 0, 0, 0)
    monkeypatch.setattr(audit.storage.bulk, "finding_row", real)

    def photo_at_15(i: int, row: dict[str, str]) -> None:
        row["photo_1"] = "good.jpg" if i != 15 else "broken.jpg"

    with_photos = _export(tmp_path / "photos.csv", 30, edit=photo_at_15)
    archive = tmp_path / "media.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("good.jpg", _jpeg("green"))
        z.writestr("broken.jpg", b"not an image")
    with pytest.raises(ImportRejected) as info:
        import_odk(db, SYSTEM, with_photos, attachments=archive, settings=cfg)
    assert [(r.row, r.field) for r in info.value.rows] == [(16, "broken.jpg")]
    assert _counts(db) == (0, 0, 0, 0)
    assert not [p for p in cfg.data_dir.rglob("*") if p.is_file()]  # photo files removed


def test_bad_method_and_bad_input_are_named(sqlite_db: Database, cfg: Settings) -> None:
    with pytest.raises(InputError) as info:
        import_odk(sqlite_db, SYSTEM, FIXTURES / "central_submissions.csv", settings=cfg,
                   method="fast")
    problem = info.value.problems[0]
    assert (problem.field, problem.value) == ("method", "fast") and "bulk" in problem.allowed
    ev = evaluate("ramp", {"running_slope_pct": 7.5, "rise_mm": 300})
    long_name = AuditInput("ramp", 111.95, 21.86, ev, "k-2", name="x" * 300)
    long_notes = AuditInput("ramp", 111.96, 21.86, ev, "k-3", notes="n" * 6000)
    wrong_type = AuditInput("toilet", 111.97, 21.86, ev, "k-4")
    # the first bad submission is refused with what create_facility / submit_audit would say
    for item, field, context in ((long_name, "name", "facility"), (long_notes, "notes", "audit"),
                                 (wrong_type, "evaluation.facility_type", "audit")):
        good = AuditInput("ramp", 111.98, 21.86, ev, "k-1")
        with sqlite_db.unit_of_work(INSPECTOR, write=True) as repo, \
                pytest.raises(InputError) as info:
            submit_audits(repo, [good, item], radius_m=cfg.duplicate_radius_m)
        assert info.value.problems[0].field == field and info.value.context == context
        assert _counts(sqlite_db) == (0, 0, 0, 0)
    with sqlite_db.unit_of_work(Actor(None, "b", "bureau"), write=True) as repo, \
            pytest.raises(PermissionDenied):
        submit_audits(repo, [good], radius_m=cfg.duplicate_radius_m)
    assert _counts(sqlite_db) == (0, 0, 0, 0)


def test_new_facilities_numbered_in_order_after_the_largest_id(db: Database,
                                                               cfg: Settings) -> None:
    """New facilities get the ids the database would give them one by one, in input order,
    after the largest stored id (on SQLite the bulk path numbers them itself, in batches)."""
    _clear(db)
    ev = evaluate("ramp", {"running_slope_pct": 7.5, "rise_mm": 300})
    first = [AuditInput("ramp", 111.95 + 0.01 * k, 21.86, ev, f"a-{k}", name=f"first {k}")
             for k in range(2)]
    later = [AuditInput("ramp", 111.95 + 0.01 * k, 21.90, ev, f"b-{k}", name=f"later {k}")
             for k in range(5)]
    for batch in (first, later):
        with db.unit_of_work(INSPECTOR, write=True) as repo:
            result = submit_audits(repo, batch, radius_m=cfg.duplicate_radius_m)
        assert result.created_facilities == len(batch)
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, name FROM facilities ORDER BY id")).all()
        audits = conn.execute(sa.text(
            "SELECT a.idempotency_key, f.name FROM audits a JOIN facilities f "
            "ON f.id = a.facility_id ORDER BY a.id")).all()
    assert [tuple(r) for r in rows] == [(1, "first 0"), (2, "first 1")] + [
        (3 + k, f"later {k}") for k in range(5)]
    # each audit is on its own input's facility
    assert [tuple(a) for a in audits] == [(f"a-{k}", f"first {k}") for k in range(2)] + [
        (f"b-{k}", f"later {k}") for k in range(5)]
