"""Exports read back with pyogrio/openpyxl: same records, attribution, demo flag, no contacts."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
import sqlalchemy as sa
from bureau_fixtures import audit, facility, report

from audit.actors import SYSTEM, Actor
from audit.cli import main as cli_main
from audit.errors import InputError
from audit.io.exports import FORMATS, export_database, export_tables
from audit.storage import Database
from audit.storage.orm import Audit, ReportContact
from audit.storage.repository import Repository
from audit.workorders import create_work_order

SECRET = "13800138000-wechat-secret"


@pytest.fixture
def filled(sqlite_db: Database) -> Database:
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        s = repo.session
        f1 = facility(s, "ramp", "441702", demo=True)
        audit(s, f1, "non_compliant", {"critical": 1, "minor": 1})
        f2 = facility(s, "toilet", "441704", demo=True)
        audit(s, f2, "compliant")
        rid = report(s, "441702", "curb_ramp_missing", status="confirmed", code="YJ-1")
        s.add(ReportContact(report_id=rid, contact=SECRET))
        create_work_order(repo, facility_id=f1, responsible_unit="江城区住建局",
                          due_date=date(2025, 9, 1), cost_yuan=12000.0)
        Repository(s).set_meta("demo_seed", "seed=1; synthetic")
    return sqlite_db


def _all_bytes(path: Path) -> bytes:
    if path.is_dir():
        return b"".join(p.read_bytes() for p in sorted(path.iterdir()))
    return path.read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_round_trip(filled: Database, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"export.{fmt}"
    with filled.unit_of_work(SYSTEM) as repo:
        export_database(repo, fmt, out)
    assert SECRET.encode() not in _all_bytes(out)
    if fmt == "csv":
        fac = pd.read_csv(out / "facilities.csv")
        findings = pd.read_csv(out / "findings.csv")
        orders = pd.read_csv(out / "work_orders.csv")
        about = dict(pd.read_csv(out / "about.csv").values)
        assert "demo" in (out / "README.txt").read_text(encoding="utf-8").lower()
    elif fmt == "xlsx":
        wb = openpyxl.load_workbook(out, read_only=True)
        assert wb.sheetnames[0] == "about"
        sheets = {}
        for name in ("facilities", "findings", "work_orders", "about"):
            rows = list(wb[name].iter_rows(values_only=True))
            sheets[name] = pd.DataFrame(rows[1:], columns=rows[0])
        fac, findings, orders = sheets["facilities"], sheets["findings"], sheets["work_orders"]
        about = dict(sheets["about"].values)
    elif fmt == "geojson":
        fac = pyogrio.read_dataframe(out / "facilities.geojson")
        findings = pyogrio.read_dataframe(out / "findings.geojson")
        orders = pyogrio.read_dataframe(out / "work_orders.geojson")
        about = dict(pd.read_csv(out / "about.csv").values)
        assert "GeoNames" in (out / "facilities.geojson").read_text(encoding="utf-8")
    else:
        layers = {row[0] for row in pyogrio.list_layers(out)}
        assert layers == {"facilities", "audits", "findings", "reports", "work_orders", "about"}
        fac = pyogrio.read_dataframe(out, layer="facilities")
        findings = pyogrio.read_dataframe(out, layer="findings")
        orders = pyogrio.read_dataframe(out, layer="work_orders")
        about = dict(pyogrio.read_dataframe(out, layer="about", read_geometry=False).values)
        meta = pyogrio.read_info(out, layer="facilities")["layer_metadata"]
        assert meta["demo_data"] == "true" and "GeoNames" in meta["attribution"]
    assert sorted(fac["facility_id"].astype(int)) == [1, 2]
    assert set(fac["latest_verdict"]) == {"non_compliant", "compliant"}
    assert fac["demo_data"].astype(str).str.lower().eq("true").all()
    fails = findings[findings["status"] == "fail"]
    assert sorted(fails["severity"]) == ["critical", "minor"]
    assert list(orders["responsible_unit"]) == ["江城区住建局"]
    assert float(orders["cost_yuan"].iloc[0]) == 12000.0
    assert about["demo_data"] == "true" and "合成" in about["demo_note"]
    assert "高德" in about["attribution"]
    if fmt in ("geojson", "gpkg"):
        xy = fac.sort_values("facility_id").geometry.iloc[0]
        assert (round(xy.x, 4), round(xy.y, 4)) == (111.95, 21.86)


def test_bad_export_leaves_nothing(filled: Database, tmp_path: Path) -> None:
    with filled.unit_of_work(SYSTEM) as repo, pytest.raises(InputError) as exc:
        export_database(repo, "pdf", tmp_path / "missing" / "x.pdf")
    assert {p.field for p in exc.value.problems} == {"format", "out"}
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        with filled.unit_of_work(SYSTEM) as repo, pytest.raises(InputError):
            export_database(repo, "xlsx", locked / "x.xlsx")
    finally:
        os.chmod(locked, 0o700)
    assert list(locked.iterdir()) == []


def test_failed_write_leaves_no_partial_file(filled: Database, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import audit.io.exports as ex

    def boom(*a: object, **k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(ex, "_readme", boom)
    with filled.unit_of_work(SYSTEM) as repo, pytest.raises(OSError):
        export_database(repo, "csv", tmp_path / "out")
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith("test.sqlite3")]


def test_cli_export(filled: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", str(filled.engine.url))
    from audit.settings import get_settings

    get_settings.cache_clear()
    try:
        assert cli_main(["export", "--format", "gpkg", str(tmp_path / "a.gpkg")]) == 0
        assert cli_main(["export", "--format", "shp", str(tmp_path / "a.shp")]) == 2
    finally:
        get_settings.cache_clear()
    assert "format" in capsys.readouterr().err
    assert len(pyogrio.read_dataframe(tmp_path / "a.gpkg", layer="facilities")) == 2


@pytest.mark.parametrize(("role", "named"), [("anonymous", False), ("inspector", False),
                                             ("bureau", True), ("admin", True)])
def test_inspector_account_names_only_in_staff_exports(
    filled: Database, tmp_path: Path, role: str, named: bool
) -> None:
    """An audit's inspector is a staff account name: exports made by anyone who may not export
    private fields leave the column out (as the public pages do), so that no export tells an
    attacker which accounts exist; the bureau and admins keep it."""
    with filled.engine.begin() as conn:
        conn.execute(sa.update(Audit).values(inspector_name="insp-wang"))
    actor = Actor(None, role, role)  # type: ignore[arg-type]
    with filled.unit_of_work(actor) as repo:
        audits = export_tables(repo)["audits"]
        out = export_database(repo, "csv", tmp_path / "export")
    assert ("inspector_name" in audits.columns) is named
    assert (b"insp-wang" in _all_bytes(out)) is named
    assert len(audits) == 2
