"""Duplicate suggestions: open reports of the same barrier near a new one, or with the same words.

Offered before a report is filed (FixMyStreet-style), so residents add a "me too" instead of a
second report; the bureau uses the same search when it marks a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from audit.errors import InputError, Problem
from audit.geo import haversine_m
from audit.report_categories import REPORT_CATEGORIES
from audit.reports.records import check_location, clean_text
from audit.reports.workflow import OPEN_STATUSES
from audit.settings import Settings, get_settings
from audit.storage.orm import Report
from audit.storage.repository import Repository

#: Typed locations shorter than this are not compared as text for duplicate suggestions.
MIN_TEXT_MATCH_CHARS: Final = 4


#: Most duplicate candidates offered (FixMyStreet offers 5).
MAX_DUPLICATE_SUGGESTIONS: Final = 5


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
    x, y = check_location(problems, lon, lat, crs)
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
    text = clean_text(location_text).lower()
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
