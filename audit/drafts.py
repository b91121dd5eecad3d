"""Automatic drafts of unsaved audits (issue 17 item 4: work survives a reload).

The inspector page keeps what an inspector has typed but not yet saved: the facility type, the
measurements, notes, name, address and the chosen location, one row per inspector and form
(:class:`~audit.storage.orm.AuditDraft`). The inspector lists their drafts, resumes one after a
reload or a lost connection, and submitting the audit deletes it
(:func:`audit.inspect.save_audit` with ``draft_key``).

Only the owner reads or writes a draft: every function works on the drafts of
``repo.actor``'s own account, so another account cannot name, read or change them; the role
must have ``audit.draft`` (inspectors, admins). A draft's content is hostile input: it is
checked when saved (size, shape, known fields, finite numbers) and cleaned again when read
(:func:`clean_content`), so a row changed behind the app's back cannot put anything but plain
values of the form back into the page.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from audit.actors import Actor, require
from audit.errors import InputError, PermissionDenied, Problem
from audit.model import CONFIRM_KEY, FACILITY_TYPES, schema
from audit.storage.orm import AuditDraft, utcnow

if TYPE_CHECKING:
    from audit.storage.repository import Repository

#: Largest draft content, as compact JSON (a full form is ~2 KiB).
MAX_DRAFT_BYTES: Final = 32 * 1024
#: Most drafts one inspector keeps; the oldest is not dropped silently: saving one more fails.
MAX_DRAFTS_PER_USER: Final = 20
#: Longest text of a draft field (the audit's own notes limit).
MAX_TEXT_LEN: Final = 5000
#: Longest draft title (the facility's name limit).
MAX_TITLE_LEN: Final = 200
FORM_KEY_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TEXT_FIELDS: Final = ("notes", "name", "address")
LOCATION_SOURCES: Final = ("map", "typed", "gps")


@dataclass(frozen=True)
class DraftRecord:
    """One draft of the signed-in inspector (content already cleaned)."""

    form_key: str
    facility_type: str
    facility_id: int | None
    title: str
    content: dict[str, Any]
    updated_at: datetime

    @classmethod
    def of(cls, row: AuditDraft) -> DraftRecord:
        return cls(row.form_key, row.facility_type, row.facility_id, row.title,
                   clean_content(row.facility_type, row.content), row.updated_at)


def _owner(repo: Repository) -> int:
    actor: Actor = repo.actor
    require(actor, "audit.draft")
    if actor.user_id is None:
        msg = f"{actor.label} has no account; drafts belong to a signed-in inspector"
        raise PermissionDenied(msg)
    return actor.user_id


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _clean_measurements(facility_type: str, values: object) -> dict[str, Any]:
    if not isinstance(values, dict):
        return {}
    fields = schema(facility_type)
    out: dict[str, Any] = {}
    for name, value in values.items():
        spec = fields.get(name) if isinstance(name, str) else None
        if spec is None or value is None:
            continue
        plain_ok = (spec.kind == "bool" and isinstance(value, bool)) or (
            spec.kind == "choice" and isinstance(value, str) and value in spec.choices)
        if plain_ok:
            out[name] = value
        elif spec.kind in ("number", "integer") and _finite(value):
            out[name] = int(value) if spec.kind == "integer" else float(value)
    confirmed = values.get(CONFIRM_KEY)
    if isinstance(confirmed, list):
        out[CONFIRM_KEY] = [n for n in confirmed if isinstance(n, str) and n in out]
    return out


def _clean_location(value: object) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    lon, lat = value.get("lon"), value.get("lat")
    if not (_finite(lon) and _finite(lat)):
        return None
    assert isinstance(lon, int | float) and isinstance(lat, int | float)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    source = value.get("source")
    accuracy = value.get("accuracy")
    fine = isinstance(accuracy, int | float) and _finite(accuracy) and accuracy >= 0
    return {"lon": float(lon), "lat": float(lat),
            "source": source if source in LOCATION_SOURCES else "map",
            "accuracy": float(accuracy) if fine and accuracy is not None else None}


def _positive_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def clean_content(facility_type: str, content: object) -> dict[str, Any]:
    """Only what the form can take back: known measurement fields of ``facility_type`` with
    values of their kind, bounded plain texts, a location inside WGS84 bounds, positive ids.
    Everything else in ``content`` is dropped."""
    if facility_type not in FACILITY_TYPES or not isinstance(content, dict):
        return {"measurements": {}}
    out: dict[str, Any] = {
        "measurements": _clean_measurements(facility_type, content.get("measurements"))}
    for name in TEXT_FIELDS:
        text = content.get(name)
        if isinstance(text, str) and "\x00" not in text:
            out[name] = text[:MAX_TEXT_LEN]
    location = _clean_location(content.get("location"))
    if location is not None:
        out["location"] = location
    for name in ("facility_version", "draft_audit_id", "draft_row_version"):
        number = _positive_int(content.get(name))
        if number is not None:
            out[name] = number
    return out


def _size_problems(content: object) -> list[Problem]:
    try:
        size = len(json.dumps(content, separators=(",", ":"), allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError):
        return [Problem("content", type(content).__name__,
                        "plain values only (texts, finite numbers, yes/no, lists, tables)",
                        code="draft_content")]
    if size > MAX_DRAFT_BYTES:
        return [Problem("content", f"{size} bytes", f"at most {MAX_DRAFT_BYTES} bytes",
                        code="draft_size", params={"max": MAX_DRAFT_BYTES})]
    return []


def save_draft(repo: Repository, form_key: str, facility_type: str, content: dict[str, Any],
               *, facility_id: int | None = None, title: str = "",
               now: datetime | None = None) -> DraftRecord:
    """Keep (insert or replace) the signed-in inspector's draft of form ``form_key``.

    Refuses, naming the field, a malformed form key, an unknown facility type, a title over
    :data:`MAX_TITLE_LEN` characters, content that is not plain JSON or over
    :data:`MAX_DRAFT_BYTES`, and a new draft beyond :data:`MAX_DRAFTS_PER_USER`. Stores the
    cleaned content (:func:`clean_content`)."""
    owner = _owner(repo)
    problems: list[Problem] = []
    if not isinstance(form_key, str) or not FORM_KEY_PATTERN.fullmatch(form_key):
        problems.append(Problem("form_key", str(form_key)[:70],
                                "1 to 64 letters, digits, '-' or '_'", code="draft_key"))
    if facility_type not in FACILITY_TYPES:
        problems.append(Problem("facility_type", str(facility_type)[:40],
                                f"one of {', '.join(FACILITY_TYPES)}", code="choice",
                                params={"choices": FACILITY_TYPES, "kind": "facility_type"}))
    if not isinstance(title, str) or len(title) > MAX_TITLE_LEN or "\x00" in title:
        problems.append(Problem("title", f"{str(title)[:20]}…",
                                f"at most {MAX_TITLE_LEN} characters", code="length",
                                params={"min": 0, "max": MAX_TITLE_LEN}))
    if facility_id is not None and _positive_int(facility_id) is None:
        problems.append(Problem("facility_id", facility_id, "a facility's number"))
    problems.extend(_size_problems(content))
    if problems:
        raise InputError(problems, "draft")
    cleaned = clean_content(facility_type, content)
    row = repo.drafts.get(owner, form_key)
    if row is None:
        if repo.drafts.count_of_user(owner) >= MAX_DRAFTS_PER_USER:
            raise InputError(Problem("drafts", MAX_DRAFTS_PER_USER,
                                     f"at most {MAX_DRAFTS_PER_USER} drafts; submit or delete "
                                     "one first", code="draft_count",
                                     params={"max": MAX_DRAFTS_PER_USER}), "draft")
        row = repo.drafts.add(AuditDraft(user_id=owner, form_key=form_key,
                                         facility_type=facility_type, content=cleaned,
                                         facility_id=facility_id, title=title,
                                         updated_at=now or utcnow()))
    else:
        row.facility_type = facility_type
        row.facility_id = facility_id
        row.title = title
        row.content = cleaned
        row.updated_at = now or utcnow()
        repo.flush_or_conflict("draft")
    return DraftRecord.of(row)


def list_drafts(repo: Repository) -> list[DraftRecord]:
    """The signed-in inspector's drafts, newest first (never another account's)."""
    return [DraftRecord.of(r) for r in repo.drafts.of_user(_owner(repo))]


def get_draft(repo: Repository, form_key: str) -> DraftRecord | None:
    """The signed-in inspector's draft of ``form_key``, or ``None``."""
    owner = _owner(repo)
    if not isinstance(form_key, str) or not FORM_KEY_PATTERN.fullmatch(form_key):
        return None
    row = repo.drafts.get(owner, form_key)
    return None if row is None else DraftRecord.of(row)


def delete_draft(repo: Repository, form_key: str) -> bool:
    """Delete the signed-in inspector's draft of ``form_key``; whether there was one."""
    owner = _owner(repo)
    if not isinstance(form_key, str) or not FORM_KEY_PATTERN.fullmatch(form_key):
        return False
    row = repo.drafts.get(owner, form_key)
    if row is None:
        return False
    repo.drafts.delete(row)
    return True
