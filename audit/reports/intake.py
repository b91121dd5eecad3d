"""Filing a report and "me too": validation, the rate limit, the report code, the optional photo."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from audit.actors import require
from audit.errors import ConflictError, InputError, Problem
from audit.report_categories import REPORT_CATEGORIES
from audit.reports.ratelimit import check_rate, require_client_key
from audit.reports.records import (
    CODE_ATTEMPTS,
    MAX_COMMENT_CHARS,
    MAX_CONTACT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_LOCATION_CHARS,
    MIN_LOCATION_CHARS,
    ReportReceipt,
    SupportResult,
    ValidReport,
    check_location,
    new_code,
    new_secret,
    public_view,
    report_row,
    secret_hash,
    text_field,
)
from audit.reports.workflow import OPEN_STATUSES
from audit.settings import Settings, get_settings
from audit.storage.orm import Report, ReportSupport, point_ewkt, utcnow
from audit.storage.repository import Repository


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
    desc = text_field(problems, "description", description, MAX_DESCRIPTION_CHARS)
    where = text_field(problems, "location_text", location_text, MAX_LOCATION_CHARS)
    who = text_field(problems, "contact", contact, MAX_CONTACT_CHARS)
    x, y = check_location(problems, lon, lat, crs)
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
    require_client_key(repo.actor, client_key)
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
    check_rate(repo, client_key, settings, now, "report")
    row: Report | None = None
    secret = new_secret()
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
            secret_hash=secret_hash(secret),
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
    view = public_view(row)
    view["has_contact"] = bool(valid.contact)
    repo.log("report", row.id, "create", None, view)
    return ReportReceipt(row.id, row.code, row.status, district, row.lon, row.lat, secret)


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
    require_client_key(repo.actor, client_key)
    validate_report(**fields)
    check_rate(repo, client_key, settings, utcnow(), "report")
    photo_id: int | None = None
    if photo is not None:
        from audit.photos import store_photo  # on use: Pillow and its HEIF plugin are heavy

        photo_id = store_photo(repo, photo, strip_metadata=True, settings=settings)
    return create_report(
        repo, photo_id=photo_id, client_key=client_key, settings=settings, **fields
    )


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
    require_client_key(repo.actor, client_key)
    problems: list[Problem] = []
    text = text_field(problems, "comment", comment, MAX_COMMENT_CHARS)
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 128):
        problems.append(Problem("idempotency_key", idempotency_key, "1 to 128 characters"))
    if problems:
        raise InputError(problems, "support")
    row = report_row(repo, report)
    if row.status == "duplicate" and row.duplicate_of_id is not None:
        row = report_row(repo, row.duplicate_of_id)
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
    check_rate(repo, client_key, settings, now, "support")
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
