"""allowed_actions(report, actor): for every status × role it offers exactly what the library
lets that actor do, so a page that shows only these actions never offers a refused one."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from audit import reports as R
from audit.actors import ANONYMOUS, SYSTEM, Actor
from audit.errors import InputError, PermissionDenied
from audit.storage import Database
from audit.storage.repository import Repository

ROLES: dict[str, Actor] = {
    "anonymous": ANONYMOUS,
    "inspector": Actor(None, "li", "inspector"),
    "bureau": Actor(None, "chen", "bureau"),
    "admin": Actor(None, "wang", "admin"),
    "system": SYSTEM,
}
#: What each role may do in each status — the workflow as the page must present it.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "anonymous": {"fixed": {"reopen"}},
    "inspector": {"fixed": {"reopen"}},
    **{
        role: {
            "new": {"verify", "reject", "mark_duplicate", "link_facility", "start", "fix",
                    "work_order"},
            "confirmed": {"reject", "mark_duplicate", "link_facility", "start", "fix",
                          "work_order"},
            "in_progress": {"reject", "mark_duplicate", "link_facility", "fix", "work_order"},
            "fixed": {"link_facility", "reopen"},
            "rejected": {"reopen"},
        }
        for role in ("bureau", "admin", "system")
    },
}


#: The reporter's secret token of each report (by id): residents reopen with it.
SECRETS: dict[int, str] = {}


class _Rollback(Exception):
    """Raised to roll a trial back: every call is tried on the same unchanged data."""


def _to_status(repo: Repository, report_id: int, status: str, original: int) -> None:
    steps = {
        "new": [],
        "confirmed": [R.verify_report],
        "in_progress": [R.start_work],
        "fixed": [R.mark_fixed],
        "rejected": [lambda r, i: R.reject_report(r, i, "不是障碍")],
        "duplicate": [lambda r, i: R.mark_duplicate(r, i, original)],
    }
    for step in steps[status]:
        step(repo, report_id)


def _calls(facility_id: int, original: int) -> dict[str, Any]:
    return {
        "verify": lambda r, i: R.verify_report(r, i),
        "reject": lambda r, i: R.reject_report(r, i, "不是障碍"),
        "mark_duplicate": lambda r, i: R.mark_duplicate(r, i, original),
        "link_facility": lambda r, i: R.link_facility(r, i, facility_id),
        "start": lambda r, i: R.start_work(r, i),
        "fix": lambda r, i: R.mark_fixed(r, i),
        "reopen": lambda r, i: R.reopen_report(r, i, "又被占用了", secret=SECRETS[i]),
        "work_order": lambda r, i: R.create_work_order_for(
            r, i, responsible_unit="江城区城管", due_date=date(2030, 1, 1)),
    }


@pytest.fixture
def reports_by_status(sqlite_db: Database) -> tuple[Database, dict[str, int], int, int]:
    """One report in each status, a facility to link and an open report to mark duplicates of."""
    ids: dict[str, int] = {}
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        facility = repo.create_facility("tactile_paving", 111.98, 21.86).id
        original = R.create_report(repo, category="tactile_blocked",
                                   location_text="东风路公交站 原报").report_id
        for status in R.STATUSES:
            receipt = R.create_report(repo, category="tactile_blocked",
                                      location_text=f"东风路公交站 {status}")
            rid = receipt.report_id
            SECRETS[rid] = receipt.secret
            _to_status(repo, rid, status, original)
            ids[status] = rid
    return sqlite_db, ids, facility, original


def test_every_status_and_role_offers_exactly_what_the_library_allows(
    reports_by_status: tuple[Database, dict[str, int], int, int],
) -> None:
    db, ids, facility, original = reports_by_status
    calls = _calls(facility, original)
    assert set(calls) == set(R.ACTIONS)
    for role, actor in ROLES.items():
        for status in R.STATUSES:
            with db.unit_of_work(actor) as repo:
                view = R.status_by_code(repo, repo.reports.code_of(ids[status]) or "",
                                        secret=SECRETS[ids[status]])
            assert view["status"] == status
            offered = R.allowed_actions(view, actor)
            assert list(offered) == [a for a in R.ACTIONS if a in offered]  # page order
            assert set(offered) == EXPECTED[role].get(status, set()), (role, status)
            for action, call in calls.items():
                done = True
                try:
                    with db.unit_of_work(actor, write=True) as repo:
                        call(repo, ids[status])
                        raise _Rollback
                except _Rollback:
                    pass
                except PermissionDenied:
                    done = False
                except InputError as exc:
                    assert exc.problems[0].field == "status", (role, status, action, exc)
                    done = False
                assert done == (action in offered), (role, status, action)


def test_allowed_actions_reads_a_row_or_any_view_with_a_status(sqlite_db: Database) -> None:
    bureau = ROLES["bureau"]
    with sqlite_db.unit_of_work(bureau, write=True) as repo:
        rid = R.create_report(repo, category="other", location_text="市民广场").report_id
        row = repo.reports.get(rid)
        assert row is not None
        assert R.allowed_actions(row, bureau) == R.allowed_actions({"status": "new"}, bureau)
    assert R.allowed_actions({"status": "duplicate"}, SYSTEM) == ()
