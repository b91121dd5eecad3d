"""Every ``st.cache_*`` wrapper of the app lives here.

Resources (database handle, network graph), large read-only geo frames (district boundaries,
network edges: no caller mutates them) and the map's published layers (network layer, place
labels: serialised once for the browser) use ``cache_resource``, so a rerun gets the one shared
object instead of an unpickled copy. Data frames handed to pages use ``cache_data`` keyed on the
**data version** (:func:`data_version`, a counter in the database that every write raises in its
own transaction, see :mod:`audit.storage.dataversion`): a write made by this process or by any
other app process on the same database is seen at the next rerun. The counter is read once per
rerun (:func:`new_rerun` forgets it; a write through :func:`unit_of_work` does too). TTLs are only
a safety net. The bureau pages' loaders (rankings, candidate fixes) are here too; the work-order
page reads its table uncached (:func:`work_orders_uncached`) because it edits it.
Arguments are plain hashable values (tuples, not lists) so the cache keys are stable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

import geopandas as gpd
import pandas as pd
import streamlit as st

from audit.actors import SYSTEM
from audit.settings import get_settings

if TYPE_CHECKING:
    from audit.actors import Actor
    from audit.storage.repository import Repository

#: Seconds a cached query result may be reused at most (a safety net: results are keyed on the
#: data version, so a write shows at the next rerun)
DATA_TTL_S = 600
#: The same for a ranking or candidate table.
BUREAU_TTL_S = 600
#: ``st.session_state`` key of the data version read in this rerun.
DATA_VERSION_KEY = "_data_version"
#: Coverage results kept (one per facility type and data version).
COVERAGE_CACHE_ENTRIES = 32
#: Decimals of source coordinates in the coverage data version (1e-6 degree is ~0.1 m).
COVERAGE_VERSION_DECIMALS = 6
#: Network layers kept (one per chosen set of districts).
NETWORK_LAYER_CACHE_ENTRIES = 16


@st.cache_resource(show_spinner=False)
def get_database() -> Any:
    """The app's Database (engine + session factory) from settings."""
    from audit.storage import open_database

    return open_database(get_settings().effective_database_url)


@contextmanager
def unit_of_work(actor: Actor, *, write: bool = False) -> Iterator[Repository]:
    """A unit of work on the app's database for ``actor`` (see ``Database.unit_of_work``):
    committed when the block ends, rolled back on any error. ``write=True`` for writes; after
    one, the data version is read again, so this session sees its own write at once."""
    try:
        with get_database().unit_of_work(actor, write=write) as repo:
            yield repo
    finally:
        if write:
            _forget_data_version()


def _in_script_run() -> bool:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return get_script_run_ctx(suppress_warning=True) is not None


def _forget_data_version() -> None:
    if _in_script_run():
        st.session_state.pop(DATA_VERSION_KEY, None)


def new_rerun() -> None:
    """Called at the start of every rerun (streamlit_app.py): the data version is read afresh
    the first time a cached loader needs it in this rerun."""
    _forget_data_version()


def data_version() -> int:
    """The database's data version, read at most once per rerun (one tiny query)."""
    if not _in_script_run():
        return int(get_database().data_version())
    version = st.session_state.get(DATA_VERSION_KEY)
    if version is None:
        version = int(get_database().data_version())
        st.session_state[DATA_VERSION_KEY] = version
    return int(version)


P = ParamSpec("P")
R = TypeVar("R")


class Versioned(Generic[P, R]):
    """A ``cache_data`` loader keyed on the data version as well as on its arguments; called
    like the function it wraps. ``clear()`` empties its cache."""

    def __init__(self, fn: Callable[P, R], ttl: int) -> None:
        def keyed(data_version: int, *args: P.args, **kwargs: P.kwargs) -> R:
            return fn(*args, **kwargs)

        # Streamlit keys a function's cache on its module and qualified name (and its source,
        # the same for every ``keyed``): give each its own name
        keyed.__module__ = fn.__module__
        keyed.__name__ = fn.__name__
        keyed.__qualname__ = f"{fn.__qualname__}.versioned"
        keyed.__doc__ = fn.__doc__
        self.__doc__ = fn.__doc__
        self._cached = st.cache_data(ttl=ttl, show_spinner=False)(keyed)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._cached(data_version(), *args, **kwargs)

    def clear(self) -> None:
        """Empty this loader's cache (every data version)."""
        self._cached.clear()


def versioned(ttl: int) -> Callable[[Callable[P, R]], Versioned[P, R]]:
    """Decorator: a :class:`Versioned` cached loader with the safety-net ``ttl``."""

    def wrap(fn: Callable[P, R]) -> Versioned[P, R]:
        return Versioned(fn, ttl)

    return wrap


def _repository_call(method: str, *args: Any, **kwargs: Any) -> Any:
    with unit_of_work(SYSTEM) as repo:
        return getattr(repo, method)(*args, **kwargs)


def _day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    from datetime import UTC

    start = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    end = datetime.combine(until, time.max, tzinfo=UTC) if until else None
    return start, end


@versioned(DATA_TTL_S)
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


@versioned(DATA_TTL_S)
def report_frame(districts: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Resident reports, optionally limited to districts."""
    return _repository_call("report_frame", districts=list(districts) if districts else None)


@versioned(DATA_TTL_S)
def facility_detail(facility_id: int) -> dict[str, Any]:
    """Facility, its audits (newest first) and photos as plain dicts."""
    return _repository_call("facility_detail", facility_id)


@versioned(DATA_TTL_S)
def has_demo_data() -> bool:
    """Whether the database holds synthetic demo records (then every page says so)."""
    return bool(_repository_call("has_demo_data"))


@versioned(DATA_TTL_S)
def demo_account_names() -> list[str]:
    """Usernames of the demo accounts (public passwords): every page warns while any exists."""
    from audit.auth import demo_account_names as names

    with unit_of_work(SYSTEM) as repo:
        return names(repo)


@versioned(DATA_TTL_S)
def client_salt() -> str:
    """The installation's salt for client keys (in the database: the same on every process)."""
    from audit.reports.ratelimit import SALT_META_KEY
    from audit.reports.ratelimit import client_salt as salt_of

    with unit_of_work(SYSTEM) as repo:
        salt = repo.get_meta(SALT_META_KEY)
    if salt is not None:
        return salt
    with unit_of_work(SYSTEM, write=True) as repo:  # the first use on this database
        return salt_of(repo)


def has_accounts() -> bool:
    """Whether any account exists (uncached: the first admin shows up at once)."""
    from audit.auth import has_accounts as any_account

    with unit_of_work(SYSTEM) as repo:
        return any_account(repo)


@st.cache_resource(show_spinner=False)
def districts() -> gpd.GeoDataFrame:
    """Yangjiang district boundaries (WGS84) from the geodata package (shared: read only)."""
    import geodata

    return geodata.load_districts()


@st.cache_data(show_spinner=False)
def boundary_attribution(lang: str) -> str:
    """Attribution text for the bundled boundaries: Chinese with English on a Chinese page, English
    alone on an English page (no Chinese sentence there; the sources' names stay as spelled)."""
    from geodata import registry

    return registry.attribution(lang="en" if lang == "en" else "both")


@st.cache_resource(show_spinner=False)
def network() -> Any:
    """The street network resolved from settings (demo when offline), as arrays
    (:class:`geodata.compact.CompactNetwork`, read from ``DATA_DIR/cache`` after the first load)."""
    from geodata.compact import resolve_compact

    settings = get_settings()
    return resolve_compact(settings.network_source, settings.data_dir, settings.cache_dir)


@st.cache_resource(show_spinner=False)
def network_edges() -> gpd.GeoDataFrame:
    """Edges of the street network: ``highway`` and geometry only (shared: read only)."""
    import geodata

    edges = geodata.edges_gdf(network())
    return edges[["highway", "geometry"]].reset_index(drop=True)


@st.cache_resource(max_entries=NETWORK_LAYER_CACHE_ENTRIES, show_spinner=False)
def network_layer(district_codes: tuple[str, ...] | None = None) -> Any:
    """The network layer as drawn (:class:`ui.map.NetworkLayer`, capped in size).

    Keyed by the chosen districts, which matter only when the network is over the cap. One
    shared object (``cache_resource``; read only): the map fetches its GeoJSON from a published
    file, serialised once per layer (:attr:`ui.map.NetworkLayer.document`), so no rerun copies
    or re-serialises it.
    """
    from ui.map.network import network_layer as build

    try:
        boundaries = districts() if district_codes else None
    except (OSError, ValueError):
        boundaries = None
    return build(network_edges(), boundaries, district_codes)


@st.cache_data(show_spinner=False)
def network_info() -> dict[str, Any]:
    """Plain facts about the loaded network: synthetic flag and labels."""
    graph = network()
    return {
        "synthetic": bool(graph.graph.get("synthetic", False)),
        "label_zh": str(graph.graph.get("source_label_zh", "")),
        "label_en": str(graph.graph.get("source_label_en", "")),
    }


def source_version(sources: pd.DataFrame) -> str:
    """Fingerprint of coverage sources (ids and rounded positions): the cache's data version.

    A new compliant audit, a facility turning non-compliant or a moved facility changes it.
    """
    if sources.empty:
        return "empty"
    key = sources[["facility_id", "lon", "lat"]].copy()
    key["lon"] = key["lon"].astype(float).round(COVERAGE_VERSION_DECIMALS)
    key["lat"] = key["lat"].astype(float).round(COVERAGE_VERSION_DECIMALS)
    digest = pd.util.hash_pandas_object(key.sort_values("facility_id"), index=False)
    return hashlib.sha1(digest.to_numpy().tobytes()).hexdigest()


@st.cache_data(max_entries=COVERAGE_CACHE_ENTRIES, show_spinner=False)
def _coverage(
    facility_type: str, version: str, _lons: tuple[float, ...], _lats: tuple[float, ...]
) -> dict[str, Any]:
    """Network coverage of one type, cached by (facility type, data version) only."""
    from geodata.coverage import network_coverage
    from geodata.lines import merge_lines

    result = network_coverage(network(), list(_lons), list(_lats), districts())
    gaps = result.gaps
    # one merged geometry: the layer is drawn as a whole, so per-edge features only cost bytes
    # (about a third of the layer's payload on the demo network)
    geometry = [merge_lines(gaps.geometry.to_numpy())] if len(gaps) else []
    merged = gpd.GeoDataFrame(geometry=geometry, crs=gaps.crs)
    table = pd.DataFrame(result.by_district.drop(columns="geometry"))
    return {
        "facility_type": facility_type,
        "version": version,
        "thresholds_m": tuple(result.thresholds_m),
        "by_district": table,
        "gaps": merged,
        "gap_edges": len(gaps),
        "gap_km": float(gaps["beyond_m"].sum()) / 1000.0 if len(gaps) else 0.0,
        "sources": len(_lons),
        "sources_unsnapped": len(result.sources_unsnapped),
        "synthetic": bool(result.attrs.get("synthetic_network")),
    }


def coverage(facility_type: str) -> dict[str, Any]:
    """Coverage of ``facility_type`` by facilities whose LATEST audit is compliant.

    Returns plain data: ``by_district`` (per-district street km and shares within each
    threshold), ``gaps`` (one-row GeoDataFrame of street beyond the largest threshold),
    counts and the synthetic-network flag. See :func:`geodata.coverage.network_coverage`.
    """
    sources = facility_frame((facility_type,), None, ("compliant",))
    sources = sources.dropna(subset=["lon", "lat"])
    return _coverage(
        facility_type,
        source_version(sources),
        tuple(sources["lon"].astype(float)),
        tuple(sources["lat"].astype(float)),
    )


def work_orders_uncached() -> pd.DataFrame:
    """All work orders, read on every call: the work-order page edits them."""
    from audit.workorders import work_order_frame

    with unit_of_work(SYSTEM) as repo:
        return work_order_frame(repo)


@versioned(DATA_TTL_S)
def work_orders() -> pd.DataFrame:
    """All work orders with status, due date and ``overdue`` (see audit.workorders)."""
    return work_orders_uncached()


def work_order_flags() -> dict[int, str]:
    """Facility id → ``"overdue"`` or ``"open"`` for facilities with an unfinished work order."""
    from audit.workorders import OPEN_STATUSES

    orders = work_orders()
    if orders.empty:
        return {}
    open_orders = orders[orders["status"].isin(OPEN_STATUSES) & orders["facility_id"].notna()]
    flags: dict[int, str] = {}
    for fid, overdue in zip(open_orders["facility_id"].astype(int), open_orders["overdue"],
                            strict=True):
        if overdue:
            flags[fid] = "overdue"
        else:
            flags.setdefault(fid, "open")
    return flags


def district_rankings() -> dict[str, Any]:
    """The ranking grouped by district only (feeds the map's choropleth layer) as plain data:
    ``table``, ``threshold`` (coverage below it is not ranked), ``is_demo`` and more.

    Reuses the bureau pages' cached loader so the map and the rankings page agree.
    """
    return rankings(("district_code",))


@versioned(BUREAU_TTL_S)
def rankings(group_by: tuple[str, ...]) -> dict[str, Any]:
    """Ranking table and its basis as plain data (see :func:`audit.rankings.compute_rankings`)."""
    from audit.rankings import compute_rankings

    with unit_of_work(SYSTEM) as repo:
        res = compute_rankings(repo, group_by=group_by)
    return {"table": res.table, "threshold": res.coverage_threshold,
            "weights": dict(res.weights), "expected_source": res.expected_source,
            "is_demo": res.is_demo, "n_audits": res.n_audits}


@versioned(DATA_TTL_S)
def inventory_sources() -> pd.DataFrame:
    """Imported OSM inventory files (see :func:`audit.inventory.inventory_sources`)."""
    from audit.inventory import inventory_sources as sources

    with unit_of_work(SYSTEM) as repo:
        return sources(repo)


@versioned(BUREAU_TTL_S)
def candidates(importance: str = "distance") -> dict[str, Any]:
    """Candidate fixes with priority (see :func:`audit.priority.build_candidates`); the
    importance term ``distance`` (distance decay) or ``reach`` (restored reach)."""
    from audit.actors import SYSTEM
    from audit.priority import build_candidates

    with unit_of_work(SYSTEM) as repo:
        if importance == "reach":
            c = build_candidates(repo, importance="reach", net=routing_network())
        else:
            c = build_candidates(repo, G=network(), importance=importance)
    return {"table": c.table, "destinations_synthetic": c.destinations_synthetic,
            "network_synthetic": c.network_synthetic,
            "destinations_source": c.destinations_source, "params_source": c.params_source,
            "importance_method": c.importance_method, "reach_limit_m": c.reach_limit_m,
            "reach_method": c.reach_method}


# ----------------------------------------------------------------------------- routes (issue 14)

#: Seconds the routing network keeps the audit states it was built with.
ROUTING_TTL_S = 300


@st.cache_resource(show_spinner=False)
def walk_network() -> Any:
    """The walk network with pedestrian tags: the ``network_source`` file, or the synthetic demo
    walk network (``demo``, or ``auto`` without a cached download)."""
    from geodata.compact import resolve_walk

    settings = get_settings()
    return resolve_walk(settings.network_source, settings.data_dir, settings.cache_dir,
                        dem=settings.dem_file)


@st.cache_resource(show_spinner=False, ttl=ROUTING_TTL_S)
def routing_network() -> Any:
    """The routing network with the stored audits attached (weights built per profile on use)."""
    from audit.routes import routing_for

    with unit_of_work(SYSTEM) as repo:
        return routing_for(repo, walk_network(), snap_limit_m=get_settings().snap_limit_m)


@st.cache_data(ttl=ROUTING_TTL_S, show_spinner=False)
def city_reach() -> dict[str, Any]:
    """Reach per district × profile × category on the walk network with the stored audits
    (:func:`audit.reach.city_reach`), as plain data with the labels the page shows."""
    from audit.priority import load_destinations
    from audit.reach import city_reach as compute

    report = compute(routing_network(), destinations=load_destinations(), districts=districts())
    return {"table": report.table, "limit_m": report.limit_m,
            "network_synthetic": report.network_synthetic, "provenance": report.provenance,
            "label_zh": report.label_zh, "label_en": report.label_en,
            "destinations_synthetic": report.destinations_synthetic,
            "unsnapped": dict(report.unsnapped)}


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def route_places() -> pd.DataFrame:
    """Places a resident may type: facilities, key destinations, towns."""
    from audit.routes import place_table

    with unit_of_work(SYSTEM) as repo:
        return place_table(repo)


@st.cache_data(ttl=DATA_TTL_S, max_entries=64, show_spinner=False)
def route_answer(profile_id: str, origin: str, destination: str, crs: str, lang: str) -> Any:
    """One route query answered as plain data (:func:`audit.routes.plan_route`)."""
    from audit.routes import plan_route
    from geodata.profiles import get_profile

    return plan_route(
        routing_network(), route_places(), get_profile(profile_id), origin, destination,
        crs=crs, lang=lang, snap_limit_m=get_settings().snap_limit_m,
    )


#: Street labels on the map: points of one street name at least this far apart (metres).
STREET_LABEL_SPACING_M = 400.0


@st.cache_resource(show_spinner=False)
def named_streets() -> tuple[Any, Any, dict[str, str]]:
    """Street names, WGS84 edge geometries and Chinese → English names of the network."""
    from geodata.graphindex import graph_index

    graph = network()
    idx = graph_index(graph)
    one_way = idx.undirected  # each two-way street once, as the map draws it
    english = graph.edge_tag_pairs("name", "name_en")
    return idx.edge_name[one_way], idx.edge_geom[one_way], english


@st.cache_resource(show_spinner=False)
def street_index() -> Any:
    """Nearest-street look-ups (:class:`geodata.gazetteer.StreetIndex`) on the loaded network."""
    from geodata.gazetteer import StreetIndex

    return StreetIndex(*named_streets())


@st.cache_resource(show_spinner=False)
def street_label_places() -> list[Any]:
    """The street name labels of the map (:func:`geodata.gazetteer.street_places`, at least
    ``STREET_LABEL_SPACING_M`` apart), with both names: computed once for both languages and
    the place search (each street's first label is the middle of its longest edge)."""
    from geodata.gazetteer import street_places

    return street_places(*named_streets(), spacing_m=STREET_LABEL_SPACING_M)


def _district_label_points() -> tuple[Any, Any] | None:
    """The district boundaries and a point inside each (WGS84) where its name is placed, or
    None when the boundaries cannot be read."""
    try:
        bounds = districts()
    except (OSError, ValueError):
        return None
    if bounds is None or bounds.empty:
        return None
    return bounds, bounds.to_crs(3857).representative_point().to_crs(4326)


@st.cache_resource(show_spinner=False)
def basemap_labels(lang: str) -> Any:
    """Rows ``[escaped name, lat, lon]`` of district, town and street names for the map
    (:class:`ui.map.basemap.LabelSets`; one shared, read-only object per language, so its
    published file is serialised once)."""
    from geodata import load_towns
    from ui.map.basemap import LabelSets, label_rows

    zh = lang == "zh-Hans"
    out: dict[str, list[list[Any]]] = {}
    labelled = _district_label_points()
    if labelled is not None:
        bounds, points = labelled
        names = bounds["name_zh" if zh else "name_en"].astype(str).tolist()
        out["districts"] = label_rows(names, points.y.tolist(), points.x.tolist())
    towns = load_towns()
    out["towns"] = label_rows(towns["name"].astype(str).tolist(), towns.geometry.y.tolist(),
                              towns.geometry.x.tolist())
    streets = street_label_places()
    out["streets"] = label_rows([p.name_zh if zh else p.name_en for p in streets],
                                [p.lat for p in streets], [p.lon for p in streets])
    return LabelSets.of(out)


@st.cache_resource(ttl=DATA_TTL_S, show_spinner=False)
def gazetteer() -> Any:
    """The place search index (:class:`geodata.gazetteer.Gazetteer`): districts, GeoNames towns,
    streets, key destinations, facilities and public report codes; rebuilt every minute."""
    from audit.errors import AuditError
    from geodata import DISTRICTS, load_towns
    from geodata.gazetteer import Gazetteer, Place

    places: list[Place] = []
    labelled = _district_label_points()
    if labelled is not None:
        bounds, points = labelled
        for code, point in zip(bounds["adcode"].astype(str), points, strict=True):
            zh, en = DISTRICTS.get(code, (code, code))
            places.append(Place("district", zh, en, point.x, point.y))
    towns = load_towns()
    places.extend(Place("town", "", str(n), g.x, g.y)
                  for n, g in zip(towns["name"], towns.geometry, strict=True))
    first = {p.name_zh: p for p in reversed(street_label_places())}  # each street's first
    places.extend(first[name] for name in sorted(first))
    try:
        from audit.priority import load_destinations

        dest = load_destinations()
    except (AuditError, OSError, ValueError):  # unreadable destinations: search the rest
        pass
    else:
        places.extend(Place("destination", str(n), str(n), float(x), float(y))
                      for n, x, y in zip(dest["name"].fillna(""), dest["lon"], dest["lat"],
                                         strict=True) if n)
    facilities = facility_frame()
    places.extend(Place("facility", str(n), str(n), float(x), float(y), str(int(i)))
                  for i, n, x, y in zip(facilities["facility_id"], facilities["name"],
                                        facilities["lon"], facilities["lat"], strict=True))
    reports = report_frame()
    places.extend(Place("report", str(c), str(c), float(x), float(y), str(c))
                  for c, x, y in zip(reports["code"], reports["lon"], reports["lat"],
                                     strict=True))
    return Gazetteer.of(places)
