"""Security: every write operation of the library × every role → allowed or denied as designed in
:data:`audit.actors.PERMISSIONS`; a denied call raises PermissionDenied and writes nothing.
Also: passwords never logged or printed, residents' contacts never in exports or public frames,
and a sign-in expires after ``settings.session_ttl_s``.
"""

from __future__ import annotations

import io
import logging
import shutil
from collections.abc import Callable
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from bureau_fixtures import snapshot
from PIL import Image

from audit import auth, drafts, reports, sessions, workorders
from audit.actors import ANONYMOUS, PERMISSIONS, SYSTEM, Actor
from audit.errors import PermissionDenied
from audit.inspect import AuditRequest, save_audit
from audit.io.exports import export_database, export_tables
from audit.io.odk_import import import_odk
from audit.photos import orphan_photo_files, store_photo, store_photo_info
from audit.rescore import rescore
from audit.scoring import evaluate
from audit.settings import Settings
from audit.storage import Database, open_database, upgrade_to_head
from audit.storage.bulk import AuditInput, submit_audits
from audit.storage.repository import Repository

ODK_CSV = Path(__file__).resolve().parent / "fixtures" / "odk" / "central_submissions.csv"
ROLES = ("anonymous", "inspector", "bureau", "admin")
PASSWORD = "Correct-Horse-9-Battery"
CONTACT = "13800138000 wang@example.org"
M = {"running_slope_pct": 9.0, "rise_mm": 300}
EV = evaluate("ramp", M)  # the caller evaluates once; the repository stores it


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A seeded SQLite file (users of each role, a facility, audits, reports, a work order)."""
    path = tmp_path_factory.mktemp("authz") / "template.sqlite3"
    db = open_database(f"sqlite:///{path}")
    upgrade_to_head(db)
    ids: dict[str, Any] = {}
    cfg = Settings(data_dir=path.parent, report_rate_limit=1000)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        for role in ("inspector", "bureau", "admin"):
            ids[role] = auth.create_user(repo, f"u_{role}", PASSWORD, role).id
        ids["victim"] = auth.create_user(repo, "victim", PASSWORD, "inspector").username
        # a cookie session of the victim (its claim code and token are the proof)
        code = sessions.start_session(repo.acting_as(
            Actor(ids["inspector"], "u_inspector", "inspector")))
        ids["claim"] = code
        ids["token"] = sessions.claim_session(repo, sessions.start_session(repo.acting_as(
            Actor(ids["inspector"], "u_inspector", "inspector")))).token  # type: ignore[union-attr]
        for role in ("inspector", "admin"):  # each keeps one automatic draft
            drafts.save_draft(repo.acting_as(Actor(ids[role], f"u_{role}", role)), "form",
                              "ramp", {"notes": "kept"})
        ids["photo"] = store_photo(repo, _jpeg(), settings=cfg)
        fac = repo.create_facility("ramp", 111.98, 21.86)
        ids["facility"] = fac.id
        ids["audit"] = repo.submit_audit(fac.id, EV).id
        draft = repo.submit_audit(fac.id, EV, status="draft")
        ids["draft"], ids["draft_version"] = draft.id, draft.row_version
        ids["version"] = repo.get_facility(fac.id).version
        for name in ("new", "other", "fixed"):
            receipt = reports.create_report(repo, category="tactile_blocked",
                                            location_text=f"东风路 {name} 公交站",
                                            contact=CONTACT, client_key=f"seed-{name}",
                                            settings=cfg)
            ids[f"report_{name}"] = receipt.report_id
            ids[f"code_{name}"] = receipt.code
            ids[f"secret_{name}"] = receipt.secret
        reports.mark_fixed(repo, ids["report_fixed"])
        order = workorders.create_work_order(repo, facility_id=fac.id,
                                             responsible_unit="城管", due_date=date(2030, 1, 1))
        ids["order"] = order.id
    # a one-crossing OSM file in 江城区 (synthetic) for the inventory import
    ids["osm_file"] = path.parent / "one-crossing.osm"
    ids["osm_file"].write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>"
        "<node id='1' lat='21.86' lon='111.98' version='1'>"
        "<tag k='highway' v='crossing'/></node></osm>\n", encoding="utf-8")
    db.engine.dispose()
    return path, ids


def _actor(role: str, ids: dict[str, Any]) -> Actor:
    return ANONYMOUS if role == "anonymous" else Actor(ids[role], f"u_{role}", role)  # type: ignore[arg-type]


def _repo_op(fn: Callable[[Repository, dict[str, Any], Settings], Any]) -> Callable[..., Any]:
    """The call in one write unit of work acting for the role under test."""
    def run(db: Database, actor: Actor, ids: dict[str, Any], cfg: Settings) -> Any:
        with db.unit_of_work(actor, write=True) as repo:
            return fn(repo, ids, cfg)
    return run


# (name, permissions all required, call)
OPERATIONS: list[tuple[str, tuple[str, ...], Callable[..., Any]]] = [
    ("repository.create_facility", ("facility.create",),
     _repo_op(lambda r, i, c: r.create_facility("toilet", 111.99, 21.87))),
    ("repository.submit_audit", ("audit.submit",),
     _repo_op(lambda r, i, c: r.submit_audit(i["facility"], EV))),
    ("repository.submit_audit(draft)", ("audit.draft",),
     _repo_op(lambda r, i, c: r.submit_audit(i["facility"], EV, status="draft"))),
    ("repository.update_draft", ("audit.draft",),
     _repo_op(lambda r, i, c: r.update_draft(i["draft"], EV,
                                             expected_row_version=i["draft_version"]))),
    ("repository.update_draft(submit)", ("audit.submit",),
     _repo_op(lambda r, i, c: r.update_draft(i["draft"], EV, submit=True,
                                             expected_row_version=i["draft_version"]))),
    ("repository.set_meta", ("meta.write",),
     _repo_op(lambda r, i, c: r.set_meta("demo_seed", "forged"))),
    ("repository.meta_setdefault", ("meta.write",),
     _repo_op(lambda r, i, c: r.meta_setdefault("demo_seed", "forged"))),
    ("reports.client_salt", ("meta.write",), _repo_op(lambda r, i, c: reports.client_salt(r))),
    ("repository.attach_photo", ("photo.add", "audit.submit"),
     _repo_op(lambda r, i, c: r.attach_photo(i["audit"], i["photo"]))),
    ("inspect.save_audit(new facility)", ("audit.submit", "facility.create"),
     _repo_op(lambda r, i, c: save_audit(r, AuditRequest("ramp", M, lon=112.0, lat=21.9),
                                         settings=c))),
    ("inspect.save_audit(re-audit)", ("audit.submit",),
     _repo_op(lambda r, i, c: save_audit(r, AuditRequest(
         "ramp", M, facility_id=i["facility"], expected_facility_version=i["version"]),
         settings=c))),
    ("photos.store_photo", ("photo.add",),
     _repo_op(lambda r, i, c: store_photo(r, _jpeg()[:-2] + b"\xff\xd9", settings=c))),
    ("photos.orphan_photo_files(remove)", ("photo.gc",),
     _repo_op(lambda r, i, c: orphan_photo_files(r, remove=True, settings=c))),
    ("reports.create_report", ("report.create",),
     _repo_op(lambda r, i, c: reports.create_report(
         r, category="ramp_steep", location_text="人民路 12 号", client_key="k", settings=c))),
    ("reports.file_report", ("report.create",),
     _repo_op(lambda r, i, c: reports.file_report(r, client_key="k", settings=c,
                                                  category="other",
                                                  location_text="江城区 公园门口"))),
    ("reports.support", ("report.support",),
     _repo_op(lambda r, i, c: reports.support(r, i["code_new"], client_key="k2", settings=c))),
    ("reports.reopen_report(fixed)", ("report.reopen",),
     _repo_op(lambda r, i, c: reports.reopen_report(r, i["report_fixed"], "still blocked",
                                                       secret=i["secret_fixed"]))),
    ("reports.verify_report", ("report.moderate",),
     _repo_op(lambda r, i, c: reports.verify_report(r, i["report_new"]))),
    ("reports.reject_report", ("report.moderate",),
     _repo_op(lambda r, i, c: reports.reject_report(r, i["report_new"], "not a barrier"))),
    ("reports.mark_duplicate", ("report.moderate",),
     _repo_op(lambda r, i, c: reports.mark_duplicate(r, i["report_other"], i["report_new"]))),
    ("reports.link_facility", ("report.moderate",),
     _repo_op(lambda r, i, c: reports.link_facility(r, i["report_new"], i["facility"]))),
    ("reports.start_work", ("report.moderate",),
     _repo_op(lambda r, i, c: reports.start_work(r, i["report_new"]))),
    ("reports.mark_fixed", ("report.moderate",),
     _repo_op(lambda r, i, c: reports.mark_fixed(r, i["report_new"]))),
    ("reports.moderation_queue", ("report.moderate",),
     _repo_op(lambda r, i, c: reports.moderation_queue(r))),
    ("reports.contact_of", ("report.read_contact",),
     _repo_op(lambda r, i, c: reports.contact_of(r, i["report_new"]))),
    ("reports.create_work_order_for", ("workorder.manage", "report.moderate"),
     _repo_op(lambda r, i, c: reports.create_work_order_for(
         r, i["report_new"], responsible_unit="城管", due_date=date(2030, 1, 1)))),
    ("workorders.create_work_order", ("workorder.manage",),
     _repo_op(lambda r, i, c: workorders.create_work_order(
         r, facility_id=i["facility"], responsible_unit="住建", due_date=date(2030, 1, 1)))),
    ("workorders.create_plan_work_orders", ("workorder.manage",),
     _repo_op(lambda r, i, c: workorders.create_plan_work_orders(
         r, _plan_of(i), responsible_unit="住建", due_date=date(2030, 1, 1)))),
    ("workorders.set_status", ("workorder.manage",),
     _repo_op(lambda r, i, c: workorders.set_status(r, i["order"], "in_progress"))),
    ("auth.create_user", ("user.manage",),
     _repo_op(lambda r, i, c: auth.create_user(r, "newcomer", PASSWORD, "inspector"))),
    ("auth.list_users", ("user.manage",), _repo_op(lambda r, i, c: auth.list_users(r))),
    ("auth.disable_user", ("user.manage",),
     _repo_op(lambda r, i, c: auth.disable_user(r, i["victim"]))),
    ("auth.set_active", ("user.manage",),
     _repo_op(lambda r, i, c: auth.set_active(r, i["victim"], False))),
    ("auth.unlock_user", ("user.manage",),
     _repo_op(lambda r, i, c: auth.unlock_user(r, i["victim"]))),
    ("auth.set_password", ("user.manage",),
     _repo_op(lambda r, i, c: auth.set_password(r, i["victim"], "Another-Long-Pass-77"))),
    ("repository.rescore_audit", ("audit.rescore",),
     _repo_op(lambda r, i, c: r.rescore_audit(i["audit"],
                                              evaluate("ramp", {**M, "rise_mm": 400})))),
    ("rescore.rescore(dry run)", ("audit.rescore",),
     lambda db, actor, i, c: rescore(db, actor, dry_run=True, everything=True)),
    ("rescore.rescore", ("audit.rescore",),
     lambda db, actor, i, c: rescore(db, actor, everything=True)),
    ("odk_import.import_odk", ("data.import",),
     _repo_op(lambda r, i, c: import_odk(r, ODK_CSV, settings=c))),
    ("bulk.submit_audits", ("audit.submit", "facility.create"),
     _repo_op(lambda r, i, c: submit_audits(
         r, [AuditInput("ramp", 111.9911, 21.8711, EV, "authz-bulk-1")],
         radius_m=c.duplicate_radius_m))),
    ("photos.store_photo_info", ("photo.add",),
     _repo_op(lambda r, i, c: store_photo_info(r, _jpeg()[:-2] + b"\xff\xd9", settings=c))),
    ("auth.end_my_sessions", ("account.own",),
     _repo_op(lambda r, i, c: auth.end_my_sessions(r))),
    ("auth.change_own_password", ("account.own",),
     _repo_op(lambda r, i, c: auth.change_own_password(r, PASSWORD, "Changed-Own-Pass-42"))),
    ("inventory.import_inventory", ("inventory.import",),
     _repo_op(lambda r, i, c: _inventory().import_inventory(r, i["osm_file"], settings=c))),
    ("auth.remove_demo_accounts", ("user.manage",),
     _repo_op(lambda r, i, c: auth.remove_demo_accounts(r))),
    ("auth.set_role", ("user.manage",),
     _repo_op(lambda r, i, c: auth.set_role(r, i["victim"], "bureau"))),
    ("sessions.start_session", ("account.own",),
     _repo_op(lambda r, i, c: sessions.start_session(r))),
    ("sessions.claim_session", ("session.resume",),
     _repo_op(lambda r, i, c: sessions.claim_session(r, i["claim"]))),
    ("sessions.resume_session", ("session.resume",),
     _repo_op(lambda r, i, c: sessions.resume_session(r, i["token"]))),
    ("sessions.end_session", ("session.resume",),
     _repo_op(lambda r, i, c: sessions.end_session(r, i["token"]))),
    ("drafts.save_draft", ("audit.draft",),
     _repo_op(lambda r, i, c: drafts.save_draft(r, "form", "ramp", {"notes": "changed"}))),
    ("drafts.list_drafts", ("audit.draft",), _repo_op(lambda r, i, c: drafts.list_drafts(r))),
    ("drafts.get_draft", ("audit.draft",),
     _repo_op(lambda r, i, c: drafts.get_draft(r, "form"))),
    ("drafts.delete_draft", ("audit.draft",),
     _repo_op(lambda r, i, c: drafts.delete_draft(r, "form"))),
]


def _expected(perms: tuple[str, ...], role: str) -> bool:
    return all(role in PERMISSIONS[p] for p in perms)


def test_every_permission_is_exercised() -> None:
    used = {p for _, perms, _ in OPERATIONS for p in perms}
    # facility.update: no library function changes a facility's fields (re-audits only);
    # data.export_private: not required by any operation; it decides whether an export keeps
    # the inspectors' account names (tests/test_exports.py).
    assert set(PERMISSIONS) - used == {"facility.update", "data.export_private"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "perms", "call"), OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_authorisation_matrix(template: tuple[Path, dict[str, Any]], tmp_path: Path, role: str,
                              name: str, perms: tuple[str, ...], call: Callable[..., Any]) -> None:
    source, ids = template
    path = tmp_path / "db.sqlite3"
    shutil.copy(source, path)
    db = open_database(f"sqlite:///{path}")
    cfg = Settings(data_dir=tmp_path, report_rate_limit=1000)
    before = snapshot(db)
    try:
        if _expected(perms, role):
            call(db, _actor(role, ids), ids, cfg)
        else:
            with pytest.raises(PermissionDenied) as info:
                call(db, _actor(role, ids), ids, cfg)
            assert repr(role) in str(info.value)
            assert snapshot(db) == before, f"{name} denied to {role} but wrote something"
            assert not (tmp_path / "photos").exists() or not any(
                p.is_file() for p in (tmp_path / "photos").rglob("*"))
    finally:
        db.engine.dispose()


# ------------------------------------------------------------------------------ secrets
def test_passwords_never_logged_or_printed(sqlite_db: Database, caplog: pytest.LogCaptureFixture,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    secret, wrong = "Sekret-Pass-4711-xyz", "Wrong-Guess-0815-abc"
    cfg = Settings(login_max_failures=3)
    def uow() -> Any:
        return sqlite_db.unit_of_work(SYSTEM, write=True)

    with caplog.at_level(logging.DEBUG):
        with uow() as repo:
            auth.create_user(repo, "li_inspector", secret, "inspector")
        for _ in range(4):
            with pytest.raises(auth.AuthenticationFailed) as info:
                with uow() as repo:
                    result = auth.authenticate(repo, "li_inspector", wrong, settings=cfg)
                result.actor_or_raise()
            assert wrong not in str(info.value)
        with pytest.raises(Exception) as bad, uow() as repo:
            auth.create_user(repo, "li_inspector", secret, "inspector")
        assert secret not in str(bad.value)
        with uow() as repo:
            auth.set_password(repo, "li_inspector", secret + "2")
    out = capsys.readouterr()
    seen = caplog.text + out.out + out.err
    assert "li_inspector" in caplog.text  # the log is really captured
    for s in (secret, wrong, secret + "2"):
        assert s not in seen
    with sqlite_db.session() as s:
        log_text = " ".join(repr(r) for r in s.execute(sa.text("SELECT * FROM change_log")))
        users = " ".join(repr(r) for r in s.execute(sa.text("SELECT * FROM users")))
    for s_ in (secret, wrong):
        assert s_ not in log_text and s_ not in users


def test_contact_never_in_exports_frames_or_logs(
    sqlite_db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = Settings(data_dir=tmp_path, report_rate_limit=1000)
    with caplog.at_level(logging.DEBUG):
        with sqlite_db.unit_of_work(ANONYMOUS, write=True) as repo:
            receipt = reports.file_report(repo, client_key="c", settings=cfg,
                                          category="toilet_unusable", location_text="市民广场 公厕",
                                          contact=CONTACT, lon=111.98, lat=21.86)
        for role in ("anonymous", "inspector"):
            actor = Actor(None, role, role)  # type: ignore[arg-type]
            with sqlite_db.unit_of_work(actor) as repo:
                frame = repo.report_frame(public_only=False)
                assert CONTACT not in frame.to_csv()
                tables = export_tables(repo)
                assert all(CONTACT not in t.to_csv() for t in tables.values())
                status = reports.status_by_code(repo, receipt.code)
                assert CONTACT not in repr(status)
                with pytest.raises(PermissionDenied):
                    reports.contact_of(repo, receipt.report_id)
        with sqlite_db.unit_of_work(SYSTEM) as repo:
            for fmt in ("csv", "xlsx", "geojson", "gpkg"):
                out = export_database(repo, fmt, tmp_path / f"export.{fmt}")
                files = [out] if Path(out).is_file() else list(Path(out).rglob("*"))
                for f in files:
                    if f.is_file():
                        assert CONTACT.encode() not in f.read_bytes(), (fmt, f)
                        assert b"13800138000" not in f.read_bytes(), (fmt, f)
    assert "13800138000" not in caplog.text
    with sqlite_db.session() as s:
        changes = " ".join(repr(r) for r in s.execute(sa.text("SELECT * FROM change_log")))
    assert "13800138000" not in changes


# ------------------------------------------------------------------------------ sessions
def _session_script() -> None:
    import streamlit as st

    from ui.auth import current_actor

    actor = current_actor()
    st.write(f"role={actor.role}")


def test_session_expires_after_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    import ui.auth

    ttl = Settings().session_ttl_s
    clock = {"now": 1_000_000.0}
    monkeypatch.setattr(ui.auth, "_now", lambda: clock["now"])
    app = AppTest.from_function(_session_script)
    app.session_state[ui.auth.AUTH_KEY] = {"user_id": 7, "username": "wu", "role": "bureau",
                                          "signed_in_at": clock["now"]}
    app.run()
    assert app.markdown[0].value == "role=bureau"
    clock["now"] += ttl - 1
    app.run()
    assert app.markdown[0].value == "role=bureau"
    clock["now"] += 2
    app.run()
    assert app.markdown[0].value == "role=anonymous"
    assert ui.auth.AUTH_KEY not in app.session_state
    assert app.session_state[ui.auth.EXPIRED_KEY] is True


# ------------------------------------------------------------------------------ every write
def _library_functions() -> dict[str, Callable[..., Any]]:
    """Every public library function taking a unit of work (``repo`` first) and every public
    Repository method, found by introspection, by the short name the matrix uses
    (``reports.create_report``, ``repository.set_meta``, ``demo.seed_demo`` ...)."""
    import importlib
    import inspect
    import pkgutil

    import audit

    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.walk_packages(audit.__path__, "audit."):
        if info.name.startswith(("audit.cli", "audit.storage.migrations")) or \
                info.name == "audit.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != info.name:
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:1] == ["repo"]:
                parts = info.name.split(".")
                group = parts[1] if parts[1] in ("reports", "demo") else parts[-1]
                found[f"{group}.{name}"] = fn
    for name, fn in vars(Repository).items():
        exposed = callable(fn) or isinstance(fn, property | cached_property)
        if not name.startswith("_") and exposed:
            found[f"repository.{name}"] = fn
    return found


def _fac(i: dict[str, Any]) -> int:
    return int(i["facility"])


#: Functions that only read: each is called as an anonymous user and must write nothing.
READS: dict[str, Callable[[Repository, dict[str, Any], Settings], Any]] = {
    "auth.get_user": lambda r, i, c: auth.get_user(r, "victim"),
    "photos.photo_bytes": lambda r, i, c: _photos().photo_bytes(r, "00/missing.jpg", c),
    "auth.has_accounts": lambda r, i, c: auth.has_accounts(r),
    "auth.demo_account_names": lambda r, i, c: auth.demo_account_names(r),
    "inspect.find_duplicates": lambda r, i, c: _inspect().find_duplicates(r, "ramp", 111.98,
                                                                            21.86, settings=c),
    "inspect.facility_version": lambda r, i, c: _inspect().facility_version(r, _fac(i)),
    "inspect.facility_history": lambda r, i, c: _inspect().facility_history(r, _fac(i)),
    "district_report.district_report_html":
        lambda r, i, c: _district_report().district_report_html(r, "441702"),
    "district_report.write_district_report":
        lambda r, i, c: _district_report().write_district_report(r, "441702",
                                                                 c.data_dir / "r.pdf"),
    "exports.export_tables": lambda r, i, c: export_tables(r),
    "exports.about": lambda r, i, c: _exports().about(r),
    "exports.export_database": lambda r, i, c: export_database(r, "csv", c.data_dir / "x.zip"),
    "priority.build_candidates": lambda r, i, c: _priority().build_candidates(r),
    "rankings.gap_points_by_facility": lambda r, i, c: _rankings().gap_points_by_facility(r),
    "rankings.report_counts": lambda r, i, c: _rankings().report_counts(r),
    "rankings.cell_aggregates":
        lambda r, i, c: _rankings().cell_aggregates(r, _rankings().severity_weights()),
    "rankings.cell_rows":
        lambda r, i, c: _rankings().cell_rows(r, _rankings().severity_weights()),
    "rankings.compute_rankings": lambda r, i, c: _rankings().compute_rankings(r),
    "queries.current_verdict_counts": lambda r, i, c: _queries().current_verdict_counts(r),
    "queries.current_failing_counts": lambda r, i, c: _queries().current_failing_counts(r),
    "queries.open_report_counts": lambda r, i, c: _queries().open_report_counts(r, ("closed",)),
    "queries.located_reports": lambda r, i, c: _queries().located_reports(r, ("new",)),
    "queries.inventory_count_rows": lambda r, i, c: _queries().inventory_count_rows(r),
    "network_attach.failing_clauses":
        lambda r, i, c: _network_attach().failing_clauses(r, [i["audit"]]),
    "network_attach.network_facilities":
        lambda r, i, c: _network_attach().network_facilities(r),
    "network_attach.network_state": lambda r, i, c: _network_attach().network_state(
        r, _walk_network(), snap_limit_m=c.snap_limit_m),
    "inventory.inventory_frame": lambda r, i, c: _inventory().inventory_frame(r),
    "inventory.inventory_sources": lambda r, i, c: _inventory().inventory_sources(r),
    "inventory.inventory_counts": lambda r, i, c: _inventory().inventory_counts(r),
    "inventory.audited_items": lambda r, i, c: _inventory().audited_items(
        r, _inventory().inventory_frame(r), settings=c),
    "inventory.worklist": lambda r, i, c: _inventory().worklist(
        r, _walk_network(), district_code="441702", settings=c),
    "rankings.expected_targets": lambda r, i, c: _rankings().expected_targets(r),
    "rankings.expected_rows": lambda r, i, c: _rankings().expected_rows(r),
    "routes.place_table": lambda r, i, c: _routes().place_table(r),
    "reach.audited_network": lambda r, i, c: _reach().audited_network(
        r, _walk_network(), snap_limit_m=c.snap_limit_m),
    "routes.routing_for": lambda r, i, c: _routes().routing_for(
        r, _walk_network(), snap_limit_m=c.snap_limit_m),
    "repository.audits_to_rescore": lambda r, i, c: r.audits_to_rescore(after_id=0, limit=10),
    "repository.audit_counts_by_ruleset": lambda r, i, c: r.audit_counts_by_ruleset(),
    "reports.find_duplicates": lambda r, i, c: reports.find_duplicates(
        r, "tactile_blocked", location_text="东风路 new 公交站", settings=c),
    "reports.check_rate": lambda r, i, c: _check_rate(r, c),
    "reports.report_row": lambda r, i, c: _records().report_row(r, i["code_new"]),
    "reports.status_by_code": lambda r, i, c: reports.status_by_code(r, i["code_new"]),
    "reports.district_counts": lambda r, i, c: reports.district_counts(r),
    "workorders.latest_compliant_audit_after":
        lambda r, i, c: workorders.latest_compliant_audit_after(r, _fac(i), _epoch()),
    "workorders.work_order_frame": lambda r, i, c: workorders.work_order_frame(r),
    "reaudit.current_state": lambda r, i, c: _reaudit().current_state(r, _fac(i)),
    "workorders.overdue_orders": lambda r, i, c: workorders.overdue_orders(r),
    "workorders.time_to_fix": lambda r, i, c: workorders.time_to_fix(r),
    "repository.check_account": lambda r, i, c: r.check_account(),
    "repository.history": lambda r, i, c: r.history("facility", _fac(i)),
    "repository.get_meta": lambda r, i, c: r.get_meta("demo_seed"),
    "repository.has_demo_data": lambda r, i, c: r.has_demo_data(),
    "repository.real_record_counts": lambda r, i, c: r.real_record_counts(),
    "repository.get_facility": lambda r, i, c: r.get_facility(_fac(i)),
    "repository.facility_exists": lambda r, i, c: r.facility_exists(_fac(i)),
    "repository.has_facilities": lambda r, i, c: r.has_facilities(),
    "repository.nearby_facilities": lambda r, i, c: r.nearby_facilities(None, 111.98, 21.86, 50),
    "repository.find_audit": lambda r, i, c: r.find_audit(i["audit"]),
    "repository.audit_by_idempotency_key": lambda r, i, c: r.audit_by_idempotency_key("k"),
    "repository.submitted_audit_rows": lambda r, i, c: r.submitted_audit_rows(),
    "repository.get_audit": lambda r, i, c: r.get_audit(i["audit"]),
    "repository.audit_history": lambda r, i, c: r.audit_history(_fac(i)),
    "repository.latest_audit": lambda r, i, c: r.latest_audit(_fac(i)),
    "repository.count_audits": lambda r, i, c: r.count_audits(),
    "repository.photo_exists": lambda r, i, c: r.photo_exists(i["photo"]),
    "repository.photos_of_facility": lambda r, i, c: r.photos_of_facility(_fac(i)),
    "repository.facility_frame": lambda r, i, c: r.facility_frame(),
    "repository.facility_detail": lambda r, i, c: r.facility_detail(_fac(i)),
    "repository.report_frame": lambda r, i, c: r.report_frame(),
    "repository.dialect": lambda r, i, c: r.dialect,
}

#: Demo seeders: system or admin only (``meta.write``); on this database, which holds real data,
#: even an admin is refused with DemoRefused (tests/test_security.py) — nothing is written.
DEMO_SEEDERS: dict[str, Callable[[Repository, dict[str, Any], Settings], Any]] = {
    "demo.seed_demo": lambda r, i, c: _demo().seed_demo(r, n_facilities=2),
    "demo.seed_demo_accounts": lambda r, i, c: _demo().seed_demo_accounts(
        r, settings=Settings(data_dir=c.data_dir, demo_mode=True)),
    "demo.claim_demo_database": lambda r, i, c: _demo().claim_demo_database(r),
    "demo.seed_demo_facilities": lambda r, i, c: _demo().seed_demo_facilities(
        r, _rng(), seed=1, n_facilities=2),
    "demo.seed_demo_reports": lambda r, i, c: _demo().seed_demo_reports(r, _rng()),
    "demo.seed_demo_workorders": lambda r, i, c: _demo().seed_demo_workorders(r, _rng()),
}

#: Unit-of-work primitives that the checked functions above build on (no role of their own),
#: and sign-in, which every visitor may attempt by design (tests/test_auth.py: it writes only
#: the failure count and lock-out of the named account).
PRIMITIVES: dict[str, str] = {
    "repository.acting_as": "same unit of work for another actor; writes nothing",
    "repository.on_rollback": "registers a cleanup hook; writes nothing",
    "repository.rolled_back": "runs cleanup hooks after a rollback",
    "repository.flush_or_conflict": "flushes what a checked function changed",
    "repository.log": "appends the change-log entry of a checked function",
    "repository.photo_row": "content-addressed photo row for photos.store_photo_info",
    "auth.authenticate": "sign-in: open to every visitor by design",
    "repository.reports": "the SQL of the checked functions in audit.reports",
    "repository.users": "the SQL of the checked functions in audit.auth",
    "repository.photo_contents": "the SQL of the checked functions in audit.photos (photos "
                                 "kept in the database)",
    "repository.work_orders": "the SQL of the checked functions in audit.workorders",
    "repository.sign_in_sessions": "the SQL of the checked functions in audit.sessions",
    "repository.drafts": "the SQL of the checked functions in audit.drafts (owner only)",
}


#: Writes that take the Database (they open one unit of work per batch themselves), so the
#: introspection above, which looks for a unit of work first, does not list them; the matrix
#: checks their role all the same.
ENGINE_LEVEL: frozenset[str] = frozenset({"rescore.rescore"})


def _photos() -> Any:
    import audit.photos
    return audit.photos


def _inspect() -> Any:
    import audit.inspect
    return audit.inspect


def _district_report() -> Any:
    import audit.io.district_report
    return audit.io.district_report


def _exports() -> Any:
    import audit.io.exports
    return audit.io.exports


def _priority() -> Any:
    import audit.priority
    return audit.priority


def _inventory() -> Any:
    import audit.inventory
    return audit.inventory


def _rankings() -> Any:
    import audit.rankings
    return audit.rankings


def _queries() -> Any:
    import audit.storage.queries
    return audit.storage.queries


def _network_attach() -> Any:
    import audit.network_attach
    return audit.network_attach


def _routes() -> Any:
    import audit.routes
    return audit.routes


def _reach() -> Any:
    import audit.reach
    return audit.reach


def _walk_network() -> Any:
    from geodata.demo_network import demo_walk_network
    return demo_walk_network()


def _records() -> Any:
    import audit.reports.records
    return audit.reports.records


def _demo() -> Any:
    import audit.demo
    return audit.demo


def _plan_of(ids: dict[str, Any]) -> Any:
    """A one-row retrofit plan: the report "other" (no order yet)."""
    import pandas as pd
    return pd.DataFrame([{"candidate_id": f"R{ids['report_other']}", "facility_id": None,
                          "report_id": ids["report_other"], "name": "plan row",
                          "cost_yuan": 1000.0, "is_demo": False}])


def _reaudit() -> Any:
    import audit.reaudit
    return audit.reaudit


def _rng() -> Any:
    import numpy as np
    return np.random.default_rng(1)


def _epoch() -> Any:
    from datetime import UTC, datetime
    return datetime(2000, 1, 1, tzinfo=UTC)


def _check_rate(r: Repository, c: Settings) -> None:
    from audit.reports.ratelimit import check_rate
    from audit.storage.orm import utcnow
    check_rate(r, "reader", c, utcnow(), "report")


def _operation_names() -> set[str]:
    return {name.split("(", 1)[0] for name, _, _ in OPERATIONS}


def test_every_library_function_is_classified() -> None:
    """A new public function taking a unit of work fails here until it is in the matrix (a
    write with its permission), in READS (proved below to write nothing) or a seeder."""
    found = set(_library_functions())
    classified = _operation_names() | set(READS) | set(DEMO_SEEDERS) | set(PRIMITIVES)
    assert found - classified == set(), "unclassified library functions: add them to the matrix"
    assert classified - found - ENGINE_LEVEL == set(), "classified names that no longer exist"
    assert _operation_names() >= ENGINE_LEVEL, "engine-level writes are in the matrix too"
    assert not (_operation_names() & set(READS)), "a function is either a write or a read"


@pytest.fixture
def copy_db(template: tuple[Path, dict[str, Any]], tmp_path: Path) -> Any:
    source, ids = template
    path = tmp_path / "db.sqlite3"
    shutil.copy(source, path)
    db = open_database(f"sqlite:///{path}")
    yield db, ids, Settings(data_dir=tmp_path, report_rate_limit=1000, network_source="demo")
    db.engine.dispose()


def test_reads_write_nothing(copy_db: tuple[Database, dict[str, Any], Settings]) -> None:
    """Every function classified as a read runs for an anonymous visitor without any INSERT,
    UPDATE or DELETE reaching the database."""
    db, ids, cfg = copy_db
    statements: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", spy)
    before = snapshot(db)
    for name, call in READS.items():
        with db.unit_of_work(ANONYMOUS, write=True) as repo:
            call(repo, ids, cfg)
        assert statements == [], f"{name} wrote: {statements}"
    assert snapshot(db) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(DEMO_SEEDERS))
def test_demo_seeders_need_meta_write_and_an_empty_database(
    copy_db: tuple[Database, dict[str, Any], Settings], role: str, name: str
) -> None:
    from audit.demo import DemoRefused

    db, ids, cfg = copy_db
    before = snapshot(db)
    expected = DemoRefused if role in PERMISSIONS["meta.write"] else PermissionDenied
    with pytest.raises(expected), db.unit_of_work(_actor(role, ids), write=True) as repo:
        DEMO_SEEDERS[name](repo, ids, cfg)
    assert snapshot(db) == before
