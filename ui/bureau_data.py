"""Cached loaders of the bureau pages (rankings, candidates) — thin wrappers over the library."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audit.actors import SYSTEM
from audit.storage.repository import Repository
from ui import cache

#: Seconds a ranking or candidate table is reused (a new audit shows up within a minute).
BUREAU_TTL_S = 60


@st.cache_data(ttl=BUREAU_TTL_S, show_spinner=False)
def rankings(group_by: tuple[str, ...]) -> dict[str, Any]:
    """Ranking table and its basis as plain data (see :func:`audit.rankings.compute_rankings`)."""
    from audit.rankings import compute_rankings

    with cache.get_database().session() as s:
        res = compute_rankings(Repository(s, SYSTEM), group_by=group_by)
    return {"table": res.table, "threshold": res.coverage_threshold,
            "weights": dict(res.weights), "expected_source": res.expected_source,
            "is_demo": res.is_demo, "n_audits": res.n_audits}


@st.cache_data(ttl=BUREAU_TTL_S, show_spinner=False)
def candidates() -> dict[str, Any]:
    """Candidate fixes with priority (see :func:`audit.priority.build_candidates`)."""
    from audit.priority import build_candidates

    with cache.get_database().session() as s:
        c = build_candidates(Repository(s, SYSTEM), G=cache.network())
    return {"table": c.table, "destinations_synthetic": c.destinations_synthetic,
            "network_synthetic": c.network_synthetic,
            "destinations_source": c.destinations_source, "params_source": c.params_source}


def work_orders() -> pd.DataFrame:
    """Current work orders (not cached: the page edits them)."""
    from audit.workorders import work_order_frame

    with cache.get_database().session() as s:
        return work_order_frame(s)
