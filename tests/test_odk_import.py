"""ODK Central / KoboToolbox import: validation report, all-or-nothing, idempotency, photos.

The files under tests/fixtures/odk/ are SYNTHETIC exports written for these tests.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import one_unit_of_work
from PIL import Image

from audit.actors import SYSTEM, Actor
from audit.errors import PermissionDenied
from audit.io import odk_import
from audit.io.odk_import import ImportRejected, read_records
from audit.settings import Settings
from audit.storage import Database
from audit.storage.repository import Repository
from geodata.coords import from_wgs84

import_odk = one_unit_of_work(odk_import.import_odk)  # one unit of work per import


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "odk"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as s:
        repo = Repository(s)
        return len(repo.facility_frame()), repo.count_audits()


def _attachments(tmp_path: Path, *, broken: bool = False) -> Path:
    path = tmp_path / "attachments.zip"
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(out, format="JPEG")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("media/ramp_a.jpg", b"not an image" if broken else out.getvalue())
    return path


def test_central_csv_import_and_idempotent(db: Database, cfg: Settings, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    report = import_odk(db, SYSTEM, FIXTURES / "central_submissions.csv",
                        attachments=_attachments(tmp_path), settings=cfg,
                        progress=lambda d, t: calls.append((d, t)))
    assert (report.rows, report.imported, report.created_facilities, report.photos) == (3, 3, 3, 1)
    assert calls[-1] == (6, 6) and calls == sorted(calls)
    with db.session() as s:
        repo = Repository(s)
        frame = repo.facility_frame().set_index("name")
        assert frame.loc["Synthetic ramp A", "verdict"] == "non_compliant"
        assert set(frame["district_code"]) == {"441702"}
        audit = repo.get_audit(int(frame.loc["Synthetic ramp A", "audit_id"]))
        assert audit.source == "odk" and audit.idempotency_key.endswith("0001")
        assert audit.measurements["handrail_present"] is False
        assert audit.submitted_at is not None and audit.submitted_at.day == 1
        assert len(repo.photos_of_facility(int(frame.loc["Synthetic ramp A", "facility_id"]))) == 1
        entrance = repo.get_audit(int(frame.loc["Synthetic entrance", "audit_id"]))
        assert entrance.measurements["door_clear_width_mm"] == 850  # not_checked → not measured
    again = import_odk(db, SYSTEM, FIXTURES / "central_submissions.csv",
                       attachments=_attachments(tmp_path), settings=cfg)
    assert (again.imported, again.already_imported) == (0, 3)
    assert _counts(db) == (3, 3)


def test_bad_rows_all_reported_nothing_imported(sqlite_db: Database, cfg: Settings) -> None:
    with pytest.raises(ImportRejected) as info:
        import_odk(sqlite_db, SYSTEM, FIXTURES / "central_bad.csv", settings=cfg)
    found = {(r.row, r.field) for r in info.value.rows}
    assert {(2, "running_slope_pct"), (2, "rise_mm"), (2, "handrail_present"),
            (3, "facility_type"), (4, "location"), (5, "instanceID"),
            (5, "location accuracy")} <= found
    assert not any(r.row == 1 for r in info.value.rows)
    assert "4 bad row(s), nothing imported" in str(info.value)
    assert _counts(sqlite_db) == (0, 0)


def test_bad_photo_rolls_back_whole_file(sqlite_db: Database, cfg: Settings,
                                         tmp_path: Path) -> None:
    with pytest.raises(ImportRejected, match="JPEG, PNG or HEIC"):
        import_odk(sqlite_db, SYSTEM, FIXTURES / "central_submissions.csv",
                   attachments=_attachments(tmp_path, broken=True), settings=cfg)
    assert _counts(sqlite_db) == (0, 0)


def test_missing_attachment_reported(sqlite_db: Database, cfg: Settings, tmp_path: Path) -> None:
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(ImportRejected) as info:
        import_odk(sqlite_db, SYSTEM, FIXTURES / "central_submissions.csv", attachments=empty,
                   settings=cfg)
    assert [(r.row, r.field, r.value) for r in info.value.rows] == [(1, "photo_1", "ramp_a.jpg")]


def test_kobo_json_reaudits_nearby_facility(sqlite_db: Database, cfg: Settings) -> None:
    import_odk(sqlite_db, SYSTEM, FIXTURES / "central_submissions.csv", settings=cfg)
    report = import_odk(sqlite_db, SYSTEM, FIXTURES / "kobo_submissions.json", settings=cfg)
    assert (report.imported, report.reaudits, report.created_facilities) == (2, 1, 1)
    with sqlite_db.session() as s:
        frame = Repository(s).facility_frame().set_index("name")
        ramp_a = int(frame.loc["Synthetic ramp A", "facility_id"])
        history = Repository(s).audit_history(ramp_a)
    assert [a.sequence for a in history] == [2, 1]
    assert history[0].measurements["running_slope_pct"] == 8


def test_central_odata_json(sqlite_db: Database, cfg: Settings) -> None:
    records = read_records(FIXTURES / "central_odata.json")
    assert records[0]["parking/total_spaces"] == 120
    report = import_odk(sqlite_db, SYSTEM, FIXTURES / "central_odata.json", settings=cfg)
    assert report.imported == 1


def test_gcj02_positions_converted(sqlite_db: Database, cfg: Settings, tmp_path: Path) -> None:
    lon, lat = from_wgs84(111.9799, 21.8594, "gcj02")
    text = (FIXTURES / "central_bad.csv").read_text().splitlines()
    row = text[1].replace("21.8594,111.9799", f"{lat:.7f},{lon:.7f}")
    path = tmp_path / "gcj.csv"
    path.write_text("\n".join([text[0], row]) + "\n")
    import_odk(sqlite_db, SYSTEM, path, crs="gcj02", settings=cfg)
    with sqlite_db.session() as s:
        fac = Repository(s).facility_frame().iloc[0]
    assert abs(fac["lon"] - 111.9799) < 1e-5 and abs(fac["lat"] - 21.8594) < 1e-5


def test_only_import_roles(sqlite_db: Database, cfg: Settings) -> None:
    with pytest.raises(PermissionDenied):
        import_odk(sqlite_db, Actor(None, "b", "bureau"), FIXTURES / "central_submissions.csv",
                   settings=cfg)


def test_cli_import_reports_rows(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "NETWORK_SOURCE": "demo",
           "A11Y_SETTINGS_FILE": "/nonexistent"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "audit", *args], env=env, cwd=REPO,
                              capture_output=True, text=True, check=False)

    assert run("db", "upgrade").returncode == 0
    bad = run("import", "odk", str(FIXTURES / "central_bad.csv"), "--no-snap")
    assert bad.returncode == 2 and "row 3" in bad.stderr and "facility_type" in bad.stderr
    good = run("import", "odk", str(FIXTURES / "central_submissions.csv"))
    assert good.returncode == 0, good.stderr
    assert "3 imported (3 new facilities" in good.stdout


def test_an_imported_reaudit_is_scored_on_the_combined_state(sqlite_db: Database,
                                                              cfg: Settings) -> None:
    """Issue 17 item 5: an ODK re-audit carries forward what it left empty, with its source."""
    from audit.scoring import evaluate

    import_odk(sqlite_db, SYSTEM, FIXTURES / "central_submissions.csv", settings=cfg)
    import_odk(sqlite_db, SYSTEM, FIXTURES / "kobo_submissions.json", settings=cfg)
    with sqlite_db.session() as s:
        frame = Repository(s).facility_frame().set_index("name")
        history = Repository(s).audit_history(int(frame.loc["Synthetic ramp A", "facility_id"]))
    new, old = history
    assert set(old.measurements) <= set(new.measurements)  # nothing of the old state lost
    # the Kobo submission left the cross slope (and the in_dwelling default) empty
    assert set(new.measured_from) == {"cross_slope_pct", "in_dwelling"}
    for name, source in new.measured_from.items():
        assert source["audit_id"] == old.id and new.measurements[name] == old.measurements[name]
    assert evaluate("ramp", new.measurements).verdict == new.verdict  # rescore reproduces it
