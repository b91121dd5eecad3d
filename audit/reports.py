"""Resident barrier reports: create, find duplicates, "me too", moderate, public status.

Anyone may report a barrier without signing in, by a point (map tap or coordinates) **or** by
typed words (address, landmark, bus stop), so a screen-reader user never needs the map. The
reporter gets an unguessable short code to check the status later. Contact details are written
only to ``report_contacts`` and read back only by :func:`contact_of` for bureau/admin roles: they
are never in the public record, the change log, :func:`status_by_code` or any frame.

Every write checks the actor's role (:mod:`audit.actors`), validates all input before touching
the database (an :class:`~audit.errors.InputError` lists every problem at once) and appends to
the change log through :meth:`Repository.log` in the same transaction.

Report counts by district (:func:`district_counts`) reflect who reports as much as where the
barriers are; they are shown with that caveat and are **never** an input of the compliance
scoring or ranking (nothing in :mod:`audit.scoring` reads reports).
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from audit.actors import Actor, require
from audit.errors import ConflictError, InputError, NotFoundError, PermissionDenied, Problem
from audit.geo import haversine_m
from audit.photos import store_photo
from audit.settings import Settings, get_settings
from audit.storage.orm import (
    Report,
    ReportSupport,
    point_ewkt,
    utcnow,
)
from audit.storage.reports import RateKind
from audit.storage.repository import Repository
from audit.workorders import WorkOrderRecord, create_work_order
from geodata.crs import check_point

# ---------------------------------------------------------------------------------- categories


@dataclass(frozen=True)
class ReportCategory:
    """One kind of barrier a resident can report, and the facility type it concerns."""

    key: str
    label_zh: str
    label_en: str
    facility_type: str | None


#: What residents can report (data; the facility types are those of :mod:`audit.model`).
REPORT_CATEGORIES: Final[dict[str, ReportCategory]] = {
    c.key: c
    for c in (
        ReportCategory(
            "tactile_blocked", "盲道被占用/中断", "Tactile paving blocked or broken",
            "tactile_paving",
        ),
        ReportCategory(
            "curb_ramp_missing", "缺少缘石坡道/坡道", "Missing curb ramp or ramp", "curb_ramp"
        ),
        ReportCategory("ramp_steep", "坡道过陡或过窄", "Ramp too steep or too narrow", "ramp"),
        ReportCategory(
            "toilet_unusable", "无障碍厕所锁闭/损坏/被占用",
            "Accessible toilet locked, broken or occupied", "toilet",
        ),
        ReportCategory(
            "parking_occupied", "无障碍车位被占用", "Accessible parking space occupied", "parking"
        ),
        ReportCategory(
            "crossing_signal", "过街音响缺失/故障",
            "Audible crossing signal missing or broken", "crossing_signal",
        ),
        ReportCategory(
            "entrance_barrier", "入口有台阶/门过窄", "Step at the entrance or door too narrow",
            "entrance",
        ),
        ReportCategory("other", "其他", "Other", None),
    )
}

# ---------------------------------------------------------------------------------- statuses

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

# ---------------------------------------------------------------------------------- limits

MAX_DESCRIPTION_CHARS: Final = 2000
MAX_LOCATION_CHARS: Final = 300
MIN_LOCATION_CHARS: Final = 2
MAX_CONTACT_CHARS: Final = 100
MAX_COMMENT_CHARS: Final = 1000
MAX_REASON_CHARS: Final = 1000
#: Typed locations shorter than this are not compared as text for duplicate suggestions.
MIN_TEXT_MATCH_CHARS: Final = 4
#: Most duplicate candidates offered (FixMyStreet offers 5).
MAX_DUPLICATE_SUGGESTIONS: Final = 5
CODE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH: Final = 8  # 31**8 ≈ 8.5e11 codes
CODE_GROUP: Final = 4
CODE_ATTEMPTS: Final = 5
CRS_NAMES: Final[tuple[str, ...]] = ("wgs84", "gcj02", "bd09")
SALT_FILE: Final = "report_client_salt"
CAVEAT_KEY: Final = "reports.counts.caveat"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# ---------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class ReportReceipt:
    """What the reporter gets back: the code to check the status later."""

    report_id: int
    code: str
    status: str
    district_code: str | None
    lon: float | None
    lat: float | None


@dataclass(frozen=True)
class DuplicateCandidate:
    """An open report of the same category near the new one (distance None: matched by text)."""

    report_id: int
    code: str
    category: str
    status: str
    description: str
    location_text: str
    support_count: int
    distance_m: float | None
    created_at: datetime


@dataclass(frozen=True)
class SupportResult:
    """The outcome of a "me too": the report supported and its support count afterwards."""

    report_id: int
    code: str
    support_count: int
    counted: bool  # False when this key/client had already supported it


@dataclass(frozen=True)
class ValidReport:
    """Validated, normalised report input (WGS84 point or typed location, or both)."""

    category: str
    description: str
    location_text: str
    lon: float | None
    lat: float | None
    contact: str


@dataclass(frozen=True)
class DistrictCounts:
    """Report counts by district with the caveat every display must show (catalogue key)."""

    frame: pd.DataFrame
    caveat_key: str = CAVEAT_KEY
    excluded_statuses: tuple[str, ...] = HIDDEN_STATUSES
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------- helpers


def normalise_code(code: str) -> str:
    """``abcd 2345`` / ``ABCD2345`` → ``ABCD-2345``; InputError if it cannot be a report code."""
    raw = re.sub(r"[\s\-_]", "", str(code or "")).upper()
    if len(raw) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        raise InputError(
            Problem(
                "code",
                str(code)[:40],
                f"{CODE_LENGTH} letters/digits from {CODE_ALPHABET}, e.g. ABCD-2345",
            )
        )
    return f"{raw[:CODE_GROUP]}-{raw[CODE_GROUP:]}"


def new_code(rng: np.random.Generator | None = None) -> str:
    """A fresh report code from :mod:`secrets` (or from ``rng`` for deterministic demo data)."""
    if rng is None:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    else:
        raw = "".join(CODE_ALPHABET[int(i)] for i in rng.integers(0, len(CODE_ALPHABET),
                                                                   CODE_LENGTH))
    return f"{raw[:CODE_GROUP]}-{raw[CODE_GROUP:]}"


def client_key_for(raw_identity: str, data_dir: Path) -> str:
    """A salted SHA-256 of a client identity (an IP address): the raw value is never stored.

    The salt is a random file under ``data_dir`` created on first use, so keys of one
    installation cannot be matched against another's or reversed with a table of IPs.
    """
    path = Path(data_dir) / SALT_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32))
        except FileExistsError:
            pass  # another process created it first
    salt = path.read_text(encoding="ascii").strip()
    return hashlib.sha256(f"{salt}|{raw_identity}".encode()).hexdigest()


def _clean(value: object) -> str:
    """Text with control characters removed and surrounding blanks stripped."""
    return _CONTROL.sub("", value).strip() if isinstance(value, str) else ""


def _text(
    problems: list[Problem], name: str, value: object, limit: int, *, required: bool = False
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(Problem(name, value, "text"))
        return ""
    text = _clean(value)
    if len(text) > limit:
        problems.append(
            Problem(name, f"{text[:20]}… ({len(text)} characters)", f"at most {limit} characters")
        )
    elif required and not text:
        problems.append(Problem(name, value, "required: write a few words"))
    return text


def _point(
    problems: list[Problem], lon: object, lat: object, crs: str
) -> tuple[float | None, float | None]:
    if lon is None and lat is None:
        return None, None
    if lon is None or lat is None:
        problems.append(Problem("location", (lon, lat), "both lon and lat, or neither"))
        return None, None
    if crs not in CRS_NAMES:
        problems.append(Problem("crs", crs, f"one of {', '.join(CRS_NAMES)}"))
        return None, None
    try:
        x, y = check_point(lon, lat)
    except InputError as exc:
        problems.extend(exc.problems)
        return None, None
    if crs != "wgs84":
        from geodata.coords import to_wgs84

        x, y = (float(v) for v in to_wgs84(x, y, crs))
    return x, y


def validate_report(
    *,
    category: object,
    description: object = "",
    location_text: object = "",
    lon: object = None,
    lat: object = None,
    crs: str = "wgs84",
    contact: object = "",
) -> ValidReport:
    """Check a report's input without writing anything; every problem is reported at once.

    A location is either a point (``lon``/``lat`` in ``crs``, converted to WGS84 here) or typed
    words of at least :data:`MIN_LOCATION_CHARS` characters; both may be given.
    """
    problems: list[Problem] = []
    if not isinstance(category, str) or category not in REPORT_CATEGORIES:
        problems.append(Problem("category", category, f"one of {', '.join(REPORT_CATEGORIES)}"))
    desc = _text(problems, "description", description, MAX_DESCRIPTION_CHARS)
    where = _text(problems, "location_text", location_text, MAX_LOCATION_CHARS)
    who = _text(problems, "contact", contact, MAX_CONTACT_CHARS)
    x, y = _point(problems, lon, lat, crs)
    point_problem = any(p.field.startswith(("location", "crs")) for p in problems)
    if x is None and not point_problem and len(where) < MIN_LOCATION_CHARS:
        problems.append(
            Problem(
                "location_text",
                where,
                f"a place description of at least {MIN_LOCATION_CHARS} characters "
                "(address, landmark, bus stop) or a point on the map",
            )
        )
    if problems:
        raise InputError(problems, "report")
    return ValidReport(str(category), desc, where, x, y, who)


def _check_rate(
    repo: Repository, client_key: str, settings: Settings, now: datetime, kind: RateKind
) -> None:
    """InputError when ``client_key`` already made the allowed number of writes in the window."""
    if not client_key:
        return
    repo.reports.lock_client(client_key)
    since = now - timedelta(seconds=settings.report_rate_window_s)
    used = repo.reports.recent_by_client(kind, client_key, since)
    if used >= settings.report_rate_limit:
        minutes = math.ceil(settings.report_rate_window_s / 60)
        raise InputError(
            Problem(
                "rate_limit",
                used,
                f"at most {settings.report_rate_limit} per {minutes} minutes from one device; "
                "please try again later",
            ),
            "report",
        )


def _require_client_key(actor: Actor, client_key: str) -> None:
    if actor.role == "anonymous" and not client_key:
        raise InputError(Problem("client_key", client_key, "required for anonymous reporters"))


def _public_view(row: Report) -> dict[str, Any]:
    """The public fields of a report (what the change log and status page may show)."""
    return {
        "code": row.code,
        "category": row.category,
        "description": row.description,
        "location_text": row.location_text,
        "lon": row.lon,
        "lat": row.lat,
        "district_code": row.district_code,
        "status": row.status,
        "public_reason": row.public_reason,
        "duplicate_of_id": row.duplicate_of_id,
        "facility_id": row.facility_id,
        "photo_id": row.photo_id,
        "support_count": row.support_count,
        "is_demo": row.is_demo,
    }


# ---------------------------------------------------------------------------------- create


def create_report(
    repo: Repository,
    *,
    category: str,
    description: str = "",
    location_text: str = "",
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    contact: str = "",
    photo_id: int | None = None,
    client_key: str = "",
    settings: Settings | None = None,
    now: datetime | None = None,
    is_demo: bool = False,
    code_rng: np.random.Generator | None = None,
) -> ReportReceipt:
    """File a report; returns its code. Validates everything before writing.

    Anonymous reporters must pass a ``client_key`` (see :func:`client_key_for`); at most
    ``settings.report_rate_limit`` reports per ``report_rate_window_s`` are accepted per key,
    counted in the database so the limit holds across app processes.
    """
    require(repo.actor, "report.create")
    settings = settings or get_settings()
    now = now or utcnow()
    _require_client_key(repo.actor, client_key)
    valid = validate_report(
        category=category, description=description, location_text=location_text,
        lon=lon, lat=lat, crs=crs, contact=contact,
    )
    district: str | None = None
    if valid.lon is not None and valid.lat is not None:
        import geodata

        found = geodata.district_of_many(
            [valid.lon], [valid.lat], outside="none", boundary_file=settings.boundary_file
        )[0]
        district = None if found is None else str(found)
    if photo_id is not None and not repo.photo_exists(photo_id):
        raise InputError(Problem("photo_id", photo_id, "a stored photo id"), "report")
    _check_rate(repo, client_key, settings, now, "report")
    row: Report | None = None
    for _attempt in range(CODE_ATTEMPTS):
        candidate = Report(
            code=new_code(code_rng),
            category=valid.category,
            description=valid.description,
            location_text=valid.location_text,
            lon=valid.lon,
            lat=valid.lat,
            geom=None if valid.lon is None else point_ewkt(valid.lon, valid.lat),  # type: ignore[arg-type]
            district_code=district,
            status="new",
            photo_id=photo_id,
            support_count=0,
            client_key=client_key,
            created_at=now,
            updated_at=now,
            is_demo=is_demo,
        )
        if repo.reports.insert_new(candidate):
            row = candidate
            break
        # code collision: try a fresh code
    if row is None:
        msg = "could not allocate a unique report code; nothing was saved, please try again"
        raise ConflictError(msg)
    if valid.contact:
        repo.reports.add_contact(row.id, valid.contact, now)
    view = _public_view(row)
    view["has_contact"] = bool(valid.contact)
    repo.log("report", row.id, "create", None, view)
    return ReportReceipt(row.id, row.code, row.status, district, row.lon, row.lat)


def file_report(
    repo: Repository,
    *,
    photo: Any = None,
    client_key: str = "",
    settings: Settings | None = None,
    **fields: Any,
) -> ReportReceipt:
    """Everything the report page does on submit: validate, check the rate limit, store the
    optional photo with its metadata (EXIF GPS, device, time) stripped, then create the report.

    All in the caller's unit of work (open it with ``write=True``): nothing is stored when the
    input or the rate limit fails, and the photo — checked (real type, size, pixel count) by
    :func:`audit.photos.store_photo` before the report is written — is removed again if the
    report cannot be saved.
    """
    require(repo.actor, "report.create")
    settings = settings or get_settings()
    _require_client_key(repo.actor, client_key)
    validate_report(**fields)
    _check_rate(repo, client_key, settings, utcnow(), "report")
    photo_id: int | None = None
    if photo is not None:
        photo_id = store_photo(repo, photo, strip_metadata=True, settings=settings)
    return create_report(
        repo, photo_id=photo_id, client_key=client_key, settings=settings, **fields
    )


# ---------------------------------------------------------------------------------- duplicates


def find_duplicates(
    repo: Repository,
    category: str,
    *,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    location_text: str = "",
    radius_m: float | None = None,
    limit: int = MAX_DUPLICATE_SUGGESTIONS,
    settings: Settings | None = None,
) -> list[DuplicateCandidate]:
    """Open reports of ``category`` within ``radius_m`` (default from settings) of the point,
    nearest first; without a point, open reports whose typed location contains the typed
    words (or the reverse). Same bbox pre-filter + haversine on SQLite and PostGIS."""
    settings = settings or get_settings()
    radius = float(radius_m if radius_m is not None else settings.report_duplicate_radius_m)
    problems: list[Problem] = []
    if not isinstance(category, str) or category not in REPORT_CATEGORIES:
        problems.append(Problem("category", category, f"one of {', '.join(REPORT_CATEGORIES)}"))
    x, y = _point(problems, lon, lat, crs)
    if problems:
        raise InputError(problems, "duplicates")
    found: list[DuplicateCandidate] = []
    if x is not None and y is not None:
        rows = repo.reports.open_near(category, OPEN_STATUSES, x, y, radius)
        if rows:
            dist = haversine_m(x, y, [float(r.lon or 0.0) for r in rows],
                               [float(r.lat or 0.0) for r in rows])
            found = [_candidate(r, float(d)) for r, d in zip(rows, dist, strict=True)
                     if d <= radius]
            found.sort(key=lambda c: (c.distance_m or 0.0, c.report_id))
    text = _clean(location_text).lower()
    if len(found) < limit and len(text) >= MIN_TEXT_MATCH_CHARS:
        seen = {c.report_id for c in found}
        text_rows = repo.reports.open_matching_text(category, OPEN_STATUSES, text,
                                                    MIN_TEXT_MATCH_CHARS)
        found.extend(_candidate(r, None) for r in text_rows if r.id not in seen)
    return found[:limit]


def _candidate(row: Report, distance: float | None) -> DuplicateCandidate:
    return DuplicateCandidate(
        report_id=row.id,
        code=row.code,
        category=row.category,
        status=row.status,
        description=row.description,
        location_text=row.location_text,
        support_count=row.support_count,
        distance_m=distance,
        created_at=row.created_at,
    )


# ---------------------------------------------------------------------------------- support


def _report_row(repo: Repository, report: int | str) -> Report:
    if isinstance(report, str):
        code = normalise_code(report)
        row = repo.reports.by_code(code)
        if row is None:
            msg = f"no report has the code {code}; check the code on your receipt"
            raise NotFoundError(msg)
        return row
    row = repo.reports.get(report)
    if row is None:
        msg = f"report {report} does not exist"
        raise NotFoundError(msg)
    return row


def support(
    repo: Repository,
    report: int | str,
    *,
    comment: str = "",
    client_key: str = "",
    idempotency_key: str | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> SupportResult:
    """Add a "me too" (optionally with a comment) to an open report, by id or code.

    The count is incremented in the database (``support_count = support_count + 1``) together
    with a ReportSupport row, so concurrent supporters are all counted. The same
    ``idempotency_key``, or the same non-empty ``client_key`` twice, counts once.
    Supporting a report marked duplicate supports its original.
    """
    require(repo.actor, "report.support")
    settings = settings or get_settings()
    now = now or utcnow()
    _require_client_key(repo.actor, client_key)
    problems: list[Problem] = []
    text = _text(problems, "comment", comment, MAX_COMMENT_CHARS)
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 128):
        problems.append(Problem("idempotency_key", idempotency_key, "1 to 128 characters"))
    if problems:
        raise InputError(problems, "support")
    row = _report_row(repo, report)
    if row.status == "duplicate" and row.duplicate_of_id is not None:
        row = _report_row(repo, row.duplicate_of_id)
    if row.status not in OPEN_STATUSES:
        raise InputError(
            Problem("status", row.status, f"only open reports ({', '.join(OPEN_STATUSES)}) "
                    "can be supported; reopen a fixed report instead"),
            "support",
        )
    if idempotency_key:
        done = repo.reports.support_by_key(idempotency_key)
        if done is not None:
            return _support_result(repo, done.report_id, counted=False)
    if client_key:
        repo.reports.lock_client(client_key)
        if repo.reports.supported_by_client(row.id, client_key):
            return _support_result(repo, row.id, counted=False)
    _check_rate(repo, client_key, settings, now, "support")
    entry = ReportSupport(
        report_id=row.id, comment=text, client_key=client_key,
        idempotency_key=idempotency_key or None, created_at=now,
    )
    if not repo.reports.insert_support(entry):
        if idempotency_key:  # a concurrent request with the same key won
            return _support_result(repo, row.id, counted=False)
        msg = f"report {row.code}: the support could not be stored; nothing was saved"
        raise ConflictError(msg)
    repo.reports.add_to_support_count(row.id, 1)
    result = _support_result(repo, row.id, counted=True)
    repo.log("report", row.id, "support", None,
             {"support_id": entry.id, "comment": text, "support_count": result.support_count})
    return result


def _support_result(repo: Repository, report_id: int, *, counted: bool) -> SupportResult:
    code, count = repo.reports.code_and_support_count(report_id)
    return SupportResult(report_id, code, count, counted)


# ---------------------------------------------------------------------------------- moderation


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
    row = _report_row(repo, report_id)
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
    before = _public_view(row)
    if rule.to_status is not None:
        row.status = rule.to_status
    row.updated_at = now or utcnow()
    return row, before


def _finish(
    repo: Repository, row: Report, action: str, before: dict[str, Any], note: dict[str, Any]
) -> dict[str, Any]:
    repo.flush_or_conflict(f"report {row.code}")
    after = _public_view(row) | note
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
    text = _text(problems, "reason", reason, MAX_REASON_CHARS, required=True)
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
    target = _report_row(repo, original)
    dup = _report_row(repo, report_id)
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
    text = _text(problems, "note", note, MAX_REASON_CHARS)
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
    expected_row_version: int | None = None, now: datetime | None = None,
) -> dict[str, Any]:
    """Reopen a report with a comment. Residents may reopen a report closed as fixed (e.g. the
    barrier is back or was never removed); the bureau may also reopen a rejected one."""
    require(repo.actor, TRANSITIONS["reopen"].operation)
    problems: list[Problem] = []
    text = _text(problems, "comment", comment, MAX_COMMENT_CHARS, required=True)
    if problems:
        raise InputError(problems, "reopen")
    row = _report_row(repo, report)
    try:
        require(repo.actor, "report.moderate")
    except PermissionDenied:
        if row.status not in RESIDENT_REOPENABLE:
            raise InputError(
                Problem("status", row.status,
                        f"residents can reopen reports that are {', '.join(RESIDENT_REOPENABLE)}"),
                f"report {row.code}",
            ) from None
    row, before = _moderate(repo, row.id, "reopen",
                            expected_row_version=expected_row_version, now=now)
    row.public_reason = ""
    return _finish(repo, row, "reopen", before, {"comment": text})


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
    row = _report_row(repo, report)
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


# ---------------------------------------------------------------------------------- reads


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


def status_by_code(repo: Repository, code: str) -> dict[str, Any]:
    """The public view of one report by its code: fields, original (if duplicate) and timeline.

    Never contains the contact, the client key or who moderated (only their role).
    """
    row = _report_row(repo, code)
    view = _public_view(row)
    view["report_id"] = row.id
    view["created_at"] = row.created_at
    view["updated_at"] = row.updated_at
    view["row_version"] = row.row_version
    view["duplicate_of_code"] = None
    if row.duplicate_of_id is not None:
        view["duplicate_of_code"] = repo.reports.code_of(row.duplicate_of_id)
    view["can_reopen"] = row.status in RESIDENT_REOPENABLE
    timeline: list[dict[str, Any]] = []
    for entry in repo.history("report", row.id):
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
    return DistrictCounts(pd.DataFrame.from_records(records), notes=notes)


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


def category_label(key: str, lang: str) -> str:
    """The category in the UI language (unknown keys are shown as they are)."""
    cat = REPORT_CATEGORIES.get(key)
    if cat is None:
        return key
    return cat.label_zh if lang == "zh-Hans" else cat.label_en


__all__ = [
    "CAVEAT_KEY",
    "OPEN_STATUSES",
    "REPORT_CATEGORIES",
    "STATUSES",
    "TRANSITIONS",
    "DistrictCounts",
    "DuplicateCandidate",
    "ReportCategory",
    "ReportReceipt",
    "SupportResult",
    "ValidReport",
    "client_key_for",
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
