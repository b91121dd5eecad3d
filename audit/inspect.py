"""The inspector's side of the library: locate, de-duplicate, snap, evaluate, save, compare.

Everything an inspector page (or the ODK importer) needs, without Streamlit:

- :func:`to_wgs84_point` converts typed/pasted coordinates in WGS84, GCJ-02 (高德/腾讯) or BD-09
  (百度) to WGS84 at the boundary, and checks them;
- :func:`gps_needs_confirmation` / :func:`check_gps_accuracy`: a fix worse than
  ``settings.gps_accuracy_limit_m`` needs the inspector's explicit confirmation;
- :func:`find_duplicates`: facilities of the same type within ``settings.duplicate_radius_m``;
- :func:`preview`: live evaluation of a partly filled form, with every bad field listed;
- :func:`save_audit`: create-or-re-audit in **one transaction** — new facility snapped to its
  street (:mod:`geodata.snap`) and district (:func:`geodata.district_of`), the audit, its photos;
  raises :class:`DuplicateFacility` when a facility of the same type is within the radius
  (unless the inspector chose to create a new one anyway), ``ConflictError`` when someone else
  re-audited the facility meanwhile, and replays an idempotency key instead of saving twice;
- :func:`diff_audits`: field-by-field differences between two audits of a facility.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from audit.actors import require
from audit.drafts import delete_draft
from audit.errors import AuditError, InputError, Problem
from audit.frames import frame_rows
from audit.model import coerce_fields, schema
from audit.settings import Settings, get_settings
from audit.storage.repository import AuditRecord, FacilityRecord, Repository, StreetRef
from geodata.crs import check_point

if TYPE_CHECKING:
    import networkx as nx

    from audit.scoring import Evaluation

LocationSource = Literal["map", "gps", "typed", "odk"]
CRS_CHOICES: tuple[str, ...] = ("wgs84", "gcj02", "bd09")


class DuplicateFacility(AuditError):
    """A facility of the same type exists within the duplicate radius: offer a re-audit.

    ``candidates`` holds (facility, distance in metres), nearest first.
    """

    def __init__(self, candidates: list[tuple[FacilityRecord, float]], radius_m: float) -> None:
        self.candidates = candidates
        self.radius_m = radius_m
        near = ", ".join(f"#{f.id} {f.name or f.facility_type} ({d:.0f} m)" for f, d in candidates)
        super().__init__(
            f"a facility of the same type is within {radius_m:g} m: {near}; re-audit it, or "
            "confirm that this is a different facility"
        )


def to_wgs84_point(lon: Any, lat: Any, crs: str = "wgs84") -> tuple[float, float]:
    """Convert one typed or pasted coordinate pair from ``crs`` to a checked WGS84 pair."""
    from geodata.coords import to_wgs84

    lon_f, lat_f = check_point(lon, lat)
    x, y = to_wgs84(lon_f, lat_f, crs)
    return check_point(float(x), float(y))


def parse_pasted_coordinates(text: str, crs: str = "wgs84") -> tuple[float, float]:
    """Parse ``"lon, lat"`` (comma, space or Chinese comma separated) and convert to WGS84.

    Map apps copy ``lon,lat`` (高德) or ``lat,lon`` (some phones); a pair whose first number is a
    plausible latitude for China and second a longitude is swapped back, since Yangjiang's
    longitude (~111.9) can never be a latitude.
    """
    cleaned = str(text).replace("，", ",").replace(";", ",").replace("；", ",").strip()
    parts = [p for p in cleaned.replace(",", " ").split() if p]
    if len(parts) != 2:
        raise InputError(Problem("coordinates", text, "two numbers: longitude, latitude",
                                 code="coordinates"))
    try:
        a, b = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(
            Problem("coordinates", text, "two numbers: longitude, latitude", code="coordinates")
        ) from None
    lon, lat = (b, a) if abs(a) <= 90 < abs(b) else (a, b)
    return to_wgs84_point(lon, lat, crs)


def gps_needs_confirmation(accuracy_m: float | None, settings: Settings | None = None) -> bool:
    """True when a GPS fix is worse than ``gps_accuracy_limit_m`` (or its accuracy unknown)."""
    limit = (settings or get_settings()).gps_accuracy_limit_m
    return accuracy_m is None or not (0 <= float(accuracy_m) <= limit)


def check_gps_accuracy(
    accuracy_m: float | None, *, confirmed: bool, settings: Settings | None = None
) -> None:
    """Raise :class:`InputError` for a poor GPS fix that the inspector has not confirmed."""
    cfg = settings or get_settings()
    if gps_needs_confirmation(accuracy_m, cfg) and not confirmed:
        shown = "unknown" if accuracy_m is None else f"{float(accuracy_m):.0f} m"
        raise InputError(
            Problem(
                "gps_accuracy_m",
                shown,
                f"at most {cfg.gps_accuracy_limit_m:g} m, or confirm the position explicitly",
            )
        )


def find_duplicates(
    repo: Repository,
    facility_type: str,
    lon: float,
    lat: float,
    *,
    settings: Settings | None = None,
) -> list[tuple[FacilityRecord, float]]:
    """Facilities of ``facility_type`` within ``duplicate_radius_m`` of a WGS84 point."""
    radius = (settings or get_settings()).duplicate_radius_m
    return repo.nearby_facilities(facility_type, lon, lat, radius)


def snap_location(
    lon: float,
    lat: float,
    network: nx.MultiDiGraph | None,
    *,
    settings: Settings | None = None,
) -> tuple[StreetRef | None, str]:
    """(street the point snaps to, or None; district code). Outside the city raises InputError."""
    from geodata import district_of

    cfg = settings or get_settings()
    district = str(district_of(lon, lat, boundary_file=cfg.boundary_file))
    return snap_streets([lon], [lat], network, settings=cfg)[0], district


def snap_streets(
    lons: Sequence[float],
    lats: Sequence[float],
    network: nx.MultiDiGraph | None,
    *,
    settings: Settings | None = None,
) -> list[StreetRef | None]:
    """The street each WGS84 point snaps to within ``settings.snap_limit_m`` (None: no street
    that near, or no network), in one vectorised call."""
    if network is None or len(lons) == 0:
        return [None] * len(lons)
    from geodata.snap import snap_points

    cfg = settings or get_settings()
    frame = snap_points(network, list(lons), list(lats), max_distance_m=cfg.snap_limit_m)
    return [
        StreetRef(
            u=int(row.u),
            v=int(row.v),
            key=int(row.key),
            name=None if row.street_name is None else str(row.street_name),
            distance_m=float(row.distance_m),
        )
        if bool(row.snapped)
        else None
        for row in frame_rows(frame)
    ]


def check_fields(
    facility_type: str, raw: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Problem]]:
    """Split raw form values into (valid values, problems) field by field (for inline messages)."""
    return coerce_fields(facility_type, raw)


def preview(
    facility_type: str, raw: Mapping[str, Any]
) -> tuple[Evaluation | None, list[Problem]]:
    """Evaluate what is valid so far; return (evaluation or None, every problem found).

    Bad fields are left out of the evaluation (shown inline instead); contradictions between
    fields are returned as problems with no evaluation.
    """
    from audit.scoring import evaluate

    good, problems = check_fields(facility_type, raw)
    try:
        return evaluate(facility_type, good), problems
    except InputError as exc:
        return None, problems + exc.problems


@dataclass(frozen=True)
class AuditRequest:
    """What an inspector submits. ``facility_id=None`` means a new facility at (lon, lat, crs)."""

    facility_type: str
    measurements: Mapping[str, Any]
    facility_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    location_source: LocationSource = "map"
    gps_accuracy_m: float | None = None
    gps_confirmed: bool = False
    name: str = ""
    address: str = ""
    notes: str = ""
    status: Literal["draft", "submitted"] = "submitted"
    idempotency_key: str | None = None
    expected_facility_version: int | None = None
    draft_audit_id: int | None = None
    draft_row_version: int | None = None
    photo_ids: Sequence[int] = ()
    allow_duplicate: bool = False
    source: str = "app"
    is_demo: bool = False
    #: a re-audit of an existing facility combines with its current state (audit.reaudit):
    #: ``full_audit`` says every item was re-checked (nothing is carried forward);
    #: ``discard`` names old values that no longer count although nothing new was measured
    full_audit: bool = False
    discard: Sequence[str] = ()
    #: the form's automatic draft (:mod:`audit.drafts`): submitting the audit deletes it, in the
    #: same transaction
    draft_key: str | None = None


@dataclass(frozen=True)
class SaveResult:
    """The saved audit and its facility; ``replayed`` when the idempotency key was seen before."""

    audit: AuditRecord
    facility: FacilityRecord
    created_facility: bool
    replayed: bool = False
    evaluation: dict[str, Any] = field(default_factory=dict)
    #: carried values a re-audit dropped, field → reason (see :class:`audit.reaudit.Combined`)
    dropped: dict[str, str] = field(default_factory=dict)


def _existing_by_key(repo: Repository, key: str | None) -> SaveResult | None:
    if not key:
        return None
    record = repo.audit_by_idempotency_key(key)
    if record is None:
        return None
    return SaveResult(record, repo.get_facility(record.facility_id), False, True,
                      record.evaluation or {})


def save_audit(
    repo: Repository,
    request: AuditRequest,
    *,
    network: nx.MultiDiGraph | None = None,
    settings: Settings | None = None,
) -> SaveResult:
    """Create a facility and its first audit, or re-audit an existing one — all or nothing.

    Runs in the caller's unit of work (``repo``, acting for the inspector; open it with
    ``write=True``). Validates everything first and reports every problem at once
    (measurements, location, GPS accuracy). Raises :class:`DuplicateFacility` for a likely
    duplicate of a new facility, :class:`~audit.errors.ConflictError` if the facility changed
    since ``expected_facility_version``, and returns the stored audit (``replayed=True``) when
    the same ``idempotency_key`` is submitted again.
    """
    from audit.reaudit import Combined, current_state, evaluate_combined

    cfg = settings or get_settings()
    actor = repo.actor
    require(actor, "audit.submit" if request.status == "submitted" else "audit.draft")
    replay = _existing_by_key(repo, request.idempotency_key)
    if replay is not None:
        return replay
    problems: list[Problem] = []
    evaluation: Evaluation | None = None
    combined = Combined(dict(request.measurements))
    existing_id = request.facility_id
    if request.draft_audit_id is not None:
        existing_id = repo.get_audit(request.draft_audit_id).facility_id
    # a submitted re-audit is scored on the facility's combined state (docs/SCORING.md §3a)
    state = (current_state(repo, existing_id)
             if existing_id is not None and request.status == "submitted" else None)
    try:  # the one evaluation of this save: the repository stores it as given
        evaluation, combined = evaluate_combined(
            state, request.facility_type, request.measurements, full=request.full_audit,
            discard=request.discard)
    except InputError as exc:
        problems.extend(exc.problems)
    lon = lat = None
    located = True
    if request.facility_id is None and request.draft_audit_id is None:
        require(actor, "facility.create")
        if request.lon is None or request.lat is None:
            problems.append(Problem("location", None, "tap the map, use GPS or enter coordinates",
                                    code="location_missing"))
        else:
            try:
                lon, lat = to_wgs84_point(request.lon, request.lat, request.crs)
            except InputError as exc:
                problems.extend(exc.problems)
                located = False
        if request.location_source == "gps":
            try:
                check_gps_accuracy(request.gps_accuracy_m, confirmed=request.gps_confirmed,
                                   settings=cfg)
            except InputError as exc:
                problems.extend(exc.problems)
    street: StreetRef | None = None
    district: str | None = None
    if lon is not None and lat is not None and located:
        try:
            street, district = snap_location(lon, lat, network, settings=cfg)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems, "audit")
    assert evaluation is not None
    if lon is not None and lat is not None and not request.allow_duplicate:
        near = find_duplicates(repo, request.facility_type, lon, lat, settings=cfg)
        if near:
            raise DuplicateFacility(near, cfg.duplicate_radius_m)
    created = False
    expected: int | None
    if request.draft_audit_id is not None:
        if request.draft_row_version is None:
            raise InputError(Problem("draft_row_version", None, "the version of the draft"))
        record = repo.update_draft(
            request.draft_audit_id,
            evaluation,
            expected_row_version=request.draft_row_version,
            notes=request.notes,
            submit=request.status == "submitted",
            measured_from=combined.measured_from,
        )
        for photo_id in request.photo_ids:
            repo.attach_photo(record.id, photo_id)
        facility = repo.get_facility(record.facility_id)
    else:
        if request.facility_id is None:
            assert lon is not None and lat is not None
            facility = repo.create_facility(
                request.facility_type, lon, lat, name=request.name, address=request.address,
                district_code=district, street=street, is_demo=request.is_demo,
            )
            created = True
            expected = facility.version
        else:
            facility = repo.get_facility(request.facility_id)
            if facility.facility_type != request.facility_type:
                raise InputError(Problem("facility_type", request.facility_type,
                                         f"`{facility.facility_type}` (the facility's type)"))
            expected = request.expected_facility_version
        record = repo.submit_audit(
            facility.id,
            evaluation,
            idempotency_key=request.idempotency_key,
            notes=request.notes,
            status=request.status,
            expected_facility_version=expected,
            source=request.source,
            gps_accuracy_m=request.gps_accuracy_m,
            photo_ids=request.photo_ids,
            is_demo=request.is_demo,
            measured_from=combined.measured_from,
        )
        facility = repo.get_facility(facility.id)
    if request.draft_key and request.status == "submitted" and actor.user_id is not None:
        delete_draft(repo, request.draft_key)
    return SaveResult(record, facility, created, False, record.evaluation or {},
                      dict(combined.dropped))


def facility_version(repo: Repository, facility_id: int) -> int:
    """The current version of a facility (read it when the form opens; pass it back on save)."""
    return repo.get_facility(facility_id).version


def facility_history(repo: Repository, facility_id: int, *, include_drafts: bool = False
                     ) -> list[AuditRecord]:
    """Audits of a facility, newest first."""
    return repo.audit_history(facility_id, include_drafts=include_drafts)


@dataclass(frozen=True)
class FieldChange:
    """One difference between two audits: field, labels, unit, the two values, the kind."""

    field: str
    label_zh: str
    label_en: str
    unit: str | None
    before: Any
    after: Any
    change: Literal["added", "removed", "changed"]


def diff_measurements(
    facility_type: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[FieldChange]:
    """Field-by-field changes from ``before`` to ``after`` in schema order.

    A field absent (not measured) on one side is ``added``/``removed``, never read as zero;
    ``False`` and "not checked" are different values.
    """
    fields = schema(facility_type)
    out: list[FieldChange] = []
    names = list(fields) + sorted((set(before) | set(after)) - set(fields))
    for name in names:
        b = before.get(name)
        a = after.get(name)
        if b is None and a is None:
            continue
        if b is not None and a is not None and _same(b, a):
            continue
        kind: Literal["added", "removed", "changed"] = (
            "added" if b is None else "removed" if a is None else "changed"
        )
        spec = fields.get(name)
        out.append(FieldChange(name, spec.label_zh if spec else name,
                               spec.label_en if spec else name, spec.unit if spec else None,
                               b, a, kind))
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (a == b and type(a) is type(b))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-9
    return bool(a == b)


def diff_audits(
    facility_type: str, before: AuditRecord | Mapping[str, Any],
    after: AuditRecord | Mapping[str, Any],
) -> dict[str, Any]:
    """Differences between two audits: measurements, notes, verdict and failing clauses."""

    def get(obj: Any, key: str) -> Any:
        return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)

    def failing(obj: Any) -> set[str]:
        ev = get(obj, "evaluation") or {}
        return {f["rule_id"] for f in ev.get("findings", []) if f.get("status") == "fail"}

    return {
        "fields": diff_measurements(
            facility_type, get(before, "measurements") or {}, get(after, "measurements") or {}
        ),
        "notes": None if get(before, "notes") == get(after, "notes")
        else (get(before, "notes"), get(after, "notes")),
        "verdict": (get(before, "verdict"), get(after, "verdict")),
        "newly_failing": sorted(failing(after) - failing(before)),
        "fixed": sorted(failing(before) - failing(after)),
    }
