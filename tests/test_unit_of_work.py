"""The persistence boundary: Database.unit_of_work and what a Repository carries through it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from audit import reports
from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.errors import InputError, PermissionDenied
from audit.photos import store_photo
from audit.settings import Settings
from audit.storage import Database
from audit.storage.orm import ChangeLog, Facility, Photo, Report

INSPECTOR = Actor(None, "li", "inspector")


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, format="JPEG")
    return out.getvalue()


def _count(db: Database, table: type) -> int:
    with db.session() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_commits_on_success_and_acts_for_its_actor(db: Database) -> None:
    with db.unit_of_work(INSPECTOR, write=True) as repo:
        assert repo.actor == INSPECTOR
        fac = repo.create_facility("ramp", 111.98, 21.86)
    with db.unit_of_work(SYSTEM) as repo:
        assert repo.get_facility(fac.id).facility_type == "ramp"
        assert repo.history("facility", fac.id)[0]["actor"] == "inspector:li"


def test_any_error_rolls_back_everything_done_in_it(db: Database) -> None:
    with pytest.raises(RuntimeError), db.unit_of_work(INSPECTOR, write=True) as repo:
        repo.create_facility("ramp", 111.98, 21.86)
        repo.create_facility("toilet", 111.99, 21.87)
        raise RuntimeError("a later step failed")
    assert _count(db, Facility) == 0 and _count(db, ChangeLog) == 0


def test_acting_as_shares_the_transaction(db: Database) -> None:
    with pytest.raises(PermissionDenied), db.unit_of_work(SYSTEM, write=True) as repo:
        repo.create_facility("ramp", 111.98, 21.86)
        repo.acting_as(ANONYMOUS).create_facility("ramp", 111.99, 21.87)  # anonymous may not
    assert _count(db, Facility) == 0  # the system's facility went with it


def test_photo_files_are_removed_when_the_unit_of_work_rolls_back(sqlite_db: Database,
                                                                  tmp_path: Path) -> None:
    cfg = Settings(data_dir=tmp_path)
    with pytest.raises(InputError), sqlite_db.unit_of_work(ANONYMOUS, write=True) as repo:
        store_photo(repo, _jpeg(), strip_metadata=True, settings=cfg)
        assert _files(cfg.photo_dir)  # written at once ...
        reports.create_report(repo, category="no-such-category", location_text="东门",
                              client_key="k", settings=cfg)
    assert _files(cfg.photo_dir) == []  # ... and removed with the rollback
    assert _count(sqlite_db, Photo) == 0 and _count(sqlite_db, Report) == 0


def test_file_report_keeps_photo_and_report_together(sqlite_db: Database,
                                                     tmp_path: Path) -> None:
    cfg = Settings(data_dir=tmp_path, report_rate_limit=1)
    with sqlite_db.unit_of_work(ANONYMOUS, write=True) as repo:
        reports.file_report(repo, photo=_jpeg(), client_key="k", settings=cfg,
                            category="other", location_text="江城区 公园门口")
    assert _count(sqlite_db, Photo) == 1 and len(_files(cfg.photo_dir)) == 2  # photo + thumb
    with pytest.raises(InputError) as err, sqlite_db.unit_of_work(ANONYMOUS, write=True) as repo:
        reports.file_report(repo, photo=_jpeg()[:-2] + b"\xff\xd9", client_key="k",
                            settings=cfg, category="other", location_text="江城区 公园门口")
    assert err.value.problems[0].field == "rate_limit"
    assert _count(sqlite_db, Photo) == 1 and len(_files(cfg.photo_dir)) == 2


def test_a_failing_rollback_hook_does_not_hide_the_error(sqlite_db: Database) -> None:
    ran: list[str] = []

    def broken() -> None:
        ran.append("broken")
        raise OSError("cannot remove")

    with (pytest.raises(RuntimeError, match="the real error"),
          sqlite_db.unit_of_work(SYSTEM, write=True) as repo):
        repo.on_rollback(lambda: ran.append("first"))
        repo.on_rollback(broken)
        raise RuntimeError("the real error")
    assert ran == ["broken", "first"]  # newest first, every hook runs
