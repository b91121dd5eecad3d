"""Inspector library: locate, GPS accuracy, duplicates, snapping, save/re-audit, conflicts, diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from conftest import one_unit_of_work

from audit import auth, inspect
from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.errors import ConflictError, InputError, PermissionDenied
from audit.inspect import (
    AuditRequest,
    DuplicateFacility,
    check_gps_accuracy,
    diff_audits,
    diff_measurements,
    gps_needs_confirmation,
    parse_pasted_coordinates,
    preview,
    to_wgs84_point,
)
from audit.settings import Settings
from audit.storage import Database
from audit.storage.repository import Repository
from geodata.coords import from_wgs84
from geodata.demo_network import demo_network

# one unit of work per call, as one page action does
create_user = one_unit_of_work(auth.create_user)
save_audit = one_unit_of_work(inspect.save_audit)


def facility_version(db: Database, facility_id: int) -> int:
    with db.unit_of_work(SYSTEM) as repo:
        return inspect.facility_version(repo, facility_id)


def facility_history(db: Database, facility_id: int) -> list[Any]:
    with db.unit_of_work(SYSTEM) as repo:
        return inspect.facility_history(repo, facility_id)


INSPECTOR = Actor(1, "insp", "inspector")
OTHER = Actor(2, "insp2", "inspector")
PW = "inspector-password"
FAIL_RAMP = {"running_slope_pct": 10, "rise_mm": 400}
PASS_RAMP = {"running_slope_pct": 8, "rise_mm": 400}


@pytest.fixture(scope="module")
def network() -> nx.MultiDiGraph:
    return demo_network()


@pytest.fixture(scope="module")
def spot(network: nx.MultiDiGraph) -> tuple[float, float]:
    """A point 1 m or so off a demo street in 江城区."""
    best = min(network.nodes(data=True),
               key=lambda n: (n[1]["x"] - 111.98) ** 2 + (n[1]["y"] - 21.86) ** 2)
    return best[1]["x"] + 0.00001, best[1]["y"] + 0.00001


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.fixture(autouse=True)
def _accounts(request: pytest.FixtureRequest) -> None:
    """Users 1 and 2 exist in whichever database the test uses (audits reference them)."""
    for name in ("db", "sqlite_db"):
        if name in request.fixturenames:
            database = request.getfixturevalue(name)
            create_user(database, SYSTEM, "insp", PW, "inspector")
            create_user(database, SYSTEM, "insp2", PW, "inspector")
            return


def _new(spot: tuple[float, float], measurements: dict[str, object], **kw: object
         ) -> AuditRequest:
    return AuditRequest("ramp", measurements, lon=spot[0], lat=spot[1], **kw)  # type: ignore[arg-type]


def _count(db: Database) -> tuple[int, int]:
    with db.session() as s:
        repo = Repository(s)
        return len(repo.facility_frame()), repo.count_audits(status=None)


def test_coordinate_conversion_at_the_boundary(spot: tuple[float, float]) -> None:
    gcj = from_wgs84(spot[0], spot[1], "gcj02")
    lon, lat = to_wgs84_point(gcj[0], gcj[1], "gcj02")
    assert abs(lon - spot[0]) < 1e-5 and abs(lat - spot[1]) < 1e-5
    bd = from_wgs84(spot[0], spot[1], "bd09")
    lon, lat = parse_pasted_coordinates(f"{bd[0]:.7f}，{bd[1]:.7f}", "bd09")
    assert abs(lon - spot[0]) < 1e-5
    # lat,lon order is recognised; garbage is an input error naming the field
    assert parse_pasted_coordinates(f"{spot[1]}, {spot[0]}")[0] == pytest.approx(spot[0])
    with pytest.raises(InputError, match="coordinates"):
        parse_pasted_coordinates("111.9")
    with pytest.raises(InputError, match="crs"):
        to_wgs84_point(111.9, 21.8, "mercator")


def test_gps_accuracy_needs_confirmation(cfg: Settings) -> None:
    assert not gps_needs_confirmation(12, cfg)
    assert gps_needs_confirmation(45, cfg) and gps_needs_confirmation(None, cfg)
    check_gps_accuracy(45, confirmed=True, settings=cfg)
    with pytest.raises(InputError) as info:
        check_gps_accuracy(45, confirmed=False, settings=cfg)
    assert info.value.problems[0].field == "gps_accuracy_m" and "30 m" in str(info.value)


def test_create_snaps_to_street_and_district(sqlite_db: Database, network: nx.MultiDiGraph,
                                             spot: tuple[float, float], cfg: Settings) -> None:
    result = save_audit(sqlite_db, INSPECTOR, _new(spot, FAIL_RAMP, name="Test ramp"),
                        network=network, settings=cfg)
    assert result.created_facility and result.facility.district_code == "441702"
    assert result.facility.street_name.startswith("演示路") and result.facility.snap_distance_m < 5
    assert result.audit.verdict == "non_compliant"
    failing = [f["clause"] for f in result.evaluation["findings"] if f["status"] == "fail"]
    assert "2.3.1" in failing


def test_outside_city_and_bad_measurements_reported_together(
        sqlite_db: Database, cfg: Settings) -> None:
    request = AuditRequest("ramp", {"running_slope_pct": 300, "rise_mm": -4},
                           lon=116.4, lat=39.9)
    with pytest.raises(InputError) as info:
        save_audit(sqlite_db, INSPECTOR, request, settings=cfg)
    fields = {p.field for p in info.value.problems}
    assert {"running_slope_pct", "rise_mm", "point"} <= fields
    assert _count(sqlite_db) == (0, 0)


def test_no_location_says_how_to_give_one(sqlite_db: Database, cfg: Settings) -> None:
    """A new facility without a location is refused with a sentence that says how to choose
    one, in both languages (it read "“位置”填写有误，请按说明更正后重试。", with no 说明
    to follow)."""
    from ui.errors import problem_sentence

    request = AuditRequest("ramp", {"running_slope_pct": 5.0, "rise_mm": 300})
    with pytest.raises(InputError) as info:
        save_audit(sqlite_db, INSPECTOR, request, settings=cfg)
    missing = next(p for p in info.value.problems if p.field == "location")
    zh = problem_sentence(missing, "zh-Hans")
    assert "还没有选定位置" in zh and "在地图上点选" in zh and "粘贴坐标" in zh
    assert "No location is chosen yet" in problem_sentence(missing, "en")
    assert _count(sqlite_db) == (0, 0)


def test_poor_gps_fix_refused_until_confirmed(sqlite_db: Database, spot: tuple[float, float],
                                               cfg: Settings) -> None:
    req = _new(spot, FAIL_RAMP, location_source="gps", gps_accuracy_m=80.0)
    with pytest.raises(InputError, match="gps_accuracy_m"):
        save_audit(sqlite_db, INSPECTOR, req, settings=cfg)
    assert _count(sqlite_db) == (0, 0)
    req = _new(spot, FAIL_RAMP, location_source="gps", gps_accuracy_m=80.0, gps_confirmed=True)
    assert save_audit(sqlite_db, INSPECTOR, req, settings=cfg).audit.source == "app"


def test_duplicate_offer_within_radius(db: Database, spot: tuple[float, float],
                                       cfg: Settings) -> None:
    first = save_audit(db, INSPECTOR, _new(spot, FAIL_RAMP), settings=cfg)
    near = (spot[0] + 0.0001, spot[1])  # ~10 m east
    with pytest.raises(DuplicateFacility) as info:
        save_audit(db, INSPECTOR, _new(near, PASS_RAMP), settings=cfg)
    assert info.value.candidates[0][0].id == first.facility.id
    assert 5 < info.value.candidates[0][1] < 15
    assert _count(db) == (1, 1)
    # a different type at the same spot is not a duplicate
    other = AuditRequest("entrance", {"door_clear_width_mm": 900}, lon=near[0], lat=near[1])
    assert save_audit(db, INSPECTOR, other, settings=cfg).created_facility
    # the inspector may insist it is a different ramp
    forced = save_audit(db, INSPECTOR, _new(near, PASS_RAMP, allow_duplicate=True), settings=cfg)
    assert forced.created_facility and forced.facility.id != first.facility.id


def test_reaudit_new_version_and_diff(db: Database, spot: tuple[float, float],
                                      cfg: Settings) -> None:
    first = save_audit(db, INSPECTOR, _new(spot, {**FAIL_RAMP, "handrail_present": False}),
                       settings=cfg)
    version = facility_version(db, first.facility.id)
    second = save_audit(db, INSPECTOR, AuditRequest(
        "ramp", {**PASS_RAMP, "clear_width_mm": 1300}, facility_id=first.facility.id,
        expected_facility_version=version, notes="after repair",
        full_audit=True), settings=cfg)  # a full audit: nothing carried (test_reaudit.py)
    assert second.audit.sequence == 2 and not second.created_facility
    history = facility_history(db, first.facility.id)
    assert [a.sequence for a in history] == [2, 1]
    diff = diff_audits("ramp", history[1], history[0])
    changes = {c.field: (c.change, c.before, c.after) for c in diff["fields"]}
    assert changes["running_slope_pct"] == ("changed", 10, 8)
    assert changes["clear_width_mm"] == ("added", None, 1300)
    assert changes["handrail_present"] == ("removed", False, None)
    assert "rise_mm" not in changes
    assert diff["verdict"] == ("non_compliant", "incomplete")
    assert "ramp.running_slope" in diff["fixed"] and diff["notes"] == ("", "after repair")


def test_false_and_not_checked_differ_in_diff() -> None:
    changes = diff_measurements("ramp", {"handrail_present": False}, {"handrail_present": True})
    assert [(c.before, c.after) for c in changes] == [(False, True)]
    assert diff_measurements("ramp", {"rise_mm": 400}, {"rise_mm": 400.0}) == []


def test_two_inspectors_conflict_nothing_overwritten(db: Database, spot: tuple[float, float],
                                                     cfg: Settings) -> None:
    first = save_audit(db, INSPECTOR, _new(spot, FAIL_RAMP), settings=cfg)
    seen = facility_version(db, first.facility.id)  # both open the form at this version
    save_audit(db, INSPECTOR, AuditRequest("ramp", PASS_RAMP, facility_id=first.facility.id,
                                           expected_facility_version=seen), settings=cfg)
    with pytest.raises(ConflictError, match="nothing was overwritten"):
        save_audit(db, OTHER, AuditRequest("ramp", {"running_slope_pct": 12, "rise_mm": 400},
                                           facility_id=first.facility.id,
                                           expected_facility_version=seen), settings=cfg)
    history = facility_history(db, first.facility.id)
    assert [a.measurements["running_slope_pct"] for a in history] == [8, 10]


def test_duplicate_submit_is_one_audit(db: Database, spot: tuple[float, float],
                                       cfg: Settings) -> None:
    req = _new(spot, FAIL_RAMP, idempotency_key="form-123")
    a = save_audit(db, INSPECTOR, req, settings=cfg)
    b = save_audit(db, INSPECTOR, req, settings=cfg)
    assert b.replayed and a.audit.id == b.audit.id
    assert _count(db) == (1, 1)


def test_draft_then_submit(sqlite_db: Database, spot: tuple[float, float],
                           cfg: Settings) -> None:
    draft = save_audit(sqlite_db, INSPECTOR, _new(spot, {"rise_mm": 400}, status="draft"),
                       settings=cfg)
    assert draft.audit.status == "draft"
    done = save_audit(sqlite_db, INSPECTOR, AuditRequest(
        "ramp", FAIL_RAMP, draft_audit_id=draft.audit.id,
        draft_row_version=draft.audit.row_version), settings=cfg)
    assert done.audit.status == "submitted" and done.audit.id == draft.audit.id
    with pytest.raises(ConflictError):
        save_audit(sqlite_db, INSPECTOR, AuditRequest(
            "ramp", PASS_RAMP, draft_audit_id=draft.audit.id,
            draft_row_version=draft.audit.row_version), settings=cfg)


def test_roles_enforced_in_library(sqlite_db: Database, spot: tuple[float, float],
                                   cfg: Settings) -> None:
    for actor in (ANONYMOUS, Actor(5, "b", "bureau")):
        with pytest.raises(PermissionDenied):
            save_audit(sqlite_db, actor, _new(spot, FAIL_RAMP), settings=cfg)
    assert _count(sqlite_db) == (0, 0)


def test_preview_lists_bad_fields_and_evaluates_the_rest() -> None:
    evaluation, problems = preview("ramp", {"running_slope_pct": "10", "rise_mm": "400",
                                            "clear_width_mm": "abc"})
    assert [p.field for p in problems] == ["clear_width_mm"]
    assert evaluation is not None and evaluation.verdict == "non_compliant"
    fail = next(f for f in evaluation.findings if f.status == "fail")
    assert fail.clause == "2.3.1" and fail.measured
