"""The moderation workflow: statuses, the transitions between them and who may take each.

The rules are data (:data:`TRANSITIONS`); every action checks the actor's role and the report's
current status here, in the library, and :func:`allowed_actions` tells a page which actions to
offer, from the same rules (a page never re-encodes them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

import pandas as pd

from audit.actors import Actor, permitted, require
from audit.errors import ConflictError, InputError, PermissionDenied, Problem
from audit.report_categories import REPORT_CATEGORIES
from audit.reports.records import (
    MAX_COMMENT_CHARS,
    MAX_REASON_CHARS,
    public_view,
    report_row,
    secret_matches,
    text_field,
)
from audit.settings import Settings, get_settings
from audit.storage.orm import Report, ReportSupport, utcnow
from audit.storage.repository import Repository
from audit.workorders import WorkOrderRecord, create_work_order

STATUSES: Final[tuple[str, ...]] = (
    "new", "confirmed", "in_progress", "fixed", "rejected", "duplicate",
)
OPEN_STATUSES: Final[tuple[str, ...]] = ("new", "confirmed", "in_progress")
#: Statuses never counted or shown on the public map (they are not barriers).
HIDDEN_STATUSES: Final[tuple[str, ...]] = ("rejected", "duplicate")


@dataclass(frozen=True)
class Transition:
    """A moderation action: who may take it, from which statuses, to which status."""

    action: str
    from_statuses: frozenset[str]
    to_status: str | None  # None: the status does not change
    operation: str  # permission in audit.actors.PERMISSIONS


#: The workflow as data. ``reopen`` by residents is limited further to "fixed" (see reopen_report).
TRANSITIONS: Final[dict[str, Transition]] = {
    t.action: t
    for t in (
        Transition("verify", frozenset({"new"}), "confirmed", "report.moderate"),
        Transition("reject", frozenset(OPEN_STATUSES), "rejected", "report.moderate"),
        Transition("mark_duplicate", frozenset(OPEN_STATUSES), "duplicate", "report.moderate"),
        Transition(
            "link_facility", frozenset(OPEN_STATUSES) | {"fixed"}, None, "report.moderate"
        ),
        Transition("start", frozenset({"new", "confirmed"}), "in_progress", "report.moderate"),
        Transition("fix", frozenset(OPEN_STATUSES), "fixed", "report.moderate"),
        Transition("reopen", frozenset({"fixed", "rejected"}), "confirmed", "report.reopen"),
    )
}


#: What a resident (role without report.moderate) may reopen.
RESIDENT_REOPENABLE: Final[frozenset[str]] = frozenset({"fixed"})


WORK_ORDER_ACTION: Final = "work_order"
#: Every action :func:`allowed_actions` may return, in the order a page offers them.
ACTIONS: Final[tuple[str, ...]] = (*TRANSITIONS, WORK_ORDER_ACTION)


def allowed_actions(report: Report | Mapping[str, Any], actor: Actor) -> tuple[str, ...]:
    """The actions ``actor`` may take on ``report`` now, in :data:`ACTIONS` order.

    ``report`` is a report row or any view of it with its ``status`` (e.g. from
    :func:`~audit.reports.status_by_code`). The answer follows the same rules the actions
    enforce: the transition's permission and source statuses, the residents' narrower
    :data:`RESIDENT_REOPENABLE`, and for ``work_order`` (:func:`create_work_order_for`) both
    ``workorder.manage`` and ``report.moderate`` on an open report.
    """
    status = report["status"] if isinstance(report, Mapping) else report.status
    owner = bool(report.get("owner")) if isinstance(report, Mapping) else False
    moderator = permitted(actor, "report.moderate")
    actions = [
        rule.action
        for rule in TRANSITIONS.values()
        if status in rule.from_statuses
        and permitted(actor, rule.operation)
        and (rule.action != "reopen" or moderator or (owner and status in RESIDENT_REOPENABLE))
    ]
    if status in OPEN_STATUSES and moderator and permitted(actor, "workorder.manage"):
        actions.append(WORK_ORDER_ACTION)
    return tuple(actions)


def _moderate(
    repo: Repository,
    report_id: int | str,
    action: str,
    *,
    expected_row_version: int | None,
    now: datetime | None,
    extra: dict[str, Any] | None = None,
) -> tuple[Report, dict[str, Any]]:
    """Check role and current status for ``action``; return the row and its view before."""
    rule = TRANSITIONS[action]
    require(repo.actor, rule.operation)
    row = report_row(repo, report_id)
    if row.status not in rule.from_statuses:
        raise InputError(
            Problem(
                "status", row.status,
                f"{action} applies to reports that are {', '.join(sorted(rule.from_statuses))}",
            ),
            f"report {row.code}",
        )
    if expected_row_version is not None and row.row_version != expected_row_version:
        msg = (
            f"report {row.code} was changed by someone else (version {row.row_version}, you "
            f"saw version {expected_row_version}); reload it — nothing was changed"
        )
        raise ConflictError(msg)
    before = public_view(row)
    if rule.to_status is not None:
        row.status = rule.to_status
    row.updated_at = now or utcnow()
    return row, before


def _finish(
    repo: Repository, row: Report, action: str, before: dict[str, Any], note: dict[str, Any]
) -> dict[str, Any]:
    repo.flush_or_conflict(f"report {row.code}")
    after = public_view(row) | note
    repo.log("report", row.id, action, before, after)
    return after


def verify_report(
    repo: Repository, report_id: int | str, *, expected_row_version: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Bureau: confirm a new report is a real barrier (new → confirmed)."""
    row, before = _moderate(repo, report_id, "verify",
                            expected_row_version=expected_row_version, now=now)
    return _finish(repo, row, "verify", before, {})


def reject_report(
    repo: Repository, report_id: int | str, reason: str, *,
    expected_row_version: int | None = None, now: datetime | None = None,
) -> dict[str, Any]:
    """Bureau: reject a report with a reason that is shown publicly."""
    require(repo.actor, TRANSITIONS["reject"].operation)
    problems: list[Problem] = []
    text = text_field(problems, "reason", reason, MAX_REASON_CHARS, required=True)
    if problems:
        raise InputError(problems, "reject")
    row, before = _moderate(repo, report_id, "reject",
                            expected_row_version=expected_row_version, now=now)
    row.public_reason = text
    return _finish(repo, row, "reject", before, {"reason": text})


def mark_duplicate(
    repo: Repository, report_id: int | str, original: int | str, *,
    expected_row_version: int | None = None, now: datetime | None = None,
) -> dict[str, Any]:
    """Bureau: mark a report as a duplicate of ``original``; its supports and comments move there.

    The duplicate's reporter counts as one more supporter of the original, with the duplicate's
    description as the comment, so ``support_count`` always equals the number of supports.
    """
    require(repo.actor, TRANSITIONS["mark_duplicate"].operation)
    target = report_row(repo, original)
    dup = report_row(repo, report_id)
    problems: list[Problem] = []
    if target.id == dup.id:
        problems.append(Problem("original", original, "a different report"))
    elif target.status in HIDDEN_STATUSES:
        problems.append(Problem("original", target.code,
                                "a report that is not itself rejected or a duplicate"))
    if problems:
        raise InputError(problems, "mark_duplicate")
    row, before = _moderate(repo, dup.id, "mark_duplicate",
                            expected_row_version=expected_row_version, now=now)
    moved = repo.reports.move_supports(row.id, target.id)
    repo.reports.add_support(
        ReportSupport(
            report_id=target.id,
            comment=row.description,
            client_key=row.client_key,
            idempotency_key=f"duplicate:{row.code}",
            created_at=row.created_at,
        )
    )
    repo.reports.add_to_support_count(target.id, moved + 1)
    row.duplicate_of_id = target.id
    row.support_count = 0
    repo.reports.refresh_support_count(target)
    note = {"original": target.code, "supports_moved": moved + 1}
    repo.log("report", target.id, "absorb_duplicate", None,
             {"duplicate": row.code, "support_count": target.support_count})
    return _finish(repo, row, "mark_duplicate", before, note)


def link_facility(
    repo: Repository, report_id: int | str, facility_id: int, *,
    expected_row_version: int | None = None, now: datetime | None = None,
) -> dict[str, Any]:
    """Bureau: link a report to the facility it concerns (the status does not change)."""
    require(repo.actor, TRANSITIONS["link_facility"].operation)
    if not repo.facility_exists(facility_id):
        raise InputError(Problem("facility_id", facility_id, "an existing facility id"),
                         "link_facility")
    row, before = _moderate(repo, report_id, "link_facility",
                            expected_row_version=expected_row_version, now=now)
    row.facility_id = facility_id
    return _finish(repo, row, "link_facility", before, {})


def _noted_transition(
    repo: Repository, report_id: int | str, action: str, note: str, *,
    expected_row_version: int | None, now: datetime | None,
) -> tuple[Report, dict[str, Any], str]:
    """Check the role and the optional public note, then apply ``action``'s status change."""
    require(repo.actor, TRANSITIONS[action].operation)
    problems: list[Problem] = []
    text = text_field(problems, "note", note, MAX_REASON_CHARS)
    if problems:
        raise InputError(problems, action)
    row, before = _moderate(repo, report_id, action,
                            expected_row_version=expected_row_version, now=now)
    return row, before, text


def start_work(
    repo: Repository, report_id: int | str, *, note: str = "",
    expected_row_version: int | None = None, now: datetime | None = None,
) -> dict[str, Any]:
    """Bureau: mark a report in progress, with an optional public note."""
    row, before, text = _noted_transition(repo, report_id, "start", note,
                                          expected_row_version=expected_row_version, now=now)
    if text:
        row.public_reason = text
    return _finish(repo, row, "start", before, {"note": text})


def mark_fixed(
    repo: Repository, report_id: int | str, *, note: str = "",
    expected_row_version: int | None = None, now: datetime | None = None,
) -> dict[str, Any]:
    """Bureau: mark a report fixed, with an optional public note (residents may reopen it)."""
    row, before, text = _noted_transition(repo, report_id, "fix", note,
                                          expected_row_version=expected_row_version, now=now)
    row.public_reason = text
    return _finish(repo, row, "fix", before, {"note": text})


def reopen_report(
    repo: Repository, report: int | str, comment: str, *,
    secret: str = "",
    expected_row_version: int | None = None, now: datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Reopen a report with a comment. Residents may reopen a report closed as fixed (e.g. the
    barrier is back or was never removed), with the reporter's ``secret`` token from the
    receipt (the public code opens nothing), at most ``report_reopen_limit`` times per
    ``report_rate_window_s``; the bureau may also reopen a rejected one."""
    require(repo.actor, TRANSITIONS["reopen"].operation)
    problems: list[Problem] = []
    text = text_field(problems, "comment", comment, MAX_COMMENT_CHARS, required=True)
    if problems:
        raise InputError(problems, "reopen")
    row = report_row(repo, report)
    try:
        require(repo.actor, "report.moderate")
    except PermissionDenied:
        if not secret_matches(row, secret):
            msg = (
                f"reopening report {row.code} needs the reporter's secret token from the receipt "
                "(the public code is not enough)"
            )
            raise PermissionDenied(msg) from None
        if row.status not in RESIDENT_REOPENABLE:
            raise InputError(
                Problem("status", row.status,
                        f"residents can reopen reports that are {', '.join(RESIDENT_REOPENABLE)}"),
                f"report {row.code}",
            ) from None
        _check_reopen_rate(repo, row, settings or get_settings(), now or utcnow())
    row, before = _moderate(repo, row.id, "reopen",
                            expected_row_version=expected_row_version, now=now)
    row.public_reason = ""
    return _finish(repo, row, "reopen", before, {"comment": text})


def _check_reopen_rate(repo: Repository, row: Report, cfg: Settings, now: datetime) -> None:
    since = now - timedelta(seconds=cfg.report_rate_window_s)
    used = repo.reports.recent_resident_reopens(row.id, since)
    if used >= cfg.report_reopen_limit:
        minutes = math.ceil(cfg.report_rate_window_s / 60)
        raise InputError(
            Problem("rate_limit", used,
                    f"at most {cfg.report_reopen_limit} reopenings of one report per {minutes} "
                    "minutes; please try again later"),
            f"report {row.code}",
        )


def create_work_order_for(
    repo: Repository,
    report: int | str,
    *,
    responsible_unit: str,
    due_date: date,
    title: str = "",
    cost_yuan: float | None = None,
    now: datetime | None = None,
) -> WorkOrderRecord:
    """Bureau: open a work order for a report through :mod:`audit.workorders`.

    The order carries the report's linked facility (if any). A new or confirmed report moves to
    in progress. Both steps are logged; the work order's own log is kept by that module.
    """
    require(repo.actor, "workorder.manage")
    require(repo.actor, "report.moderate")
    row = report_row(repo, report)
    if row.status not in OPEN_STATUSES:
        raise InputError(
            Problem("status", row.status,
                    f"work orders are for open reports ({', '.join(OPEN_STATUSES)})"),
            f"report {row.code}",
        )
    order = create_work_order(
        repo, report_id=row.id, facility_id=row.facility_id,
        title=title or f"{row.code} {REPORT_CATEGORIES[row.category].label_zh}",
        responsible_unit=responsible_unit, due_date=due_date, cost_yuan=cost_yuan,
        is_demo=row.is_demo,
    )
    repo.log("report", row.id, "work_order", None, {"work_order_id": order.id})
    if row.status in TRANSITIONS["start"].from_statuses:
        start_work(repo, row.id, now=now)
    return order


def contact_of(repo: Repository, report_id: int) -> str | None:
    """The reporter's private contact (bureau/admin only); the read itself is logged."""
    require(repo.actor, "report.read_contact")
    row = repo.reports.contact(report_id)
    repo.log("report", report_id, "read_contact", None, {"found": row is not None})
    return None if row is None else row.contact


def moderation_queue(
    repo: Repository, statuses: Iterable[str] = OPEN_STATUSES
) -> pd.DataFrame:
    """Reports awaiting the bureau, new first then oldest first (no contact, only a flag)."""
    require(repo.actor, "report.moderate")
    wanted = list(statuses)
    bad = [s for s in wanted if s not in STATUSES]
    if bad:
        raise InputError([Problem("statuses", s, f"one of {', '.join(STATUSES)}") for s in bad])
    frame = repo.reports.moderation_frame(wanted)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["has_contact"] = frame["has_contact"].astype(bool)
    return frame
