"""Report records, limits, codes and the input checks every part of the workflow shares.

:func:`public_view` is the one place that says which fields of a report are public: the change
log, the status page and the moderation page show those and nothing else (never the contact or
the client key).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from audit.errors import InputError, NotFoundError, Problem
from audit.storage.orm import Report
from audit.storage.repository import Repository
from geodata.crs import check_point

MAX_DESCRIPTION_CHARS: Final = 2000
MAX_LOCATION_CHARS: Final = 300
MIN_LOCATION_CHARS: Final = 2
MAX_CONTACT_CHARS: Final = 100
MAX_COMMENT_CHARS: Final = 1000
MAX_REASON_CHARS: Final = 1000
CODE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH: Final = 8  # 31**8 ≈ 8.5e11 codes
CODE_GROUP: Final = 4
CODE_ATTEMPTS: Final = 5
CRS_NAMES: Final[tuple[str, ...]] = ("wgs84", "gcj02", "bd09")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ReportReceipt:
    """What the reporter gets back: the code to check the status later."""

    report_id: int
    code: str
    status: str
    district_code: str | None
    lon: float | None
    lat: float | None
    #: The reporter's secret token: shown once, only to the reporter; needed to reopen the report
    #: or see its status detail (the public code is on the map and opens nothing).
    secret: str = field(default="", repr=False)


#: Symbols of a secret token: digits and capitals without the look-alikes 0/O, 1/I/L and U/V,
#: so a resident can copy it by hand from a screen or a photo of it.
SECRET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
#: 4 groups of 5 symbols: 29**20 ≈ 2**97 possibilities.
SECRET_GROUPS, SECRET_GROUP_LEN = 4, 5


def new_secret() -> str:
    """A fresh reporter's secret token, e.g. ``K7M2Q-XR4TB-9HWZC-3NPA8`` (about 97 bits)."""
    groups = ("".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_GROUP_LEN))
              for _ in range(SECRET_GROUPS))
    return "-".join(groups)


def normalise_secret(secret: str) -> str:
    """A typed token as issued: capitals, grouped by dashes; spaces, dashes and case as typed do
    not matter. Tokens of the older URL-safe form (mixed case) are left as they are."""
    bare = "".join(ch for ch in secret if not ch.isspace() and ch != "-")
    if len(bare) == SECRET_GROUPS * SECRET_GROUP_LEN and all(
            ch in SECRET_ALPHABET for ch in bare.upper()):
        bare = bare.upper()
        return "-".join(bare[k:k + SECRET_GROUP_LEN]
                        for k in range(0, len(bare), SECRET_GROUP_LEN))
    return secret.strip()


def secret_hash(secret: str) -> str:
    """What is stored of a secret token: its SHA-256 (the token itself is never stored)."""
    return hashlib.sha256(normalise_secret(secret).encode()).hexdigest()


def secret_matches(row: Report, secret: object) -> bool:
    """Whether ``secret`` is the reporter's token of ``row`` (constant-time comparison)."""
    if not row.secret_hash or not isinstance(secret, str) or not secret.strip():
        return False
    return hmac.compare_digest(row.secret_hash, secret_hash(secret))


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


def clean_text(value: object) -> str:
    """Text with control characters removed and surrounding blanks stripped."""
    return _CONTROL.sub("", value).strip() if isinstance(value, str) else ""


def text_field(
    problems: list[Problem], name: str, value: object, limit: int, *, required: bool = False
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(Problem(name, value, "text"))
        return ""
    text = clean_text(value)
    if len(text) > limit:
        problems.append(
            Problem(name, f"{text[:20]}… ({len(text)} characters)", f"at most {limit} characters",
                    code="length", params={"min": 1 if required else 0, "max": limit})
        )
    elif required and not text:
        problems.append(Problem(name, value, "required: write a few words", code="required"))
    return text


def check_location(
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


def public_view(row: Report) -> dict[str, Any]:
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


def report_row(repo: Repository, report: int | str) -> Report:
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
