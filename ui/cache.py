"""Every ``st.cache_*`` wrapper of the app lives here.

Resources (database handle, network graph) use ``cache_resource``; data frames handed to pages
use ``cache_data`` with a short TTL so a new audit shows up within a minute without a restart.
Arguments are plain hashable values (tuples, not lists) so the cache keys are stable.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from audit.settings import get_settings

#: Seconds a cached query result is reused.
DATA_TTL_S = 60


@st.cache_resource(show_spinner=False)
def get_database() -> Any:
    """The app's Database (engine + session factory) from settings."""
    from audit.storage import open_database

    return open_database(get_settings().effective_database_url)


def _repository_call(method: str, *args: Any, **kwargs: Any) -> Any:
    from audit.storage.repository import Repository

    with get_database().session() as session:
        return getattr(Repository(session), method)(*args, **kwargs)


def _day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    from datetime import UTC

    start = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    end = datetime.combine(until, time.max, tzinfo=UTC) if until else None
    return start, end


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def facility_frame(
    facility_types: tuple[str, ...] | None = None,
    districts: tuple[str, ...] | None = None,
    verdicts: tuple[str, ...] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """Facilities matching the filters (empty tuple/None = no filter); see Repository."""
    start, end = _day_bounds(since, until)
    return _repository_call(
        "facility_frame",
        facility_types=list(facility_types) if facility_types else None,
        districts=list(districts) if districts else None,
        verdicts=list(verdicts) if verdicts else None,
        since=start,
        until=end,
    )


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def report_frame(districts: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Resident reports, optionally limited to districts."""
    return _repository_call("report_frame", districts=list(districts) if districts else None)


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def facility_detail(facility_id: int) -> dict[str, Any]:
    """Facility, its audits (newest first) and photos as plain dicts."""
    return _repository_call("facility_detail", facility_id)


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def has_demo_data() -> bool:
    """Whether the database holds synthetic demo records (then every page says so)."""
    return bool(_repository_call("has_demo_data"))


@st.cache_data(show_spinner=False)
def districts() -> gpd.GeoDataFrame:
    """Yangjiang district boundaries (WGS84) from the geodata package."""
    import geodata

    return geodata.load_districts()


@st.cache_data(show_spinner=False)
def boundary_attribution() -> str:
    """Attribution text for the bundled boundaries (and OSM when tiles/network use it)."""
    from geodata import registry

    return registry.attribution()


@st.cache_resource(show_spinner=False)
def network() -> Any:
    """The street network (osmnx MultiDiGraph) resolved from settings (demo when offline)."""
    from geodata.network import resolve_network

    settings = get_settings()
    return resolve_network(settings.network_source, settings.data_dir)


@st.cache_data(show_spinner=False)
def network_edges() -> gpd.GeoDataFrame:
    """Edge geometries of the street network (geometry column only)."""
    import geodata

    edges = geodata.edges_gdf(network())
    return edges[["geometry"]].reset_index(drop=True)


@st.cache_data(show_spinner=False)
def network_info() -> dict[str, Any]:
    """Plain facts about the loaded network: synthetic flag and labels."""
    graph = network()
    return {
        "synthetic": bool(graph.graph.get("synthetic", False)),
        "label_zh": str(graph.graph.get("source_label_zh", "")),
        "label_en": str(graph.graph.get("source_label_en", "")),
    }


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def coverage_gaps() -> gpd.GeoDataFrame | None:
    """Network coverage gaps, when the geodata coverage module provides them."""
    try:
        from geodata import coverage
    except ImportError:
        return None
    func = getattr(coverage, "coverage_gaps", None)
    if func is None:
        return None
    return func(network(), facility_frame())
