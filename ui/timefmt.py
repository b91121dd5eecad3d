"""Times for a person: Asia/Shanghai, to the minute, the zone said once per page (issue 17, item 8).

The library stores timezone-aware UTC datetimes (a naive one is read as UTC). Pages show them
with :func:`local_time` (``2026-11-30 21:47``) and say the zone once with :func:`zone_note`;
only machine exports keep UTC (and say so).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

ZONE = ZoneInfo("Asia/Shanghai")
MINUTE_FORMAT = "%Y-%m-%d %H:%M"
CLOCK_FORMAT = "%H:%M"
EMPTY = "—"


def to_local(value: Any) -> datetime | None:
    """``value`` (datetime, pandas Timestamp or ISO text; naive = UTC) in Asia/Shanghai."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        value = value.to_pydatetime()
    if not isinstance(value, datetime):
        if isinstance(value, date):
            value = datetime(value.year, value.month, value.day, tzinfo=UTC)
        else:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZONE)


def local_time(value: Any, fmt: str = MINUTE_FORMAT) -> str:
    """``2026-11-30 21:47`` in Asia/Shanghai (no seconds, no zone); ``—`` when there is none."""
    moment = to_local(value)
    return moment.strftime(fmt) if moment is not None else EMPTY


def local_clock(value: Any) -> str:
    """Only the time of day (``21:47``), e.g. for "locked until"."""
    return local_time(value, CLOCK_FORMAT)


def zone_note() -> str:
    """The sentence that says which zone the page's times are in (once per page)."""
    from ui.i18n import t

    return t("words.time.zone")


__all__ = ["ZONE", "local_clock", "local_time", "to_local", "zone_note"]
