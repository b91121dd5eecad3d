"""Resident reports library: validation, codes, rate limit, duplicates, me too, moderation."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from audit import reports as R
from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.errors import InputError, NotFoundError, PermissionDenied
from audit.model import FACILITY_TYPES
from audit.settings import Settings
from audit.storage import Database, open_database, upgrade_to_head
from audit.storage.orm import ChangeLog, Report, ReportContact, ReportSupport
from audit.storage.repository import Repository

BUREAU = Actor(7, "bureau1", "bureau")
INSPECTOR = Actor(8, "insp1", "inspector")
ADMIN = Actor(9, "admin1", "admin")
HERE = (111.9800, 21.8600)  # 江城区
NEAR = (111.98020, 21.86010)  # ≈ 23 m away
FAR = (111.9900, 21.8600)  # ≈ 1 km away
CONTACT = "微信 secret-contact-13800138000"


def settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(data_dir=tmp_path, database_url="", **kw)  # type: ignore[arg-type]


def _create(db: Database, actor: Actor = ANONYMOUS, **kw: object) -> R.ReportReceipt:
    kw.setdefault("category", "tactile_blocked")
    kw.setdefault("client_key", "client-a")
    with db.session(write=True) as s:
        return R.create_report(Repository(s, actor), **kw)  # type: ignore[arg-type]


def test_categories_cover_the_issue_and_map_to_facility_types() -> None:
    labels = {c.label_zh for c in R.REPORT_CATEGORIES.values()}
    for wanted in ("盲道被占用/中断", "缺少缘石坡道/坡道", "坡道过陡或过窄",
                   "无障碍厕所锁闭/损坏/被占用", "无障碍车位被占用", "过街音响缺失/故障",
                   "入口有台阶/门过窄", "其他"):
        assert wanted in labels
    for cat in R.REPORT_CATEGORIES.values():
        assert cat.label_en
        assert cat.facility_type is None or cat.facility_type in FACILITY_TYPES
    assert R.REPORT_CATEGORIES["other"].facility_type is None


def test_validation_reports_every_problem_at_once() -> None:
    with pytest.raises(InputError) as err:
        R.validate_report(category="nope", description="x" * (R.MAX_DESCRIPTION_CHARS + 1),
                          contact="y" * (R.MAX_CONTACT_CHARS + 1))
    fields = {p.field for p in err.value.problems}
    assert fields == {"category", "description", "contact", "location_text"}


def test_point_or_typed_location_is_required_and_half_points_fail() -> None:
    assert R.validate_report(category="other", location_text="东门").location_text == "东门"
    assert R.validate_report(category="other", lon=HERE[0], lat=HERE[1]).lon == HERE[0]
    with pytest.raises(InputError) as err:
        R.validate_report(category="other", lon=HERE[0])
    assert [p.field for p in err.value.problems] == ["location"]
    with pytest.raises(InputError) as err:
        R.validate_report(category="other", lon=HERE[1], lat=HERE[0] + 100)
    assert err.value.problems[0].field == "location.lat"


def test_gcj02_input_is_converted_to_wgs84_at_the_boundary() -> None:
    from geodata.coords import from_wgs84

    gx, gy = from_wgs84(HERE[0], HERE[1], "gcj02")
    valid = R.validate_report(category="other", lon=float(gx), lat=float(gy), crs="gcj02")
    assert valid.lon == pytest.approx(HERE[0], abs=1e-5)
    assert valid.lat == pytest.approx(HERE[1], abs=1e-5)


def test_codes_are_unguessable_format_and_normalised() -> None:
    codes = {R.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert code == R.normalise_code(code.lower().replace("-", " "))
    with pytest.raises(InputError):
        R.normalise_code("ABCD-0000")  # 0 is not in the alphabet


def test_create_stores_contact_only_in_report_contacts(db: Database, tmp_path: Path) -> None:
    got = _create(db, lon=HERE[0], lat=HERE[1], contact=CONTACT, description="电动车挡住盲道")
    assert got.district_code == "441702"
    with db.session() as s:
        row = s.get(Report, got.report_id)
        assert row is not None and row.status == "new" and row.code == got.code
        assert s.get(ReportContact, got.report_id).contact == CONTACT  # type: ignore[union-attr]
        log = " ".join(json.dumps(e.after, ensure_ascii=False) for e in s.scalars(
            sa.select(ChangeLog)))
        repo = Repository(s, ANONYMOUS)
        frame = repo.report_frame(public_only=False)
        public = R.status_by_code(repo, got.code)
    assert CONTACT not in log
    assert CONTACT not in frame.to_csv()
    assert CONTACT not in repr(public)
    assert "client_key" not in public


def test_outside_point_has_no_district_and_typed_only_has_no_point(db: Database) -> None:
    out = _create(db, lon=113.3, lat=23.1)  # Guangzhou, outside Yangjiang
    typed = _create(db, location_text="阳江汽车总站对面公交站")
    assert out.district_code is None
    assert typed.lon is None and typed.district_code is None


def test_nothing_is_written_when_validation_fails(db: Database) -> None:
    with pytest.raises(InputError):
        _create(db, category="bad", contact=CONTACT)
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Report)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(ReportContact)) == 0


def test_anonymous_reporter_needs_a_client_key(db: Database) -> None:
    with pytest.raises(InputError) as err:
        _create(db, client_key="", location_text="东门口")
    assert err.value.problems[0].field == "client_key"


def test_rate_limit_per_client_counted_in_the_database(db: Database, tmp_path: Path) -> None:
    conf = settings(tmp_path, report_rate_limit=2, report_rate_window_s=600)
    t0 = datetime(2026, 1, 1, 8, tzinfo=UTC)
    for i in range(2):
        _create(db, location_text=f"地点{i}号", settings=conf, now=t0 + timedelta(seconds=i))
    with pytest.raises(InputError) as err:
        _create(db, location_text="地点三", settings=conf, now=t0 + timedelta(seconds=5))
    assert err.value.problems[0].field == "rate_limit"
    # another client is not affected; the first is allowed again after the window
    _create(db, location_text="地点四", settings=conf, client_key="client-b", now=t0)
    _create(db, location_text="地点五", settings=conf, now=t0 + timedelta(seconds=601))


def test_client_key_is_salted_hash_never_raw(tmp_path: Path) -> None:
    salts = []
    for name in ("one", "other", "one"):  # the salt is the installation's: kept in its database
        db = open_database(f"sqlite:///{tmp_path / name}.sqlite3")
        upgrade_to_head(db)
        with db.unit_of_work(SYSTEM, write=True) as repo:
            salts.append(R.client_salt(repo))
        db.engine.dispose()
    key = R.client_key_for("203.0.113.9", salts[0])
    assert "203.0.113.9" not in key and len(key) == 64
    assert key == R.client_key_for("203.0.113.9", salts[2])
    assert key != R.client_key_for("203.0.113.9", salts[1])
    with pytest.raises(ValueError, match="salt"):
        R.client_key_for("203.0.113.9", "")


def test_duplicates_same_category_open_within_radius(db: Database) -> None:
    first = _create(db, lon=HERE[0], lat=HERE[1])
    _create(db, lon=HERE[0], lat=HERE[1], category="parking_occupied")
    _create(db, lon=FAR[0], lat=FAR[1], client_key="c2")
    with db.session() as s:
        found = R.find_duplicates(Repository(s), "tactile_blocked", lon=NEAR[0], lat=NEAR[1])
        wider = R.find_duplicates(Repository(s), "tactile_blocked", lon=NEAR[0], lat=NEAR[1],
                                  radius_m=2000)
    assert [c.report_id for c in found] == [first.report_id]
    assert found[0].distance_m == pytest.approx(23.2, abs=2)
    assert len(wider) == 2 and wider[0].report_id == first.report_id


def test_closed_reports_are_not_suggested(db: Database) -> None:
    got = _create(db, lon=HERE[0], lat=HERE[1])
    with db.session(write=True) as s:
        R.reject_report(Repository(s, BUREAU), got.report_id, "不是障碍")
    with db.session() as s:
        assert R.find_duplicates(Repository(s), "tactile_blocked", lon=HERE[0], lat=HERE[1]) == []


def test_typed_location_duplicates_match_by_words(db: Database) -> None:
    got = _create(db, location_text="东风路公交站")
    with db.session() as s:
        found = R.find_duplicates(Repository(s), "tactile_blocked",
                                  location_text="东风路公交站南侧")
    assert [c.report_id for c in found] == [got.report_id]
    assert found[0].distance_m is None


def test_support_counts_once_per_client_and_key(db: Database) -> None:
    got = _create(db, location_text="东门口")
    with db.session(write=True) as s:
        repo = Repository(s, ANONYMOUS)
        a = R.support(repo, got.code, comment="我也是", client_key="x")
        b = R.support(repo, got.code, client_key="x")
        c = R.support(repo, got.report_id, client_key="y", idempotency_key="k1")
        d = R.support(repo, got.report_id, client_key="z", idempotency_key="k1")
    assert (a.support_count, a.counted) == (1, True)
    assert (b.support_count, b.counted) == (1, False)
    assert (c.support_count, d.counted) == (2, False)


def test_support_is_exact_under_concurrency(db: Database) -> None:
    got = _create(db, location_text="东门口")
    workers, each = 6, 5

    def worker(w: int) -> None:
        for i in range(each):
            with db.session(write=True) as s:
                R.support(Repository(s, ANONYMOUS), got.report_id, client_key=f"w{w}-{i}")

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, range(workers)))
    with db.session() as s:
        count = s.scalar(sa.select(Report.support_count).where(Report.id == got.report_id))
        rows = s.scalar(sa.select(sa.func.count()).select_from(ReportSupport))
    assert count == rows == workers * each


@pytest.mark.parametrize("actor", [ANONYMOUS, INSPECTOR])
def test_anonymous_and_inspector_cannot_moderate(db: Database, actor: Actor) -> None:
    got = _create(db, location_text="东门口", contact=CONTACT)
    other = _create(db, location_text="西门口")
    with db.session(write=True) as s:
        repo = Repository(s, actor)
        for call in (
            lambda: R.verify_report(repo, got.report_id),
            lambda: R.reject_report(repo, got.report_id, "no"),
            lambda: R.mark_duplicate(repo, got.report_id, other.report_id),
            lambda: R.link_facility(repo, got.report_id, 1),
            lambda: R.start_work(repo, got.report_id),
            lambda: R.mark_fixed(repo, got.report_id),
            lambda: R.contact_of(repo, got.report_id),
            lambda: R.moderation_queue(repo),
        ):
            with pytest.raises(PermissionDenied):
                call()


def test_workflow_is_logged_with_actor_and_time(db: Database) -> None:
    got = _create(db, location_text="东门口", contact=CONTACT)
    with db.session(write=True) as s:
        repo = Repository(s, BUREAU)
        queue = R.moderation_queue(repo)
        assert queue.loc[0, "code"] == got.code and bool(queue.loc[0, "has_contact"])
        assert "contact" not in queue.columns
        assert R.contact_of(repo, got.report_id) == CONTACT
        R.verify_report(repo, got.report_id)
        R.start_work(repo, got.report_id, note="已派单")
        R.mark_fixed(repo, got.report_id, note="已清理")
    with db.session(write=True) as s:
        # a resident reopens a report wrongly closed as fixed
        R.reopen_report(Repository(s, ANONYMOUS), got.code, "还是被占用", secret=got.secret)
        history = Repository(s).history("report", got.report_id)
        view = R.status_by_code(Repository(s), got.code)
    actions = [h["action"] for h in history]
    assert actions == ["create", "read_contact", "verify", "start", "fix", "reopen"]
    assert all(h["at"] is not None for h in history)
    assert history[2]["actor"] == "bureau:bureau1" and history[-1]["actor"].startswith("anon")
    assert view["status"] == "confirmed"
    assert [e["action"] for e in view["timeline"]] == ["create", "verify", "start", "fix",
                                                       "reopen"]
    assert view["timeline"][-1]["text"] == "还是被占用"
    assert all("bureau1" not in str(e) for e in view["timeline"])


def test_invalid_transitions_are_refused(db: Database) -> None:
    got = _create(db, location_text="东门口")
    with db.session(write=True) as s:
        with pytest.raises(InputError) as err:
            R.reopen_report(Repository(s, ANONYMOUS), got.code, "为什么", secret=got.secret)
        assert err.value.problems[0].field == "status"
        with pytest.raises(InputError) as err:
            R.reject_report(Repository(s, BUREAU), got.code, "  ")
        assert err.value.problems[0].field == "reason"
    with db.session(write=True) as s:
        R.reject_report(Repository(s, BUREAU), got.code, "重复提交")
    with db.session(write=True) as s, pytest.raises(InputError):
        R.reopen_report(Repository(s, ANONYMOUS), got.code, "请重新看看",  # only fixed
                        secret=got.secret)
    with db.session(write=True) as s:
        R.reopen_report(Repository(s, ADMIN), got.code, "复核后重新打开")
    with db.session() as s:
        assert s.get(Report, got.report_id).status == "confirmed"  # type: ignore[union-attr]


def test_mark_duplicate_moves_supports_and_comments(db: Database) -> None:
    original = _create(db, lon=HERE[0], lat=HERE[1])
    dup = _create(db, lon=NEAR[0], lat=NEAR[1], description="同一处盲道", client_key="c9")
    with db.session(write=True) as s:
        R.support(Repository(s, ANONYMOUS), dup.code, comment="附议", client_key="s1")
        R.support(Repository(s, ANONYMOUS), original.code, client_key="s2")
    with db.session(write=True) as s:
        R.mark_duplicate(Repository(s, BUREAU), dup.report_id, original.code)
    with db.session(write=True) as s:
        view = R.status_by_code(Repository(s), dup.code)
        target = s.get(Report, original.report_id)
        comments = set(s.scalars(sa.select(ReportSupport.comment).where(
            ReportSupport.report_id == original.report_id)))
        # supporting the duplicate supports the original
        again = R.support(Repository(s, ANONYMOUS), dup.code, client_key="s3")
    assert view["status"] == "duplicate" and view["duplicate_of_code"] == original.code
    assert target is not None and target.support_count == 3
    assert {"附议", "同一处盲道"} <= comments
    assert again.report_id == original.report_id and again.support_count == 4


def test_link_facility_validates_and_work_order_module_is_optional(db: Database) -> None:
    got = _create(db, location_text="东门口")
    with db.session(write=True) as s:
        fac = Repository(s, SYSTEM).create_facility("tactile_paving", HERE[0], HERE[1])
    with db.session(write=True) as s, pytest.raises(InputError):
        R.link_facility(Repository(s, BUREAU), got.report_id, 99_999)
    with db.session(write=True) as s:
        after = R.link_facility(Repository(s, BUREAU), got.report_id, fac.id)
    assert after["facility_id"] == fac.id and after["status"] == "new"


def test_status_by_code_unknown_and_malformed() -> None:
    with pytest.raises(InputError):
        R.normalise_code("12")


def test_status_by_code_not_found(sqlite_db: Database) -> None:
    with sqlite_db.session() as s, pytest.raises(NotFoundError):
        R.status_by_code(Repository(s), "ABCD-2345")


def test_district_counts_exclude_rejected_and_carry_the_caveat(db: Database) -> None:
    a = _create(db, lon=HERE[0], lat=HERE[1])
    _create(db, lon=FAR[0], lat=FAR[1], client_key="c2")
    _create(db, location_text="阳东区东城镇", client_key="c3")
    with db.session(write=True) as s:
        R.reject_report(Repository(s, BUREAU), a.report_id, "误报")
    with db.session() as s:
        counts = R.district_counts(Repository(s))
    frame = counts.frame
    assert counts.caveat_key == "reports.counts.caveat"
    by_code = dict(zip(frame["district_code"], frame["reports"], strict=True))
    assert by_code["441702"] == 1  # the rejected one is not counted
    assert by_code[None] == 1  # the typed-only report has no district
    assert {"441702", "441704", "441721", "441781"} <= set(by_code)


def test_reports_never_feed_the_compliance_scoring() -> None:
    import audit.scoring

    source = Path(audit.scoring.__file__).read_text(encoding="utf-8")
    assert "reports" not in source.replace("# reports", "")
    assert "Report" not in source


def test_seed_demo_reports_is_deterministic_and_labelled(tmp_path: Path) -> None:
    from audit.demo.reports import seed_demo_reports
    from audit.storage import open_database, upgrade_to_head

    results = []
    for name in ("a", "b"):
        db = open_database(f"sqlite:///{tmp_path / name}.sqlite3")
        upgrade_to_head(db)
        with db.session(write=True) as s:
            repo = Repository(s, SYSTEM)
            rng = np.random.default_rng(3)
            for i in range(40):
                repo.create_facility(FACILITY_TYPES[i % len(FACILITY_TYPES)],
                                     111.95 + rng.random() * 0.05, 21.84 + rng.random() * 0.04,
                                     address=f"演示地址{i}", is_demo=True)
        with db.unit_of_work(SYSTEM, write=True) as repo:
            message = seed_demo_reports(repo, np.random.default_rng(11))
        with db.session() as s:
            frame = pd.read_sql(sa.select(Report.code, Report.status, Report.description,
                                          Report.is_demo), s.connection())
        results.append(frame)
        assert "synthetic" in message
        with db.unit_of_work(SYSTEM, write=True) as repo:
            assert seed_demo_reports(repo, np.random.default_rng(11)).endswith("none added")
        db.engine.dispose()
    pd.testing.assert_frame_equal(results[0], results[1])
    frame = results[0]
    assert frame["is_demo"].all()
    assert frame["description"].str.contains("演示").all()
    assert {"new", "confirmed", "fixed", "rejected", "duplicate"} <= set(frame["status"])


def test_work_order_for_a_report_moves_it_in_progress(db: Database) -> None:
    from datetime import date

    from audit.storage.orm import WorkOrder

    got = _create(db, lon=HERE[0], lat=HERE[1])
    with db.session(write=True) as s:
        fac = Repository(s, SYSTEM).create_facility("tactile_paving", HERE[0], HERE[1])
    with db.session(write=True) as s:
        with pytest.raises(PermissionDenied):
            R.create_work_order_for(Repository(s, INSPECTOR), got.report_id,
                                    responsible_unit="江城区城管", due_date=date(2026, 3, 1))
        R.link_facility(Repository(s, BUREAU), got.report_id, fac.id)
        order = R.create_work_order_for(Repository(s, BUREAU), got.code,
                                        responsible_unit="江城区城管", due_date=date(2026, 3, 1))
    with db.session() as s:
        row = s.get(WorkOrder, order.id)
        report = s.get(Report, got.report_id)
        actions = [h["action"] for h in Repository(s).history("report", got.report_id)]
    assert row is not None and row.report_id == got.report_id and row.facility_id == fac.id
    assert report is not None and report.status == "in_progress"
    assert actions[-2:] == ["work_order", "start"]
