"""Public views of reports: the status page by code, and counts by district with their caveat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from audit.actors import permitted
from audit.reports.records import public_view, report_row, secret_matches
from audit.reports.workflow import HIDDEN_STATUSES, OPEN_STATUSES, RESIDENT_REOPENABLE
from audit.storage.repository import Repository

CAVEAT_KEY: Final = "reports.counts.caveat"


@dataclass(frozen=True)
class DistrictCounts:
    """Report counts by district with the caveat every display must show (catalogue key)."""

    frame: pd.DataFrame
    caveat_key: str = CAVEAT_KEY
    excluded_statuses: tuple[str, ...] = HIDDEN_STATUSES
    notes: list[str] = field(default_factory=list)


#: Change-log actions shown on the public status page, and the public fields of each.
PUBLIC_TIMELINE_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "create": (),
    "verify": (),
    "reject": ("reason",),
    "mark_duplicate": ("original",),
    "link_facility": (),
    "start": ("note",),
    "fix": ("note",),
    "reopen": ("comment",),
    "support": ("comment",),
    "absorb_duplicate": ("duplicate",),
    "work_order": (),
}


def status_by_code(repo: Repository, code: str, secret: str = "") -> dict[str, Any]:
    """The view of one report by its code: public fields and original (if duplicate); with the
    reporter's ``secret`` token (or for the bureau) also the timeline and whether it may be
    reopened (``owner`` says the token matched). The public code alone opens no detail.

    Never contains the contact, the client key, the token or who moderated (only their role).
    """
    row = report_row(repo, code)
    owner = secret_matches(row, secret)
    detail = owner or permitted(repo.actor, "report.moderate")
    view = public_view(row)
    view["report_id"] = row.id
    view["created_at"] = row.created_at
    view["updated_at"] = row.updated_at
    view["row_version"] = row.row_version
    view["duplicate_of_code"] = None
    if row.duplicate_of_id is not None:
        view["duplicate_of_code"] = repo.reports.code_of(row.duplicate_of_id)
    view["owner"] = owner
    view["can_reopen"] = owner and row.status in RESIDENT_REOPENABLE
    timeline: list[dict[str, Any]] = []
    for entry in repo.history("report", row.id) if detail else []:
        fields = PUBLIC_TIMELINE_FIELDS.get(entry["action"])
        if fields is None:
            continue
        after = entry["after"] or {}
        timeline.append(
            {
                "at": entry["at"],
                "action": entry["action"],
                "role": entry["actor"].split(":", 1)[0],
                "text": " ".join(str(after.get(f) or "") for f in fields).strip(),
            }
        )
    view["timeline"] = timeline
    return view


def district_counts(repo: Repository) -> DistrictCounts:
    """Reports per district (rejected and duplicates excluded), with the caveat key to show.

    These counts say who reports as much as where barriers are (phones, time, trust differ by
    district); they are for follow-up, and never an input of the compliance ranking.
    """
    from geodata.districts import DISTRICTS

    got = repo.reports.counts_by_district(OPEN_STATUSES, HIDDEN_STATUSES)
    records: list[dict[str, Any]] = []
    for info in _district_rows(DISTRICTS):
        r = got.pop(info["district_code"], None)
        records.append(info | _count_fields(r))
    notes: list[str] = []
    for code, r in got.items():  # outside the city or typed location only
        records.append({"district_code": code, "name_zh": "未定位/市外",
                        "name_en": "No point / outside the city"} | _count_fields(r))
        notes.append(f"{int(r.reports)} reports have no district (typed location or outside)")
    frame = pd.DataFrame.from_records(records)
    # object, not pandas 3's inferred str dtype: "no district" stays None (not NaN)
    frame["district_code"] = pd.Series([r["district_code"] for r in records], dtype=object)
    return DistrictCounts(frame, notes=notes)


def _district_rows(districts: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {"district_code": code, "name_zh": zh, "name_en": en}
        for code, (zh, en) in districts.items()
    ]


def _count_fields(r: Any) -> dict[str, int]:
    if r is None:
        return {"reports": 0, "open": 0, "fixed": 0, "supports": 0}
    return {"reports": int(r.reports), "open": int(r.open or 0), "fixed": int(r.fixed or 0),
            "supports": int(r.supports or 0)}
