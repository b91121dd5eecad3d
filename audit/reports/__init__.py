"""Resident barrier reports: create, find duplicates, "me too", moderate, public status.

Anyone may report a barrier without signing in, by a point (map tap or coordinates) **or** by
typed words (address, landmark, bus stop), so a screen-reader user never needs the map. The
reporter gets an unguessable short code to check the status later. Contact details are written
only to ``report_contacts`` and read back only by :func:`contact_of` for bureau/admin roles: they
are never in the public record, the change log, :func:`status_by_code` or any frame.

Every write checks the actor's role (:mod:`audit.actors`), validates all input before touching
the database (an :class:`~audit.errors.InputError` lists every problem at once) and appends to
the change log through :meth:`Repository.log` in the same transaction. The SQL lives in
:mod:`audit.storage.reports`.

Report counts by district (:func:`district_counts`) reflect who reports as much as where the
barriers are; they are shown with that caveat and are **never** an input of the compliance
scoring or ranking (nothing in :mod:`audit.scoring` reads reports).

The package, by concern (everything public is re-exported here, so
``from audit import reports as R; R.create_report(...)`` works):

- :mod:`audit.report_categories` — what residents can report (outside the package, so the
  rankings read it without loading the workflow);
- :mod:`~audit.reports.records` — records, limits, report codes, shared input checks;
- :mod:`~audit.reports.intake` — filing a report and "me too";
- :mod:`~audit.reports.ratelimit` — the per-client rate limit;
- :mod:`~audit.reports.duplicates` — duplicate suggestions;
- :mod:`~audit.reports.workflow` — statuses, transitions, moderation, :func:`allowed_actions`;
- :mod:`~audit.reports.public` — the public status page and counts by district.
"""

from __future__ import annotations

from audit.report_categories import REPORT_CATEGORIES, ReportCategory, category_label
from audit.reports.duplicates import (
    MAX_DUPLICATE_SUGGESTIONS,
    MIN_TEXT_MATCH_CHARS,
    DuplicateCandidate,
    find_duplicates,
)
from audit.reports.intake import create_report, file_report, support, validate_report
from audit.reports.public import (
    CAVEAT_KEY,
    PUBLIC_TIMELINE_FIELDS,
    DistrictCounts,
    district_counts,
    status_by_code,
)
from audit.reports.ratelimit import SALT_META_KEY, client_key_for, client_salt
from audit.reports.records import (
    CODE_ALPHABET,
    CODE_ATTEMPTS,
    CODE_GROUP,
    CODE_LENGTH,
    CRS_NAMES,
    MAX_COMMENT_CHARS,
    MAX_CONTACT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_LOCATION_CHARS,
    MAX_REASON_CHARS,
    MIN_LOCATION_CHARS,
    ReportReceipt,
    SupportResult,
    ValidReport,
    new_code,
    normalise_code,
)
from audit.reports.workflow import (
    ACTIONS,
    HIDDEN_STATUSES,
    OPEN_STATUSES,
    RESIDENT_REOPENABLE,
    STATUSES,
    TRANSITIONS,
    WORK_ORDER_ACTION,
    Transition,
    allowed_actions,
    contact_of,
    create_work_order_for,
    link_facility,
    mark_duplicate,
    mark_fixed,
    moderation_queue,
    reject_report,
    reopen_report,
    start_work,
    verify_report,
)

__all__ = [
    "ACTIONS",
    "CAVEAT_KEY",
    "CODE_ALPHABET",
    "CODE_ATTEMPTS",
    "CODE_GROUP",
    "CODE_LENGTH",
    "CRS_NAMES",
    "HIDDEN_STATUSES",
    "MAX_COMMENT_CHARS",
    "MAX_CONTACT_CHARS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_DUPLICATE_SUGGESTIONS",
    "MAX_LOCATION_CHARS",
    "MAX_REASON_CHARS",
    "MIN_LOCATION_CHARS",
    "MIN_TEXT_MATCH_CHARS",
    "OPEN_STATUSES",
    "PUBLIC_TIMELINE_FIELDS",
    "REPORT_CATEGORIES",
    "RESIDENT_REOPENABLE",
    "SALT_META_KEY",
    "STATUSES",
    "TRANSITIONS",
    "WORK_ORDER_ACTION",
    "DistrictCounts",
    "DuplicateCandidate",
    "ReportCategory",
    "ReportReceipt",
    "SupportResult",
    "Transition",
    "ValidReport",
    "allowed_actions",
    "category_label",
    "client_key_for",
    "client_salt",
    "contact_of",
    "create_report",
    "create_work_order_for",
    "district_counts",
    "file_report",
    "find_duplicates",
    "link_facility",
    "mark_duplicate",
    "mark_fixed",
    "moderation_queue",
    "new_code",
    "normalise_code",
    "reject_report",
    "reopen_report",
    "start_work",
    "status_by_code",
    "support",
    "validate_report",
    "verify_report",
]
