"""Import submissions of the generated XLSForm exported from ODK Central or KoboToolbox.

Accepted files:

- ODK Central CSV (``<form>.csv`` from the submissions zip; columns ``ramp-running_slope_pct``,
  ``location-Latitude``/``-Longitude``/``-Accuracy``, ``meta-instanceID``, ``SubmissionDate``);
- ODK Central OData JSON (``{"value": [...]}``; nested groups, GeoJSON ``location``, ``__id``);
- KoboToolbox CSV (``ramp/running_slope_pct`` or bare names, ``;`` or ``,`` separated;
  ``_location_latitude``... or a ``location`` "lat lon alt accuracy" string; ``_submission_time``)
- KoboToolbox JSON (``{"results": [...]}`` or a list; ``meta/instanceID``, ``_geolocation``).

Rules:

- **All or nothing per file**: every row is validated first; if any is bad, an
  :class:`ImportRejected` error lists *every* bad row with field, value and reason, and nothing is
  written. Otherwise all rows go in one transaction, stored with batched statements
  (:mod:`audit.storage.bulk`: the same rows the one-at-a-time repository calls store). The
  rows of each facility type are scored at once (:mod:`audit.bulk_scoring`: the evaluations
  ``audit.scoring.evaluate`` gives, with their JSON text); a type with a bad row is scored row
  by row, so that every problem is named by row, field and value.
- **Idempotent** on the submission's ``instanceID``, used as the audit's idempotency key:
  importing the same file twice adds nothing the second time.
- A submission within ``duplicate_radius_m`` of a facility of the same type is recorded as a
  re-audit of that facility; otherwise a facility is created, snapped to its street and district.
- Coordinates are WGS84 (what GPS gives) unless ``crs`` says GCJ-02 or BD-09.
- Measurements are read like the app's form (:func:`audit.model.check_measurements`): a
  contradiction (``bollards_present`` = no with a bollard gap) rejects the row, naming both
  fields; a value outside its plausible range (a unit slip?) is imported but reported in
  :attr:`ImportReport.suspect` with "did you mean" hints, unless the inspector ticked it in the
  form's ``confirmed_values`` question; ``strict=True`` rejects such rows instead.
- Photos named in ``photo_1..3`` are read from the attachments zip and checked like uploads.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np

from audit.actors import require
from audit.archives import Limits, open_zip, zip_entry
from audit.bulk_scoring import ScoredAudit, score_batch
from audit.errors import InputError, Problem
from audit.inspect import gps_needs_confirmation, snap_location, snap_streets, to_wgs84_point
from audit.io.xlsform import BOOL_NO, BOOL_NOT_CHECKED, BOOL_YES, LOCATION_FIELD, PHOTO_FIELDS
from audit.model import CONFIRM_KEY, FACILITY_TYPES, schema, suspect_of
from audit.photos import store_photo_info
from audit.reaudit import Combined, FacilityState, current_state, evaluate_combined, state_of
from audit.scoring import Evaluation, evaluate
from audit.settings import Settings, get_settings

if TYPE_CHECKING:
    import networkx as nx

    from audit.storage.repository import AuditRecord, FacilityRecord, Repository

Progress = Callable[[int, int], None]
Method = Literal["bulk", "rows"]
METHODS: Final = ("bulk", "rows")
ID_KEYS: Final = ("meta/instanceID", "meta-instanceID", "instanceID", "__id", "KEY")
TIME_KEYS: Final = ("SubmissionDate", "_submission_time", "__system/submissionDate", "end")
MAX_FILE_BYTES: Final = 200 * 1024 * 1024
SEPARATORS: Final = ("/", "-", ".")
_BOOL_WORDS: Final = {BOOL_YES: True, BOOL_NO: False, BOOL_NOT_CHECKED: None}


@dataclass(frozen=True)
class RowProblem:
    """One bad value in one submission: row number (1 = first data row), field, value, reason."""

    row: int
    instance_id: str
    field: str
    value: Any
    reason: str
    #: the submission's facility type when known (to name the field in the inspector's language)
    facility_type: str = ""
    #: message key and parameters for a person (see :class:`audit.errors.Problem`)
    code: str = ""
    params: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return f"row {self.row} ({self.instance_id or 'no instanceID'}): `{self.field}` = " \
               f"{self.value!r}: {self.reason}"


class ImportRejected(InputError):
    """The file has bad rows; ``rows`` lists each (nothing was imported)."""

    def __init__(self, rows: list[RowProblem], source: str) -> None:
        self.rows = rows
        problems = [Problem(f"row {r.row}: {r.field}", r.value, r.reason) for r in rows]
        super().__init__(problems, f"{source}: {len({r.row for r in rows})} bad row(s), "
                                   "nothing imported")


@dataclass
class ImportReport:
    """What an import did."""

    source: str
    rows: int = 0
    imported: int = 0
    already_imported: int = 0
    created_facilities: int = 0
    reaudits: int = 0
    photos: int = 0
    audit_ids: list[int] = field(default_factory=list)
    #: values outside their plausible range that were imported unconfirmed (not yet scored)
    suspect: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True)
class Submission:
    """One validated submission, ready to store."""

    row: int
    instance_id: str
    facility_type: str
    lon: float
    lat: float
    accuracy_m: float | None
    measurements: dict[str, Any]
    name: str
    address: str
    notes: str
    submitted_at: datetime | None
    photos: tuple[str, ...]
    suspect: tuple[RowProblem, ...] = ()
    #: the one evaluation of the measurements, made while validating (for the whole file at
    #: once by the bulk import); stored as it is
    evaluation: Evaluation | ScoredAudit | None = None
    #: the district the point lies in (found while validating)
    district_code: str | None = None


# ---------------------------------------------------------------------------- reading
def read_records(path: Path | str) -> list[dict[str, Any]]:
    """Rows of an export as flat dicts with ``/``-joined keys (CSV or JSON, Central or Kobo)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(Problem("file", str(p), "an existing CSV or JSON export file"))
    if p.stat().st_size > MAX_FILE_BYTES:
        raise InputError(Problem("file", str(p), f"at most {MAX_FILE_BYTES // 2**20} MB"))
    text = _decode(p.read_bytes(), p.name)
    stripped = text.lstrip()
    if p.suffix.lower() == ".json" or stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(Problem("file", p.name, f"valid JSON ({exc})")) from None
        if isinstance(data, dict):
            data = data.get("value", data.get("results", data.get("data")))
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError(Problem("file", p.name, 'a JSON list of submissions, {"value": '
                                     '[...]} (ODK Central) or {"results": [...]} (Kobo)'))
        return [_flatten(r) for r in data]
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    extra = "\x00extra"  # cells beyond the header: the columns are shifted, refuse the file
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect, restkey=extra)
    try:
        header = reader.fieldnames or []
        if not any(name.strip() for name in header):
            raise InputError(Problem("file", p.name, "a CSV file with a header row"))
        rows = []
        for row in reader:
            if extra in row:
                raise InputError(Problem(f"{p.name} line {reader.line_num}", row[extra],
                                         f"at most {len(header)} cells, as in the "
                                         "header row (a stray separator or quote?)"))
            rows.append(dict(row))
        return rows
    except csv.Error as exc:
        raise InputError(Problem("file", p.name, f"a well-formed CSV file (line "
                                 f"{reader.line_num}: {exc})")) from None


def _decode(raw: bytes, name: str) -> str:
    """The text of an export: UTF-8 with or without BOM; anything else is refused by name."""
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InputError(Problem("file", name, "a CSV or JSON export, not an Excel workbook or "
                                 "zip: in ODK Central / Kobo download the CSV (or JSON) export"))
    if b"\x00" in raw[:65536]:
        raise InputError(Problem("file", name, "a text CSV or JSON export (this file is binary)"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            raw.decode("gb18030")
            hint = " — it looks like GBK/GB18030 (Excel on Chinese Windows)"
        except UnicodeDecodeError:
            pass
        raise InputError(Problem(
            "file", name, f"UTF-8 text (with or without BOM); byte {exc.start} is not UTF-8"
            f"{hint}: save it as \"CSV UTF-8\" and import again")) from None


def _flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value.get("type") != "Point":
            out.update(_flatten(value, f"{name}/"))
        else:
            out[name] = value
    return out


@lru_cache(maxsize=4096)
def _split(key: str) -> tuple[str, str]:
    """("group", "name") of a column name like ``ramp-rise_mm``, ``ramp/rise_mm`` or ``rise_mm``."""
    for sep in SEPARATORS:
        if sep in key:
            head, _, tail = key.rpartition(sep)
            return head.rpartition(sep)[2], tail
    return "", key


class _Columns:
    """Where each value lives among a record's keys, worked out once per distinct header.

    ``lookup(rec, *names)`` returns the first non-empty value of the keys named exactly, then of
    any key whose last part is one of ``names``, in the record's key order — the rule the
    submissions of every export layout are read by. CSV rows share one header, so the column
    names are split once per file rather than once per row.
    """

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self.parts = {k: _split(k) for k in keys}
        self.location_keys = tuple(k for k in keys if self.parts[k][1] == LOCATION_FIELD)
        self._candidates: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._fields: dict[str, tuple[tuple[str, str], ...]] = {}

    def candidates(self, names: tuple[str, ...]) -> tuple[str, ...]:
        found = self._candidates.get(names)
        if found is None:
            present = set(self.keys)
            wanted = set(names)
            found = (*(n for n in names if n in present),
                     *(k for k in self.keys if self.parts[k][1] in wanted))
            self._candidates[names] = found
        return found

    def lookup(self, rec: Mapping[str, Any], *names: str) -> Any:
        for key in self.candidates(names):
            value = rec[key]
            if value not in (None, ""):
                return value
        return None

    def fields_of(self, ftype: str) -> tuple[tuple[str, str], ...]:
        """(key, name) of the record's measurement and ``confirmed_values`` columns of a
        facility type (in its group, or in no group), in key order."""
        found = self._fields.get(ftype)
        if found is None:
            known = set(schema(ftype)) | {CONFIRM_KEY}
            found = tuple((k, self.parts[k][1]) for k in self.keys
                          if self.parts[k][1] in known and self.parts[k][0] in (ftype, ""))
            self._fields[ftype] = found
        return found


@lru_cache(maxsize=64)
def _columns(keys: tuple[str, ...]) -> _Columns:
    return _Columns(keys)


def _plan(rec: Mapping[str, Any]) -> _Columns:
    return _columns(tuple(rec))


def _lookup(rec: Mapping[str, Any], *names: str) -> Any:
    return _plan(rec).lookup(rec, *names)


def _location(rec: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """(lon, lat, accuracy) from any of the export layouts (values still unchecked)."""
    cols = _plan(rec)
    for key in cols.location_keys:
        value = rec[key]
        if isinstance(value, dict):  # GeoJSON point
            coords = value.get("coordinates") or []
            props = value.get("properties") or {}
            return (coords[0] if coords else None, coords[1] if len(coords) > 1 else None,
                    props.get("accuracy"))
    lat = cols.lookup(rec, "location-Latitude", "location/Latitude", "_location_latitude")
    lon = cols.lookup(rec, "location-Longitude", "location/Longitude", "_location_longitude")
    acc = cols.lookup(rec, "location-Accuracy", "location/Accuracy", "_location_precision")
    if lat is not None and lon is not None:
        return lon, lat, acc
    raw = cols.lookup(rec, LOCATION_FIELD)
    if isinstance(raw, str) and raw.strip():
        parts = raw.split()
        if len(parts) >= 2:
            return parts[1], parts[0], parts[3] if len(parts) > 3 else None
        return raw, None, None
    geo = rec.get("_geolocation")
    if isinstance(geo, list) and len(geo) == 2 and None not in geo:
        return geo[1], geo[0], acc
    return None, None, None


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------- validating
def parse_submission(
    rec: Mapping[str, Any], row: int, *, crs: str, settings: Settings,
    attachments: set[str] | None, accept_poor_gps: bool = False, strict: bool = False,
    positions: Mapping[int, tuple[float, float, str]] | None = None,
    scored: Mapping[int, ScoredAudit] | None = None,
) -> tuple[Submission | None, list[RowProblem]]:
    """Validate one record; return (submission or None, every problem in it).

    ``strict`` makes an unconfirmed value outside its plausible range a problem of the row.
    ``positions`` maps row numbers to the (WGS84 lon, lat, district) already found for them
    (the bulk import reads the whole file's positions at once); other rows are read here.
    ``scored`` maps row numbers to the evaluation of their measurements already made (the bulk
    import scores each facility type's rows at once); other rows are scored here.
    """
    cols = _plan(rec)
    iid = str(cols.lookup(rec, *ID_KEYS) or "").strip()
    problems: list[RowProblem] = []

    def bad(name: str, value: Any, reason: str) -> None:
        problems.append(RowProblem(row, iid, name, value, reason))

    for key, value in rec.items():  # PostgreSQL text cannot hold NUL: refuse it by row
        if "\x00" in key or "\x00" in (value if type(value) is str else str(value)):
            shown = str(value).replace("\x00", "\\x00")
            bad(str(key).replace("\x00", "\\x00"), shown[:40],
                "text without NUL (0x00) characters")
    if not iid:
        bad("instanceID", None, "the submission's meta/instanceID (every ODK/Kobo export has it)")
    elif len(iid) > 128:
        bad("instanceID", iid[:20] + "…", "at most 128 characters")
    ftype = str(cols.lookup(rec, "facility_type") or "").strip()
    if ftype not in FACILITY_TYPES:
        bad("facility_type", ftype or None, "one of " + ", ".join(FACILITY_TYPES))
    lon = lat = accuracy = district = None
    raw_lon, raw_lat, raw_acc = _location(rec)
    known = positions.get(row) if positions is not None else None
    if raw_lon is None or raw_lat is None:
        bad(LOCATION_FIELD, None, "a GPS position (latitude and longitude)")
    elif known is not None:
        lon, lat, district = known
    else:
        try:
            lon, lat = to_wgs84_point(raw_lon, raw_lat, crs)
            from geodata import district_of

            district = str(district_of(lon, lat, boundary_file=settings.boundary_file))
        except InputError as exc:
            lon = lat = None
            for p in exc.problems:
                bad(LOCATION_FIELD, p.value, p.allowed)
    if raw_acc not in (None, ""):
        try:
            accuracy = float(raw_acc)
        except (TypeError, ValueError):
            bad("location accuracy", raw_acc, "a number of metres")
    if (accuracy is not None and gps_needs_confirmation(accuracy, settings)
            and not accept_poor_gps):
        bad("location accuracy", accuracy,
            f"at most {settings.gps_accuracy_limit_m:g} m (re-import with --accept-poor-gps "
            "to accept poorer fixes)")
    measurements: dict[str, Any] = {}
    suspect: tuple[RowProblem, ...] = ()
    evaluation: Evaluation | ScoredAudit | None = None
    if ftype in FACILITY_TYPES:
        fields = schema(ftype)
        raw = _raw_measurements(cols, rec, ftype)
        try:
            known_score = scored.get(row) if scored is not None else None
            evaluation = known_score if known_score is not None \
                else evaluate(ftype, raw, strict=strict)
            measurements = raw
            unconfirmed = [suspect_of(fields[s["field"]], s["value"])
                           for s in evaluation.suspects if not s.get("confirmed")]
            suspect = tuple(RowProblem(row, iid, s.field, s.value, s.reason(), ftype)
                            for s in unconfirmed if s is not None)
        except InputError as exc:
            for p in exc.problems:
                bad(p.field, p.value, p.allowed)
    photos: list[str] = []
    for name in PHOTO_FIELDS:
        value = cols.lookup(rec, name)
        if value in (None, ""):
            continue
        base = PurePosixPath(str(value)).name
        if attachments is None:
            continue  # photos skipped when no attachments zip is given
        if base not in attachments:
            bad(name, base, "a file in the attachments zip")
        else:
            photos.append(base)
    if problems:
        return None, problems
    assert lon is not None and lat is not None
    return Submission(
        row=row, instance_id=iid, facility_type=ftype, lon=lon, lat=lat, accuracy_m=accuracy,
        measurements=measurements, name=str(cols.lookup(rec, "facility_name") or "")[:200],
        address=str(cols.lookup(rec, "address") or "")[:500],
        notes=str(cols.lookup(rec, "notes") or ""),
        submitted_at=_time(cols.lookup(rec, *TIME_KEYS)), photos=tuple(photos), suspect=suspect,
        evaluation=evaluation, district_code=district,
    ), []


def _raw_measurements(cols: _Columns, rec: Mapping[str, Any], ftype: str) -> dict[str, Any]:
    """The measurement cells of a record of a known facility type (yes/no words read, "not
    checked" and empty cells left out), as the app's form hands them to the scorer."""
    fields = schema(ftype)
    raw: dict[str, Any] = {}
    for key, name in cols.fields_of(ftype):
        value = rec[key]
        if value in (None, ""):
            continue
        if name == CONFIRM_KEY:
            raw[CONFIRM_KEY] = value
        else:
            spec = fields[name]
            if spec.kind == "bool" and isinstance(value, str) and value in _BOOL_WORDS:
                value = _BOOL_WORDS[value]
                if value is None:
                    continue
            raw[name] = value
    return raw


def _scored(
    records: Sequence[Mapping[str, Any]], strict: bool
) -> dict[int, ScoredAudit]:
    """The evaluation of each row's measurements, each facility type's rows scored at once
    (:func:`audit.bulk_scoring.score_batch`). A type with a bad row is left out: its rows
    are scored one by one while validating, which words each problem by row."""
    by_type: dict[str, tuple[list[int], list[dict[str, Any]]]] = {}
    for i, rec in enumerate(records, start=1):
        cols = _plan(rec)
        ftype = str(cols.lookup(rec, "facility_type") or "").strip()
        if ftype in FACILITY_TYPES:
            rows, raws = by_type.setdefault(ftype, ([], []))
            rows.append(i)
            raws.append(_raw_measurements(cols, rec, ftype))
    out: dict[int, ScoredAudit] = {}
    for ftype, (rows, raws) in by_type.items():
        try:
            found = score_batch(ftype, raws, strict=strict)
        except InputError:
            continue
        out.update(zip(rows, found, strict=True))
    return out


def _zip_index(archive: zipfile.ZipFile) -> dict[str, str]:
    return {PurePosixPath(n).name: n for n in archive.namelist() if not n.endswith("/")}


# ---------------------------------------------------------------------------- importing
def import_odk(
    repo: Repository,
    path: Path | str,
    *,
    attachments: Path | str | None = None,
    crs: str = "wgs84",
    network: nx.MultiDiGraph | None = None,
    progress: Progress | None = None,
    accept_poor_gps: bool = False,
    settings: Settings | None = None,
    strict: bool = False,
    method: Method = "bulk",
) -> ImportReport:
    """Validate and import one export file in the caller's unit of work; see the module docstring.

    Every row is validated before anything is written; then all rows are stored through
    ``repo`` (one transaction, so a failure leaves nothing behind — photo files written for the
    import are removed when the unit of work rolls back). ``progress(done, total)`` is called
    while validating and storing (the page's progress bar), about a hundred times per file.
    Raises :class:`ImportRejected` listing every bad row when any row is bad.

    ``method="bulk"`` (the default) stores the rows with batched statements
    (:func:`audit.storage.bulk.submit_audits`); ``"rows"`` stores them one at a time through
    :meth:`Repository.create_facility` and :meth:`Repository.submit_audit`, the path it
    replaced, kept as the reference the tests and the benchmark compare with. Both store the
    same facilities, audits, findings and change log.
    """
    require(repo.actor, "data.import")
    if method not in METHODS:
        raise InputError(Problem("method", method, "one of " + ", ".join(METHODS)))
    cfg = settings or get_settings()
    source = Path(path).name
    records = read_records(path)
    limits = Limits.upload(cfg)
    archive = open_zip(attachments, limits) if attachments else None
    try:
        index = _zip_index(archive) if archive else None
        names = set(index) if index is not None else None
        total = len(records)
        tick = _ticker(progress, 2 * total)
        positions = _positions(records, crs, cfg) if method == "bulk" else None
        scored = _scored(records, strict) if method == "bulk" else None
        subs: list[Submission] = []
        bad_rows: list[RowProblem] = []
        seen: dict[str, int] = {}
        for i, rec in enumerate(records, start=1):
            sub, problems = parse_submission(
                rec, i, crs=crs, settings=cfg, attachments=names,
                accept_poor_gps=accept_poor_gps, strict=strict, positions=positions,
                scored=scored,
            )
            bad_rows.extend(problems)
            if sub is not None:
                if sub.instance_id in seen:
                    first = seen[sub.instance_id]
                    bad_rows.append(RowProblem(i, sub.instance_id, "instanceID", sub.instance_id,
                                               f"unique in the file (also row {first})"))
                seen[sub.instance_id] = i
                subs.append(sub)
            tick(i)
        if bad_rows:
            raise ImportRejected(bad_rows, source)
        report = ImportReport(source=source, rows=total,
                              suspect=[p for sub in subs for p in sub.suspect])
        if method == "rows":
            for j, sub in enumerate(subs, start=1):
                _store(repo, sub, archive, index, network, cfg, report, limits)
                tick(total + j)
        else:
            _store_bulk(repo, subs, archive, index, network, cfg, report, limits,
                        lambda done, todo: tick(total + done * total // max(todo, 1)))
        if progress:
            progress(2 * total, 2 * total)
        return report
    finally:
        if archive is not None:
            archive.close()


def _ticker(progress: Progress | None, total: int) -> Callable[[int], None]:
    """``progress`` called at most about a hundred times over ``total`` steps (a page redraws
    its bar on every call)."""
    step = max(1, total // 100)
    shown = [-1]

    def tick(done: int) -> None:
        if progress is not None and done > shown[0] and (done % step == 0 or done >= total):
            shown[0] = done
            progress(done, total)

    return tick


def _positions(
    records: Sequence[Mapping[str, Any]], crs: str, cfg: Settings
) -> dict[int, tuple[float, float, str]]:
    """(WGS84 lon, lat, district code) of each row whose position is valid, read for the whole
    file at once: WGS84 positions are checked and placed in districts as arrays; GCJ-02 and BD-09
    ones are converted one by one (the scalar conversion, to the last bit). Rows left out (no
    position, not numbers, out of range, outside the city) are read by the row's own validation,
    which words the problem."""
    rows: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    for i, rec in enumerate(records, start=1):
        raw_lon, raw_lat, _ = _location(rec)
        if raw_lon is None or raw_lat is None:
            continue
        try:
            x, y = float(raw_lon), float(raw_lat)
        except (TypeError, ValueError, OverflowError):
            continue
        rows.append(i)
        lons.append(x)
        lats.append(y)
    x_arr, y_arr = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(x_arr) & np.isfinite(y_arr) & (np.abs(x_arr) <= 180) \
            & (np.abs(y_arr) <= 90)
    if str(crs).strip().lower().replace("-", "").replace("_", "") != "wgs84":
        for k in np.flatnonzero(ok):
            try:
                x_arr[k], y_arr[k] = to_wgs84_point(x_arr[k], y_arr[k], crs)
            except InputError:
                ok[k] = False
    picked = np.flatnonzero(ok)
    if picked.size == 0:
        return {}
    from geodata import district_of_many

    codes = district_of_many(x_arr[picked], y_arr[picked], outside="none",
                             boundary_file=cfg.boundary_file)
    return {rows[k]: (float(x_arr[k]), float(y_arr[k]), str(code))
            for k, code in zip(picked.tolist(), codes, strict=True) if code is not None}


def _store_photos(
    repo: Repository, sub: Submission, archive: zipfile.ZipFile | None,
    index: dict[str, str] | None, cfg: Settings, source: str, limits: Limits,
) -> list[int]:
    """Store the submission's photos from the attachments zip; a bad one rejects its row."""
    photo_ids: list[int] = []
    for name in sub.photos:
        assert archive is not None and index is not None
        try:
            # streamed and bounded: the photo reader takes at most photo_max_bytes + 1 bytes,
            # the entry stream refuses more than the entry declared or a bomb's ratio
            with zip_entry(archive, index[name], limits, field=name) as data:
                stored = store_photo_info(repo, data, settings=cfg, field=name)
        except InputError as exc:
            raise ImportRejected([RowProblem(sub.row, sub.instance_id, name, p.value, p.allowed,
                                             code=p.code, params=dict(p.params))
                                  for p in exc.problems], source) from None
        photo_ids.append(stored.photo_id)
    return photo_ids


def _store_bulk(
    repo: Repository, subs: list[Submission], archive: zipfile.ZipFile | None,
    index: dict[str, str] | None, network: Any, cfg: Settings, report: ImportReport,
    limits: Limits, progress: Progress,
) -> None:
    """Store ``subs`` with batched statements in one pass; each re-audit is scored on its
    facility's combined state (docs/SCORING.md §3a) as the row path does."""
    from audit.storage.bulk import AuditInput, submit_audits

    items = []
    for sub in subs:
        assert sub.evaluation is not None  # every validated submission carries its evaluation
        items.append(AuditInput(
            facility_type=sub.facility_type, lon=sub.lon, lat=sub.lat,
            evaluation=sub.evaluation, idempotency_key=sub.instance_id, name=sub.name,
            address=sub.address, district_code=sub.district_code, notes=sub.notes,
            submitted_at=sub.submitted_at, gps_accuracy_m=sub.accuracy_m, source="odk"))

    def photos(i: int) -> list[int]:
        return _store_photos(repo, subs[i], archive, index, cfg, report.source, limits)

    def rescore(i: int, latest: AuditRecord) -> tuple[Evaluation, dict[str, Any]]:
        sub = subs[i]
        evaluation, combined = _combined(state_of(latest, sub.facility_type), sub, report.source)
        return evaluation, combined.measured_from

    result = submit_audits(
        repo, items, radius_m=cfg.duplicate_radius_m,
        streets=lambda points: snap_streets([p[0] for p in points], [p[1] for p in points],
                                            network, settings=cfg),
        photos=photos, progress=progress, rescore=rescore,
    )
    stored = [a for a in result.audit_ids if a is not None]
    report.imported += len(stored)
    report.already_imported += result.already_stored
    report.created_facilities += result.created_facilities
    report.reaudits += result.reaudits
    report.photos += result.photos
    report.audit_ids.extend(stored)


def _combined(state: FacilityState | None, sub: Submission,
              source: str) -> tuple[Evaluation, Combined]:
    """The re-audit ``sub`` scored on the facility's combined state; a problem rejects its row."""
    try:
        return evaluate_combined(state, sub.facility_type, sub.measurements)
    except InputError as exc:
        raise ImportRejected([RowProblem(sub.row, sub.instance_id, p.field, p.value, p.allowed,
                                         code=p.code, params=dict(p.params))
                              for p in exc.problems], source) from None


def _store(
    repo: Repository, sub: Submission, archive: zipfile.ZipFile | None,
    index: dict[str, str] | None, network: Any, cfg: Settings, report: ImportReport,
    limits: Limits,
) -> None:
    existing = repo.audit_by_idempotency_key(sub.instance_id)
    if existing is not None:
        report.already_imported += 1
        return
    near = repo.nearby_facilities(sub.facility_type, sub.lon, sub.lat, cfg.duplicate_radius_m)
    if near:
        facility = near[0][0]
        report.reaudits += 1
    else:
        street, district = snap_location(sub.lon, sub.lat, network, settings=cfg)
        facility = repo.create_facility(sub.facility_type, sub.lon, sub.lat, name=sub.name,
                                        address=sub.address, district_code=district,
                                        street=street)
        report.created_facilities += 1
    _store_audit(repo, sub, facility, bool(near), archive, index, cfg, report, limits)


def _store_audit(
    repo: Repository, sub: Submission, facility: FacilityRecord, reaudit: bool,
    archive: zipfile.ZipFile | None, index: dict[str, str] | None, cfg: Settings,
    report: ImportReport, limits: Limits,
) -> None:
    """Store ``sub`` as an audit of ``facility`` (a re-audit is scored on its combined state)."""
    photo_ids = _store_photos(repo, sub, archive, index, cfg, report.source, limits)
    assert sub.evaluation is not None  # every validated submission carries its evaluation
    evaluation = sub.evaluation
    measured_from: dict[str, dict[str, Any]] = {}
    state = current_state(repo, facility.id) if reaudit else None
    if state is not None:  # a re-audit: scored on the combined state (docs/SCORING.md §3a)
        evaluation, combined = _combined(state, sub, report.source)
        measured_from = combined.measured_from
    record = repo.submit_audit(
        facility.id, evaluation, idempotency_key=sub.instance_id, notes=sub.notes,
        submitted_at=sub.submitted_at, source="odk", gps_accuracy_m=sub.accuracy_m,
        photo_ids=photo_ids, measured_from=measured_from,
    )
    report.imported += 1
    report.photos += len(photo_ids)
    report.audit_ids.append(record.id)


def problems_table(rows: Iterable[RowProblem]) -> list[dict[str, Any]]:
    """The validation report as plain rows (for a table on the page or a CSV)."""
    return [{"row": r.row, "instance_id": r.instance_id, "field": r.field,
             "value": r.value, "reason": r.reason} for r in rows]
