"""Repository round-trips on SQLite and PostGIS, locking, idempotency, history and migrations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from audit.actors import ANONYMOUS, Actor
from audit.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from audit.scoring import evaluate
from audit.storage import Database
from audit.storage.migrations_support import include_object
from audit.storage.orm import Audit, Base, ChangeLog, Facility
from audit.storage.repository import Repository

INSPECTOR = Actor(None, "inspector-zhang", "inspector")
# a point in 江城区 (Jiangcheng), central Yangjiang
LON, LAT = 111.9822, 21.8590
STEEP_RAMP = {"running_slope_pct": 10.0, "rise_mm": 400}
GOOD_RAMP = {"running_slope_pct": 8.0, "rise_mm": 400}
# the caller evaluates once; the repository stores the evaluation it is given
STEEP_EV = evaluate("ramp", STEEP_RAMP)
GOOD_EV = evaluate("ramp", GOOD_RAMP)


def _facility(db: Database, **kw: object) -> int:
    with db.session(write=True) as s:
        rec = Repository(s, INSPECTOR).create_facility(
            "ramp",
            LON,
            LAT,
            name="测试坡道",
            district_code="441702",
            **kw,  # type: ignore[arg-type]
        )
    return rec.id


def test_facility_and_audit_round_trip(db: Database) -> None:
    fid = _facility(db, address="东风三路 1 号")
    with db.session(write=True) as s:
        audit = Repository(s, INSPECTOR).submit_audit(fid, STEEP_EV, notes="北侧入口")
    assert audit.verdict == "non_compliant"
    assert audit.sequence == 1
    assert audit.ruleset_id.startswith("gb55019")
    with db.session() as s:
        repo = Repository(s)
        fac = repo.get_facility(fid)
        back = repo.latest_audit(fid)
        detail = repo.facility_detail(fid)
    assert (fac.facility_type, fac.name, fac.address) == ("ramp", "测试坡道", "东风三路 1 号")
    assert fac.lon == pytest.approx(LON) and fac.lat == pytest.approx(LAT)
    assert back is not None and back.measurements["running_slope_pct"] == 10.0
    assert back.notes == "北侧入口" and back.inspector_name == "inspector-zhang"
    assert back.submitted_at is not None and back.submitted_at.tzinfo is not None
    failing = [f for f in detail["audits"][0]["evaluation"]["findings"] if f["status"] == "fail"]
    assert any(f["clause"] == "2.3.1" for f in failing)


def test_reaudit_is_a_new_version_and_history_is_kept(db: Database) -> None:
    fid = _facility(db)
    with db.session(write=True) as s:
        Repository(s, INSPECTOR).submit_audit(fid, STEEP_EV)
    with db.session(write=True) as s:
        second = Repository(s, INSPECTOR).submit_audit(fid, GOOD_EV)
    assert second.sequence == 2
    with db.session() as s:
        repo = Repository(s)
        history = repo.audit_history(fid)
        frame = repo.facility_frame()
        log = repo.history("audit", history[1].id)
    assert [a.sequence for a in history] == [2, 1]
    assert history[1].measurements["running_slope_pct"] == 10.0  # the first audit is untouched
    assert frame.loc[frame.facility_id == fid, "verdict"].item() != "non_compliant"
    assert log and log[0]["action"] == "create" and log[0]["actor"] == "inspector:inspector-zhang"


def test_same_idempotency_key_gives_one_audit(db: Database) -> None:
    fid = _facility(db)
    with db.session(write=True) as s:
        first = Repository(s, INSPECTOR).submit_audit(
            fid, STEEP_EV, idempotency_key="tablet-7:42"
        )
    with db.session(write=True) as s:
        again = Repository(s, INSPECTOR).submit_audit(
            fid, STEEP_EV, idempotency_key="tablet-7:42"
        )
    assert again.id == first.id
    with db.session() as s:
        assert Repository(s).count_audits() == 1


def test_reused_key_for_another_facility_is_a_conflict(db: Database) -> None:
    a, b = _facility(db), _facility(db)
    with db.session(write=True) as s:
        Repository(s, INSPECTOR).submit_audit(a, STEEP_EV, idempotency_key="k1")
    with pytest.raises(ConflictError, match="already used"), db.session(write=True) as s:
        Repository(s, INSPECTOR).submit_audit(b, STEEP_EV, idempotency_key="k1")


def test_two_inspectors_editing_one_facility_second_gets_conflict(db: Database) -> None:
    fid = _facility(db)
    with db.session() as s:
        seen_by_both = Repository(s).get_facility(fid).version
    with db.session(write=True) as s:
        Repository(s, INSPECTOR).submit_audit(
            fid, STEEP_EV, expected_facility_version=seen_by_both
        )
    other = Actor(None, "inspector-li", "inspector")
    with pytest.raises(ConflictError, match="changed by someone else"), db.session(write=True) as s:
        Repository(s, other).submit_audit(fid, GOOD_EV, expected_facility_version=seen_by_both)
    with db.session() as s:
        history = Repository(s).audit_history(fid)
    assert len(history) == 1 and history[0].inspector_name == "inspector-zhang"


def test_draft_edit_conflict_keeps_first_save(db: Database) -> None:
    fid = _facility(db)
    with db.session(write=True) as s:
        draft = Repository(s, INSPECTOR).submit_audit(fid, STEEP_EV, status="draft")
    with db.session(write=True) as s:
        saved = Repository(s, INSPECTOR).update_draft(
            draft.id, GOOD_EV, expected_row_version=draft.row_version
        )
    assert saved.row_version == draft.row_version + 1
    with pytest.raises(ConflictError), db.session(write=True) as s:
        Repository(s, INSPECTOR).update_draft(
            draft.id, evaluate("ramp", {"running_slope_pct": 12.0}),
            expected_row_version=draft.row_version
        )
    with db.session() as s:
        assert Repository(s).get_audit(draft.id).measurements["running_slope_pct"] == 8.0


def test_bad_input_names_every_field_and_leaves_nothing(db: Database) -> None:
    with pytest.raises(InputError) as err, db.session(write=True) as s:
        Repository(s, INSPECTOR).create_facility("escalator", 300.0, LAT)
    fields = {p.field for p in err.value.problems}
    assert fields == {"facility_type", "location.lon"}
    assert "escalator" in str(err.value) and "300" in str(err.value)
    fid = _facility(db)
    with pytest.raises(InputError) as err2, db.session(write=True) as s:
        Repository(s, INSPECTOR).submit_audit(
            fid, evaluate("ramp", {"running_slope_pct": 300, "clear_width_mm": -5}))
    assert {p.field for p in err2.value.problems} >= {"running_slope_pct", "clear_width_mm"}
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Facility)) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(Audit)) == 0
        # only the one successful facility creation is logged
        assert s.scalar(sa.select(sa.func.count()).select_from(ChangeLog)) == 1


def test_anonymous_cannot_write_audits(db: Database) -> None:
    fid = _facility(db)
    with pytest.raises(PermissionDenied, match="anonymous"), db.session(write=True) as s:
        Repository(s, ANONYMOUS).submit_audit(fid, STEEP_EV)
    with pytest.raises(PermissionDenied), db.session(write=True) as s:
        Repository(s, ANONYMOUS).create_facility("ramp", LON, LAT)


def test_missing_facility_is_not_found(db: Database) -> None:
    with pytest.raises(NotFoundError, match="999"), db.session() as s:
        Repository(s).get_facility(999)


def test_nearby_facilities_same_answer_on_both_backends(db: Database) -> None:
    ids = []
    with db.session(write=True) as s:
        repo = Repository(s, INSPECTOR)
        for dlat_m in (0, 20, 29, 31, 200):
            lat = LAT + dlat_m / 111_195.0
            ids.append(repo.create_facility("ramp", LON, lat).id)
        repo.create_facility("toilet", LON, LAT)
    with db.session() as s:
        found = Repository(s).nearby_facilities("ramp", LON, LAT, 30.0)
    assert [f.id for f, _ in found] == ids[:3]
    assert [round(d) for _, d in found] == [0, 20, 29]


def test_facility_frame_filters(db: Database) -> None:
    fid = _facility(db)
    other = _facility(db)
    with db.session(write=True) as s:
        repo = Repository(s, INSPECTOR)
        repo.submit_audit(fid, STEEP_EV, submitted_at=datetime(2026, 3, 1, tzinfo=UTC))
    with db.session() as s:
        repo = Repository(s)
        every = repo.facility_frame()
        failing = repo.facility_frame(verdicts=["non_compliant"])
        unaudited = repo.facility_frame(verdicts=["unaudited"])
        march = repo.facility_frame(since=datetime(2026, 2, 1, tzinfo=UTC))
        later = repo.facility_frame(since=datetime(2026, 4, 1, tzinfo=UTC))
        toilets = repo.facility_frame(facility_types=["toilet"])
    assert set(every.facility_id) == {fid, other}
    assert list(failing.facility_id) == [fid] and failing.n_fail.item() >= 1
    assert list(unaudited.facility_id) == [other]
    assert list(march.facility_id) == [fid] and later.empty and toilets.empty
    assert set(every.columns) >= {"lon", "lat", "district_code", "verdict", "score", "is_demo"}


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_postgis_stores_real_geometry(postgis_db: Database) -> None:
    fid = _facility(postgis_db)
    with postgis_db.engine.connect() as conn:
        srid, wkt = conn.execute(
            sa.text("SELECT ST_SRID(geom), ST_AsText(geom) FROM facilities WHERE id = :i"),
            {"i": fid},
        ).one()
        index = conn.execute(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_facilities_geom'")
        ).scalar()
    assert srid == 4326 and wkt.startswith("POINT(111.98")
    assert index is not None and "gist" in index.lower()


def test_postgresql_index_predicates_are_attached_when_postgresql_is_opened() -> None:
    """The partial indexes' PostgreSQL predicates are not declared on the index (that would load
    SQLAlchemy's PostgreSQL dialect into every SQLite process); opening a PostgreSQL database
    attaches them, so ``CREATE INDEX`` on PostgreSQL is partial as the migrations make it."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\n"
        "from sqlalchemy.schema import CreateIndex\n"
        "from audit.storage.orm import Base, POSTGRESQL_INDEX_PREDICATES\n"
        "loaded = 'sqlalchemy.dialects.postgresql' in sys.modules\n"
        "from audit.storage import open_database\n"
        "from sqlalchemy.dialects import postgresql\n"
        "def ddl():\n"
        "    return {str(ix.name): str(CreateIndex(ix).compile(dialect=postgresql.dialect()))\n"
        "            for t in Base.metadata.tables.values() for ix in t.indexes\n"
        "            if ix.name in POSTGRESQL_INDEX_PREDICATES}\n"
        "before = ddl()\n"
        "open_database('postgresql+psycopg://nobody:none@127.0.0.1:9/none')  # no connection\n"
        "after = ddl()\n"
        "print(loaded, sorted(n for n, d in before.items() if 'WHERE' in d))\n"
        "for n, d in sorted(after.items()):\n"
        "    print(n, d.split(' WHERE ', 1)[1])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, check=True)
    assert done.stdout.splitlines() == [
        "False []",
        "ix_facilities_current current_verdict IS NOT NULL",
        "ix_findings_current_fail is_current AND status = 'fail'",
        "ux_audits_current_facility is_current",
    ]


def test_create_all_on_postgresql_makes_the_partial_indexes(postgis_db: Database) -> None:
    """``metadata.create_all`` (the benchmarks' schema) gives PostgreSQL the same partial indexes
    as the migrations, in a schema of the test's own."""
    import geoalchemy2  # noqa: F401  (its DDL hooks, before CREATE TABLE)

    schema = "test_partial_indexes"
    with postgis_db.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        engine = postgis_db.engine.execution_options(schema_translate_map={None: schema})
        Base.metadata.create_all(engine)
        with postgis_db.engine.connect() as conn:
            defs = dict(conn.execute(sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s"
                " AND indexname IN ('ix_facilities_current', 'ux_audits_current_facility',"
                " 'ix_findings_current_fail')"), {"s": schema}).all())
    finally:
        with postgis_db.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    assert sorted(defs) == ["ix_facilities_current", "ix_findings_current_fail",
                            "ux_audits_current_facility"]
    assert defs["ix_facilities_current"].endswith("WHERE (current_verdict IS NOT NULL)")
    assert defs["ux_audits_current_facility"].startswith("CREATE UNIQUE INDEX")
    assert defs["ux_audits_current_facility"].endswith("WHERE is_current")
    assert defs["ix_findings_current_fail"].endswith(
        "WHERE (is_current AND ((status)::text = 'fail'::text))")
