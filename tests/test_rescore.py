"""``python -m audit rescore``: stored audits re-evaluated under the current ruleset, findings rows
rewritten one transaction per batch, verdict changes counted, dry run, roles, bad input."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from bureau_fixtures import GOOD_RAMP, facility, snapshot

import audit.storage.repository as repository_module
from audit.actors import SYSTEM, Actor
from audit.auth import create_user
from audit.cli import main
from audit.errors import InputError, PermissionDenied
from audit.rankings import compute_rankings
from audit.rescore import MAX_BATCH, rescore
from audit.rules.loader import RULES_DIR, default_ruleset, load_ruleset
from audit.scoring import evaluate
from audit.settings import get_settings
from audit.storage import Database, open_database, upgrade_to_head
from audit.storage.orm import Audit, AuditFinding, ChangeLog, Facility
from audit.storage.repository import Repository

INSPECTOR = Actor(None, "inspector-wu", "inspector")
ADMIN = Actor(None, "admin-li", "admin")
WEIGHTS = {"critical": 3.0, "major": 2.0, "minor": 1.0}
#: 1.00 m wide: compliant under the "old" ruleset below (0.90 m), non-compliant now (1.20 m)
NARROW_RAMP = {**GOOD_RAMP, "clear_width_mm": 1000.0}


@pytest.fixture(scope="module")
def old_ruleset(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The bundled ruleset as an earlier version, 1.9.0-test, whose ramp width limit was 0.90 m."""
    folder = tmp_path_factory.mktemp("rules")
    for path in RULES_DIR.glob("*.toml"):
        shutil.copy(path, folder / path.name)
    main_file = folder / "gb55019-2021.toml"
    text = main_file.read_text(encoding="utf-8")
    current = default_ruleset().version
    assert f'version = "{current}"' in text
    text = text.replace(f'version = "{current}"', 'version = "1.9.0-test"', 1)
    width = 'params = { field = "clear_width_mm", min = { value = 1.20, unit = "m" } }'
    assert text.count(width) == 1
    text = text.replace(width, width.replace("1.20", "0.90"))
    main_file.write_text(text, encoding="utf-8")
    rs = load_ruleset(main_file)
    assert (rs.id, rs.version) == (default_ruleset().id, "1.9.0-test")
    return rs


def _seed(db: Database, old: Any) -> dict[str, int]:
    """Three ramps scored with the old ruleset (one turns non-compliant), one with the current
    ruleset, and an old draft."""
    ids: dict[str, int] = {}
    with db.session(write=True) as s:
        repo = Repository(s, INSPECTOR)
        ids["narrow_fac"] = facility(s, "ramp", "441702")
        ids["narrow"] = repo.submit_audit(ids["narrow_fac"],
                                          evaluate("ramp", NARROW_RAMP, ruleset=old)).id
        ids["good_fac"] = facility(s, "ramp", "441702", dx=0.001)
        ids["good"] = repo.submit_audit(ids["good_fac"],
                                        evaluate("ramp", GOOD_RAMP, ruleset=old)).id
        ids["draft"] = repo.submit_audit(ids["good_fac"],
                                         evaluate("ramp", NARROW_RAMP, ruleset=old),
                                         status="draft").id
        ids["new_fac"] = facility(s, "ramp", "441704")
        ids["new"] = repo.submit_audit(ids["new_fac"], evaluate("ramp", NARROW_RAMP)).id
    return ids


def _audits(db: Database) -> dict[int, tuple[str, str, int]]:
    with db.session() as s:
        return {int(r[0]): (r[1], r[2], int(r[3])) for r in s.execute(
            sa.select(Audit.id, Audit.verdict, Audit.ruleset_version, Audit.row_version))}


def _rows(db: Database, audit_id: int) -> dict[str, tuple[str, str, bool]]:
    with db.session() as s:
        return {r[0]: (r[1], r[2], bool(r[3])) for r in s.execute(
            sa.select(AuditFinding.rule_id, AuditFinding.status, AuditFinding.ruleset_version,
                      AuditFinding.is_current).where(AuditFinding.audit_id == audit_id))}


def _rescore_log(db: Database) -> list[tuple[str, int | None, Any, Any]]:
    with db.session() as s:
        return [(r.entity, r.entity_id, r.before, r.after) for r in s.scalars(
            sa.select(ChangeLog).where(ChangeLog.action == "rescore").order_by(ChangeLog.id))]


def test_rescore_rewrites_old_audits_and_counts_verdict_changes(db: Database,
                                                                 old_ruleset: Any) -> None:
    ids = _seed(db, old_ruleset)
    current = default_ruleset().version
    assert _audits(db)[ids["narrow"]][:2] == ("compliant", "1.9.0-test")
    assert _rows(db, ids["narrow"])["ramp.clear_width"] == ("pass", "1.9.0-test", True)
    with db.session() as s:
        before = compute_rankings(Repository(s), weights=WEIGHTS).table
    report = rescore(db, SYSTEM, batch_size=2)
    # the old audits: two submitted and the draft; the audit at the current version is left alone
    assert (report.evaluated, report.written, report.up_to_date, report.batches) == (3, 3, 1, 2)
    assert report.changed == 2  # the narrow ramp and the narrow draft
    assert report.transitions == {("compliant", "non_compliant"): 2,
                                  ("compliant", "compliant"): 1}
    assert report.changes == [(ids["narrow"], "compliant", "non_compliant"),
                              (ids["draft"], "compliant", "non_compliant")]
    assert report.verdict_counts()["compliant"] == (3, 1)
    assert report.verdict_counts()["non_compliant"] == (0, 2)
    assert report.rejected == []
    audits = _audits(db)
    assert {a[1] for a in audits.values()} == {current}
    assert audits[ids["narrow"]][0] == "non_compliant" and audits[ids["good"]][0] == "compliant"
    assert audits[ids["new"]][2] == 1  # untouched: never written again
    # findings rows follow, in place, keeping the current marker
    narrow = _rows(db, ids["narrow"])
    assert narrow["ramp.clear_width"] == ("fail", current, True)
    assert {v[1] for v in narrow.values()} == {current}
    assert {v[2] for v in _rows(db, ids["draft"]).values()} == {False}
    with db.session() as s:
        fac = s.get(Facility, ids["narrow_fac"])
        assert fac is not None and fac.current_verdict == "non_compliant"
        after = compute_rankings(Repository(s), weights=WEIGHTS).table
    cell = after[(after.district_code == "441702") & (after.facility_type == "ramp")].iloc[0]
    was = before[(before.district_code == "441702") & (before.facility_type == "ramp")].iloc[0]
    assert (was.compliant, was.non_compliant, was.gap_points) == (2, 0, 0.0)
    assert (cell.compliant, cell.non_compliant, cell.gap_points) == (1, 1, WEIGHTS["major"])
    # the change log: each audit's verdict and ruleset before and after, then the run
    log = _rescore_log(db)
    per_audit = {e[1]: e for e in log if e[0] == "audit"}
    assert set(per_audit) == {ids["narrow"], ids["good"], ids["draft"]}
    _, _, was_logged, now_logged = per_audit[ids["narrow"]]
    assert (was_logged["verdict"], was_logged["ruleset_version"]) == ("compliant", "1.9.0-test")
    assert (now_logged["verdict"], now_logged["ruleset_version"]) == ("non_compliant", current)
    summary = [e for e in log if e[0] == "ruleset"]
    assert len(summary) == 1 and summary[0][3]["changed"] == 2
    assert [c[0] for c in summary[0][3]["changes"]] == [ids["narrow"], ids["draft"]]
    # running again finds nothing to do
    again = rescore(db, SYSTEM)
    assert (again.evaluated, again.written, again.up_to_date, again.changed) == (0, 0, 4, 0)
    assert len(_rescore_log(db)) == len(log)


def test_dry_run_counts_the_same_and_writes_nothing(sqlite_db: Database,
                                                    old_ruleset: Any) -> None:
    _seed(sqlite_db, old_ruleset)
    before = snapshot(sqlite_db)
    dry = rescore(sqlite_db, SYSTEM, dry_run=True)
    assert snapshot(sqlite_db) == before
    assert (dry.evaluated, dry.written, dry.changed) == (3, 0, 2)
    assert "dry run: nothing written" in dry.lines()[0]
    real = rescore(sqlite_db, SYSTEM)
    assert real.transitions == dry.transitions


def test_rescoring_at_the_current_version_changes_nothing(sqlite_db: Database) -> None:
    with sqlite_db.session(write=True) as s:
        repo = Repository(s, INSPECTOR)
        for i, m in enumerate((GOOD_RAMP, NARROW_RAMP, {"running_slope_pct": 9.0})):
            repo.submit_audit(facility(s, "ramp", "441702", dx=i * 1e-3), evaluate("ramp", m))
    before = snapshot(sqlite_db)
    report = rescore(sqlite_db, SYSTEM, everything=True)
    assert (report.evaluated, report.changed, report.written, report.up_to_date) == (3, 0, 0, 0)
    assert snapshot(sqlite_db) == before


def test_one_transaction_per_batch(sqlite_db: Database, old_ruleset: Any,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _seed(sqlite_db, old_ruleset)
    real = repository_module.Repository.rescore_audit
    calls = {"n": 0}

    def failing_on_the_third(self: Repository, audit_id: int, evaluation: Any) -> bool:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(self, audit_id, evaluation)

    monkeypatch.setattr(repository_module.Repository, "rescore_audit", failing_on_the_third)
    with pytest.raises(RuntimeError, match="disk full"):
        rescore(sqlite_db, SYSTEM, batch_size=2)
    versions = {k: v[1] for k, v in _audits(sqlite_db).items()}
    current = default_ruleset().version
    # the first batch (two audits) is stored whole; the second rolled back, rows and all
    assert (versions[ids["narrow"]], versions[ids["good"]]) == (current, current)
    assert versions[ids["draft"]] == "1.9.0-test"
    assert {v[1] for v in _rows(sqlite_db, ids["draft"]).values()} == {"1.9.0-test"}
    monkeypatch.setattr(repository_module.Repository, "rescore_audit", real)
    rest = rescore(sqlite_db, SYSTEM)
    assert (rest.evaluated, rest.up_to_date, rest.changed) == (1, 3, 1)


def test_measurements_the_current_ruleset_rejects_are_listed_and_kept(
    sqlite_db: Database, old_ruleset: Any
) -> None:
    ids = _seed(sqlite_db, old_ruleset)
    with sqlite_db.session(write=True) as s:  # as an older schema might have stored it
        s.execute(sa.update(Audit).where(Audit.id == ids["good"]).values(
            measurements={**GOOD_RAMP, "legacy_width_cm": 90}))
    before = _audits(sqlite_db)[ids["good"]]
    rows = _rows(sqlite_db, ids["good"])
    report = rescore(sqlite_db, SYSTEM)
    assert [r.audit_id for r in report.rejected] == [ids["good"]]
    assert "legacy_width_cm" in report.rejected[0].problems[0]
    assert report.evaluated == 2
    assert _audits(sqlite_db)[ids["good"]] == before and _rows(sqlite_db, ids["good"]) == rows
    assert any("legacy_width_cm" in line for line in report.lines())


@pytest.mark.parametrize("role", ["anonymous", "inspector", "bureau"])
def test_only_an_administrator_may_rescore(sqlite_db: Database, old_ruleset: Any,
                                           role: str) -> None:
    _seed(sqlite_db, old_ruleset)
    before = snapshot(sqlite_db)
    actor = Actor(None, f"u-{role}", role)  # type: ignore[arg-type]
    for dry_run in (True, False):
        with pytest.raises(PermissionDenied, match=r"audit\.rescore"):
            rescore(sqlite_db, actor, dry_run=dry_run)
    with pytest.raises(PermissionDenied), sqlite_db.session(write=True) as s:
        Repository(s, actor).rescore_audit(1, evaluate("ramp", GOOD_RAMP))
    assert snapshot(sqlite_db) == before
    assert rescore(sqlite_db, ADMIN).written == 3


@pytest.mark.parametrize("size", [0, -1, MAX_BATCH + 1, "ten", "1.5", True, None])
def test_a_bad_batch_size_is_named_and_writes_nothing(sqlite_db: Database, old_ruleset: Any,
                                                      size: Any) -> None:
    _seed(sqlite_db, old_ruleset)
    before = snapshot(sqlite_db)
    with pytest.raises(InputError) as err:
        rescore(sqlite_db, SYSTEM, batch_size=size)
    problem = err.value.problems[0]
    assert (problem.field, problem.value) == ("batch_size", size)
    assert "1 to 10,000" in problem.allowed
    assert snapshot(sqlite_db) == before


def test_boundary_batch_sizes(sqlite_db: Database, old_ruleset: Any) -> None:
    _seed(sqlite_db, old_ruleset)
    assert rescore(sqlite_db, SYSTEM, batch_size=1, dry_run=True).batches == 3
    assert rescore(sqlite_db, SYSTEM, batch_size=MAX_BATCH).batches == 1


# ----------------------------------------------------------------------------- command line


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old_ruleset: Any
           ) -> Iterator[tuple[Database, dict[str, int]]]:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    get_settings.cache_clear()
    db = open_database(get_settings().effective_database_url)
    upgrade_to_head(db)
    ids = _seed(db, old_ruleset)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        create_user(repo, "admin_li", "Correct-Horse-9-Battery", "admin")
        create_user(repo, "inspector_wu", "Correct-Horse-9-Battery", "inspector")
    try:
        yield db, ids
    finally:
        db.engine.dispose()
        get_settings.cache_clear()


def test_cli_dry_run_then_rescore(cli_db: tuple[Database, dict[str, int]],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    db, ids = cli_db
    before = snapshot(db)
    assert main(["rescore", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run: nothing written" in out
    assert "audits whose verdict changed: 2" in out
    assert "compliant: 3 → 1" in out and "non_compliant: 0 → 2" in out
    assert "compliant → non_compliant: 2" in out
    assert snapshot(db) == before
    assert main(["rescore", "--user", "admin_li", "--batch-size", "1", "--list"]) == 0
    out = capsys.readouterr().out
    assert "stored: 3, in 3 batches" in out
    assert f"audit {ids['narrow']}: compliant → non_compliant" in out
    assert f"audit {ids['good']}:" not in out
    assert _audits(db)[ids["narrow"]][0] == "non_compliant"
    with db.session() as s:
        actors = set(s.scalars(sa.select(ChangeLog.actor).where(ChangeLog.action == "rescore")))
    assert len(actors) == 1 and "admin_li" in actors.pop()


def test_cli_bad_input_and_roles(cli_db: tuple[Database, dict[str, int]],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = cli_db
    before = snapshot(db)
    assert main(["rescore", "--batch-size", "0"]) == 2
    err = capsys.readouterr().err
    assert "batch_size" in err and "'0'" in err and "1 to 10,000" in err
    assert main(["rescore", "--user", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "--user" in err and "nobody" in err and "active account" in err
    assert main(["rescore", "--user", "inspector_wu"]) == 1
    err = capsys.readouterr().err
    assert "inspector" in err and "audit.rescore" in err
    assert snapshot(db) == before


def test_cli_json_report(cli_db: tuple[Database, dict[str, int]],
                         capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["rescore", "--dry-run", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["changed"] == 2 and data["dry_run"] is True
    assert {"before": "compliant", "after": "non_compliant", "audits": 2} in data["transitions"]
