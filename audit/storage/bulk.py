"""Many submitted audits in one unit of work, written with batched statements.

The bulk twin of calling :meth:`Repository.create_facility` (when needed) and
:meth:`Repository.submit_audit` once per submission, as the ODK import did row by row: the same
role checks, the same validation with the same messages (the first bad submission raises, as the
row-by-row path would), the same idempotency (a key already stored is skipped), the same
re-audit rule (a facility of the same type within ``radius_m``, nearest first, ties to the older
facility, including facilities created earlier in the same batch), and the same stored result:
facility rows, audit rows with their sequence numbers and current-audit marker, one findings row
per rule, photo links and change-log entries, in the same order. A re-audit is scored by the
caller's ``rescore`` on the facility's latest submitted audit — stored, or made earlier in the
same batch — so the whole batch, re-audits included, is one pass. Instead of ~12 statements per
submission it issues a few per batch: one ``SELECT`` of the stored keys, one of the candidate
facilities, one of the re-audited facilities' latest audits, ``INSERT … RETURNING`` of the new
facilities and the audits, executemany ``UPDATE`` of the facilities (and of the re-audits'
``measured_from`` that name an audit of the batch), and executemany ``INSERT`` of findings,
photo links and the change log. An evaluation that offers its own JSON text (``to_json``:
:class:`audit.bulk_scoring.ScoredAudit`) is stored as that text, the very text the JSON column
would write. Everything runs in the caller's transaction: any failure leaves nothing behind.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from audit.actors import require
from audit.errors import ConflictError, InputError, Problem
from audit.geo import degree_box, haversine_m
from audit.storage.findings import EvaluationLike, finding_row
from audit.storage.orm import (
    AUDIT_PHOTOS,
    AUDITS,
    CHANGE_LOG,
    FACILITIES,
    FINDINGS,
    Audit,
    AuditFinding,
    Facility,
    point_ewkt,
    utcnow,
)
from audit.storage.repository import (
    MAX_ADDRESS_LEN,
    MAX_NAME_LEN,
    MAX_NOTES_LEN,
    AuditRecord,
    FacilityRecord,
    Repository,
    StreetRef,
    _audit_log_view,
    _check_text,
    _checked_evaluation,
    _jsonable,
    _n_fail,
)
from geodata.crs import check_lonlat, check_point

#: rows per ``IN (...)`` list (well under SQLite's limit of bound parameters)
CHUNK = 500

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class AuditInput:
    """One submission to store: where it was taken, what was found, and its idempotency key."""

    facility_type: str
    lon: float
    lat: float
    evaluation: EvaluationLike
    idempotency_key: str
    name: str = ""
    address: str = ""
    district_code: str | None = None
    notes: str = ""
    submitted_at: datetime | None = None
    gps_accuracy_m: float | None = None
    source: str = "import"


@dataclass
class BulkResult:
    """What :func:`submit_audits` stored, per input and in total."""

    #: per input: the new audit's id, or ``None`` when its key was already stored (skipped)
    audit_ids: list[int | None] = field(default_factory=list)
    created_facilities: int = 0
    reaudits: int = 0
    already_stored: int = 0
    photos: int = 0


@dataclass
class _Placement:
    """Where each input goes: skipped, a stored facility, or a facility created in the batch."""

    skipped: list[bool]
    existing: list[int | None]  # id of a stored facility it re-audits
    new: list[int | None]  # index into ``created`` of the facility it creates or re-audits
    created: list[int] = field(default_factory=list)  # input index that creates each new facility


#: ``rescore(i, latest)``: the caller's evaluation of input ``i`` as a re-audit of a facility
#: whose latest submitted audit is ``latest``, and the ``measured_from`` of the values it carried
Rescore = Callable[[int, AuditRecord], tuple[EvaluationLike, Mapping[str, Any]]]


@dataclass
class _Checked:
    """The checked inputs: new facilities' points, evaluations (JSON-safe), carried values'
    sources (placeholder ids for audits of the batch) and photo ids, by input index."""

    points: dict[int, tuple[float, float]] = field(default_factory=dict)
    evaluations: dict[int, dict[str, Any]] = field(default_factory=dict)
    measured_from: dict[int, dict[str, Any]] = field(default_factory=dict)
    photo_ids: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class _Pending:
    """A facility the batch writes to, while the inputs are checked in order."""

    submitted: int  # its submitted audits so far: stored ones, then earlier inputs'
    stored: AuditRecord | None  # its latest stored submitted audit
    #: the latest earlier input to it: (input index, checked evaluation, measured_from, sequence)
    made: tuple[int, dict[str, Any], dict[str, Any], int] | None = None

    def latest(self, repo: Repository, items: Sequence[AuditInput],
               now: datetime) -> AuditRecord | None:
        """Its latest submitted audit; one made in the batch goes by a placeholder id."""
        if self.made is None:
            return self.stored
        i, data, carried, sequence = self.made
        it = items[i]
        return AuditRecord(
            id=_placeholder(i), facility_id=self.stored.facility_id if self.stored else 0,
            sequence=sequence, status="submitted", created_at=now,
            submitted_at=it.submitted_at or now, inspector_name=repo.actor.username,
            measurements=_jsonable(dict(data["measurements"])), notes=it.notes,
            verdict=data["verdict"], score=data["score"], n_fail=_n_fail(data),
            ruleset_id=data["ruleset_id"], ruleset_version=data["ruleset_version"],
            row_version=1, idempotency_key=it.idempotency_key, source=it.source,
            is_demo=False, evaluation=data, measured_from=carried)


def submit_audits(
    repo: Repository,
    items: Sequence[AuditInput],
    *,
    radius_m: float,
    streets: Callable[[Sequence[tuple[float, float]]], Sequence[StreetRef | None]] | None = None,
    photos: Callable[[int], Sequence[int]] | None = None,
    progress: Progress | None = None,
    rescore: Rescore | None = None,
) -> BulkResult:
    """Store ``items`` (in order) as submitted audits; see the module docstring.

    An input that re-audits a facility (a stored one, or one an earlier input creates) that
    has a submitted audit is stored with ``rescore(i, latest)``: the caller's evaluation of it
    on the facility's combined state (audit.reaudit), given the facility's latest submitted
    audit — stored, or made by an earlier input, whose id is then a negative placeholder that
    the stored ``measured_from`` gets the real id for. Without ``rescore`` it is stored with its
    own evaluation. Ids, sequences and the change log come out in input order, as one call per
    input would give them.

    ``streets(points)`` gives the street of each new facility (called once, with the WGS84
    points of the facilities to create, in order); ``photos(i)`` stores the photos of input
    ``i`` (called for the inputs to store, in order, after the input's facility is checked and
    before its evaluation is, as the row-by-row import does) and returns their ids.
    ``progress(done, total)`` counts two steps per input to store: its evaluation checked, its
    rows written.
    """
    n = len(items)
    result = BulkResult(audit_ids=[None] * n)
    stored = _stored_keys(repo, [it.idempotency_key for it in items])
    skipped = [it.idempotency_key in stored for it in items]
    todo = [i for i in range(n) if not skipped[i]]
    result.already_stored = n - len(todo)
    if not todo:
        return result
    require(repo.actor, "audit.submit")
    place = _place(repo, items, skipped, radius_m)
    if place.created:
        require(repo.actor, "facility.create")
    steps = 2 * len(todo)  # progress: checking the evaluations, then writing the rows

    def tick(done: int) -> None:
        if progress is not None:
            progress(done, steps)

    now = utcnow()
    facts = _lock_facilities(repo, sorted({f for i in todo if (f := place.existing[i])}))
    latest = _latest_audits(repo, sorted(facts)) if rescore is not None else {}
    checked = _validate(repo, items, todo, place, facts, latest, now, photos, rescore, tick)
    located = list(streets([checked.points[i] for i in place.created])) \
        if streets and place.created else [None] * len(place.created)
    log: dict[int, list[dict[str, Any]]] = {i: [] for i in todo}
    new_ids = _insert_facilities(repo, items, place, checked.points, located, now, log)
    for k, fid in zip(place.created, new_ids, strict=True):
        facts[fid] = {"version": 1, "district": items[k].district_code, "submitted": 0,
                      "added": 0, "current": [], "when": None, "verdict": None}
    facility_of = {i: _facility_id(place, i, new_ids) for i in todo}
    last = {facility_of[i]: i for i in todo}  # the last submission of each facility is current
    previous = [aid for f in facts.values() for aid in f["current"]]
    for chunk in _chunks(previous):
        repo.session.execute(sa.update(AuditFinding).where(AuditFinding.audit_id.in_(chunk))
                             .values(is_current=False))
        repo.session.execute(sa.update(Audit).where(Audit.id.in_(chunk)).values(is_current=False))
    rows = []
    for i in todo:
        it, data, fid = items[i], checked.evaluations[i], facility_of[i]
        facts[fid]["submitted"] += 1
        facts[fid]["added"] += 1
        facts[fid]["when"] = it.submitted_at or now
        facts[fid]["verdict"] = data["verdict"]
        rows.append({
            "facility_id": fid, "inspector_id": repo.actor.user_id,
            "inspector_name": repo.actor.username, "created_at": now, "status": "submitted",
            "sequence": facts[fid]["submitted"], "submitted_at": it.submitted_at or now,
            "ruleset_id": data["ruleset_id"], "ruleset_version": data["ruleset_version"],
            "measurements": _jsonable(dict(data["measurements"])), "notes": it.notes,
            "verdict": data["verdict"], "score": data["score"], "n_fail": _n_fail(data),
            "evaluation": data, "idempotency_key": it.idempotency_key, "source": it.source,
            "gps_accuracy_m": it.gps_accuracy_m, "row_version": 1, "is_demo": False,
            "is_current": last[fid] == i, "measured_from": checked.measured_from.get(i, {}),
        })
    serialize = _json_serializer(repo)
    params = []
    for i, row in zip(todo, rows, strict=True):
        param = {k: v for k, v in row.items() if k != "evaluation"}
        param["evaluation_json"] = _evaluation_json(items[i].evaluation, row["evaluation"],
                                                    serialize)
        params.append(param)
    insert = sa.insert(AUDITS).values(evaluation=_json_text_param(repo, "evaluation_json"))
    try:
        if repo.session.get_bind().dialect.name == "sqlite":
            # SQLite numbers a multi-row INSERT's rows in order, but SQLAlchemy sends the rows
            # one statement each when RETURNING must come back in order: take the ids by
            # their (unique) keys from batched statements instead
            returned = repo.session.execute(
                insert.returning(AUDITS.c.idempotency_key, AUDITS.c.id), params)
            by_key: dict[str, int] = dict(returned.all())
            audit_ids = [by_key[row["idempotency_key"]] for row in rows]
        else:
            audit_ids = list(repo.session.scalars(
                insert.returning(AUDITS.c.id, sort_by_parameter_order=True), params))
    except sa.exc.IntegrityError as exc:  # a concurrent writer stored one of the keys first
        msg = ("some of these submissions were stored by another import at the same moment; "
               "import the file again (submissions already stored are skipped)")
        raise ConflictError(msg) from exc
    _resolve_placeholders(repo, todo, rows, audit_ids)
    repo.session.execute(sa.update(Facility), [
        {"id": fid, "version": f["version"] + f["added"], "current_verdict": f["verdict"],
         "current_submitted_at": f["when"]} for fid, f in facts.items()])
    findings: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    rows_of = _FindingRows()
    for done, (i, row, aid) in enumerate(zip(todo, rows, audit_ids, strict=True), start=1):
        result.audit_ids[i] = aid
        fid = facility_of[i]
        findings.extend(
            rows_of(f, aid, fid, facts[fid]["district"], items[i].facility_type,
                    row["ruleset_id"], row["ruleset_version"], row["is_current"])
            for f in checked.evaluations[i]["findings"])
        for pid in checked.photo_ids[i]:
            links.append({"audit_id": aid, "photo_id": pid})
            log[i].append(_log_row(repo, "audit", aid, "attach_photo", {"photo_id": pid}, now))
        record = AuditRecord(
            id=aid, facility_id=fid, sequence=row["sequence"], status="submitted",
            created_at=now, submitted_at=row["submitted_at"],
            inspector_name=row["inspector_name"], measurements=dict(row["measurements"]),
            notes=row["notes"], verdict=row["verdict"], score=row["score"],
            n_fail=row["n_fail"], ruleset_id=row["ruleset_id"],
            ruleset_version=row["ruleset_version"], row_version=1,
            idempotency_key=row["idempotency_key"], source=row["source"], is_demo=False,
            measured_from=dict(row["measured_from"]))
        log[i].append(_log_row(repo, "audit", aid, "create", _audit_log_view(record), now))
        if len(findings) >= 20 * CHUNK:
            _insert_plain(repo, FINDINGS, findings)
            findings = []
        tick(len(todo) + done)
    _insert_plain(repo, FINDINGS, findings)
    if links:
        repo.session.execute(sa.insert(AUDIT_PHOTOS), links)
    repo.session.execute(sa.insert(CHANGE_LOG), [r for i in todo for r in log[i]])
    tick(steps)
    result.created_facilities = len(place.created)
    result.reaudits = len(todo) - len(place.created)
    result.photos = sum(len(p) for p in checked.photo_ids.values())
    return result


class _FindingRows:
    """:func:`finding_row`, made once per finding dict: audits of a batch may share one finding
    (:mod:`audit.bulk_scoring`), whose row differs only in the audit's own columns."""

    def __init__(self) -> None:
        self.made: dict[int, tuple[Mapping[str, Any], tuple[str, str, str], dict[str, Any]]] = {}

    def __call__(self, finding: Mapping[str, Any], audit_id: int, facility_id: int,
                 district_code: str | None, facility_type: str, ruleset_id: str,
                 ruleset_version: str, is_current: bool) -> dict[str, Any]:
        same = (facility_type, ruleset_id, ruleset_version)
        known = self.made.get(id(finding))
        if known is None or known[0] is not finding or known[1] != same:
            known = (finding, same, finding_row(
                finding, audit_id=0, facility_id=0, district_code=None,
                facility_type=facility_type, ruleset_id=ruleset_id,
                ruleset_version=ruleset_version, is_current=False))
            self.made[id(finding)] = known  # the finding kept: its id stays its own
        row = known[2].copy()
        row["audit_id"] = audit_id
        row["facility_id"] = facility_id
        row["district_code"] = district_code
        row["is_current"] = is_current
        return row


def _json_serializer(repo: Repository) -> Callable[[Any], str]:
    """What the JSON columns serialize a value with (the dialect's, as SQLAlchemy uses it)."""
    dialect = repo.session.get_bind().dialect
    serializer: Callable[[Any], str] = getattr(dialect, "_json_serializer", None) or json.dumps
    return serializer


def _evaluation_json(evaluation: EvaluationLike, data: dict[str, Any],
                     serialize: Callable[[Any], str]) -> str:
    """The JSON text of a checked evaluation: the one the evaluation made of itself when it
    offers it (``to_json``, :class:`audit.bulk_scoring.ScoredAudit`: much cheaper than
    serializing the ~15 kB of each audit's findings) and ``data`` is its own dict, else
    ``data`` serialized as the JSON column would."""
    encode = getattr(evaluation, "to_json", None)
    if encode is not None and evaluation.to_dict() is data:
        text: str = encode()
        return text
    return serialize(data)


def _json_text_param(repo: Repository, name: str) -> sa.ColumnElement[Any]:
    """A bound parameter holding JSON text for a JSON column (PostgreSQL casts it)."""
    param = sa.bindparam(name, type_=sa.Text())
    if repo.session.get_bind().dialect.name == "postgresql":
        return sa.cast(param, sa.JSON)
    return param


def _insert_plain(repo: Repository, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """``INSERT`` rows of plain values (text, numbers, booleans, ``None``; the same keys in
    every row) with the driver's executemany (PostgreSQL with psycopg: ``COPY``): SQLAlchemy's
    per-row parameter processing would cost more than the driver's work on the ~12 findings
    rows of each audit."""
    if not rows:
        return
    conn = repo.session.connection()
    style = conn.dialect.paramstyle
    if style not in ("qmark", "format", "pyformat"):
        repo.session.execute(sa.insert(table), rows)
        return
    cols = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in cols)
    values = operator.itemgetter(*cols)  # a tuple of the row's values, in C
    tuples = [values(r) for r in rows] if len(cols) > 1 else [(values(r),) for r in rows]
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        # psycopg's executemany runs the statement once per row on the server; COPY streams
        # them (psycopg adapts each value as it would bind it), in the same transaction
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, \
                cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in tuples:
                copy.write_row(row)
        return
    marks = ", ".join(["?" if style == "qmark" else "%s"] * len(cols))
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", tuples)


def _placeholder(i: int) -> int:
    """The id an audit of input ``i`` goes by until it is stored (real ids are positive)."""
    return -(i + 1)


def _resolve_placeholders(
    repo: Repository, todo: Sequence[int], rows: list[dict[str, Any]], audit_ids: Sequence[int]
) -> None:
    """Give the stored ``measured_from`` of re-audits the real ids of the batch's audits their
    carried values came from (one executemany ``UPDATE`` of the rows that name one)."""
    real = {_placeholder(i): aid for i, aid in zip(todo, audit_ids, strict=True)}
    changed = []
    for row, aid in zip(rows, audit_ids, strict=True):
        carried = row["measured_from"]
        if any(src["audit_id"] < 0 for src in carried.values()):
            row["measured_from"] = {
                name: {**src, "audit_id": real[src["audit_id"]]} if src["audit_id"] < 0 else src
                for name, src in carried.items()}
            changed.append({"b_id": aid, "b_carried": row["measured_from"]})
    if changed:
        repo.session.execute(sa.update(AUDITS).where(AUDITS.c.id == sa.bindparam("b_id"))
                             .values(measured_from=sa.bindparam("b_carried")), changed)


def _facility_id(place: _Placement, i: int, new_ids: Sequence[int]) -> int:
    new, existing = place.new[i], place.existing[i]
    found = new_ids[new] if new is not None else existing
    assert found is not None  # every input to store was placed
    return found


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[k:k + CHUNK] for k in range(0, len(values), CHUNK)]


def _stored_keys(repo: Repository, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(list(dict.fromkeys(keys))):
        found.update(repo.session.scalars(
            sa.select(Audit.idempotency_key).where(Audit.idempotency_key.in_(chunk))))
    return found


def _place(
    repo: Repository, items: Sequence[AuditInput], skipped: Sequence[bool], radius_m: float
) -> _Placement:
    """Match each input to the nearest facility of its type within ``radius_m`` — stored, or
    created by an earlier input — as :meth:`Repository.nearby_facilities` does one at a time."""
    n = len(items)
    place = _Placement(skipped=list(skipped), existing=[None] * n, new=[None] * n)
    todo = [i for i in range(n) if not skipped[i]]
    if not todo:
        return place
    lons = [items[i].lon for i in todo]
    lats = [items[i].lat for i in todo]
    dlon, dlat = degree_box(max(abs(v) for v in lats), radius_m)
    cell = 2 * max(dlon, dlat)  # a point's neighbours lie in its cell or the 8 around it
    grid: dict[tuple[str, int, int], list[tuple[int, int, float, float, int]]] = {}

    def key(ftype: str, lon: float, lat: float) -> tuple[str, int, int]:
        return ftype, math.floor(lon / cell), math.floor(lat / cell)

    stmt = sa.select(Facility.id, Facility.facility_type, Facility.lon, Facility.lat).where(
        Facility.facility_type.in_(sorted({items[i].facility_type for i in todo})),
        Facility.lon.between(min(lons) - 2 * dlon, max(lons) + 2 * dlon),
        Facility.lat.between(min(lats) - 2 * dlat, max(lats) + 2 * dlat),
    )
    for fid, ftype, lon, lat in repo.session.execute(stmt):
        # (0, id): stored facilities sort before the batch's new ones, each by id
        grid.setdefault(key(ftype, lon, lat), []).append((0, fid, lon, lat, fid))
    for i in todo:
        it = items[i]
        here = key(it.facility_type, it.lon, it.lat)
        near = [c for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                for c in grid.get((here[0], here[1] + dx, here[2] + dy), ())]
        best = None
        if near:
            dist = haversine_m(it.lon, it.lat, [c[2] for c in near], [c[3] for c in near])
            inside = [(float(d), c[0], c[1], c) for d, c in zip(dist, near, strict=True)
                      if d <= radius_m]
            best = min(inside, key=lambda t: t[:3])[3] if inside else None
        if best is None:
            place.new[i] = len(place.created)
            grid.setdefault(here, []).append((1, len(place.created), it.lon, it.lat, -1))
            place.created.append(i)
        elif best[0] == 0:
            place.existing[i] = best[4]
        else:
            place.new[i] = best[1]
    return place


def _validate(
    repo: Repository, items: Sequence[AuditInput], todo: Sequence[int], place: _Placement,
    facts: Mapping[int, Mapping[str, Any]], latest: Mapping[int, AuditRecord], now: datetime,
    photos: Callable[[int], Sequence[int]] | None, rescore: Rescore | None,
    tick: Callable[[int], None],
) -> _Checked:
    """Checked points, photos and evaluations, input by input in order; the first bad input
    raises what the row-by-row calls (``create_facility``, the photos, the re-audit's scoring,
    then ``submit_audit``) would have raised for it."""
    from audit.model import FACILITY_TYPES

    out = _Checked()
    created = set(place.created)
    try:  # every new facility's point at once; a bad one is found and worded below
        lons, lats = check_lonlat([items[i].lon for i in place.created],
                                  [items[i].lat for i in place.created], field="location")
        out.points = {i: (float(x), float(y))
                      for i, x, y in zip(place.created, lons.tolist(), lats.tolist(), strict=True)}
    except InputError:
        out.points = {}
    pending: dict[tuple[bool, int], _Pending] = {}
    for k, i in enumerate(todo, start=1):
        it = items[i]
        problems: list[Problem] = []
        if i in created:
            if it.facility_type not in FACILITY_TYPES:
                problems.append(Problem("facility_type", it.facility_type,
                                        f"one of {', '.join(FACILITY_TYPES)}"))
            _check_text(problems, "name", it.name, MAX_NAME_LEN)
            _check_text(problems, "address", it.address, MAX_ADDRESS_LEN)
            if i not in out.points:
                try:
                    out.points[i] = check_point(it.lon, it.lat)
                except InputError as exc:
                    problems.extend(exc.problems)
            if problems:
                raise InputError(problems, "facility")
        stored = place.existing[i]
        key = (True, stored) if stored is not None else (False, cast(int, place.new[i]))
        facility = pending.get(key)
        if facility is None:
            facility = pending[key] = _Pending(facts[stored]["submitted"], latest.get(stored)) \
                if stored is not None else _Pending(0, None)
        out.photo_ids[i] = list(dict.fromkeys(photos(i))) if photos else []
        if out.photo_ids[i]:
            require(repo.actor, "photo.add")
        evaluation, carried = it.evaluation, {}
        previous = facility.latest(repo, items, now) if rescore is not None else None
        if rescore is not None and previous is not None:
            evaluation, sources = rescore(i, previous)
            carried = _jsonable(dict(sources))
        _check_text(problems, "notes", it.notes, MAX_NOTES_LEN)
        if not (0 < len(it.idempotency_key) <= 128):
            problems.append(Problem("idempotency_key", it.idempotency_key, "1 to 128 characters"))
        if problems:
            raise InputError(problems, "audit")
        data = out.evaluations[i] = _checked_evaluation(evaluation, it.facility_type, carried)
        if carried:
            out.measured_from[i] = carried
        facility.submitted += 1
        facility.made = (i, data, carried, facility.submitted)  # a later re-audit's base
        tick(k)
    return out


def _insert_facilities(
    repo: Repository, items: Sequence[AuditInput], place: _Placement,
    points: dict[int, tuple[float, float]], streets: Sequence[StreetRef | None], now: datetime,
    log: dict[int, list[dict[str, Any]]],
) -> list[int]:
    if not place.created:
        return []
    rows: list[dict[str, Any]] = []
    for i, street in zip(place.created, streets, strict=True):
        it = items[i]
        lon, lat = points[i]
        rows.append({
            "facility_type": it.facility_type, "name": it.name.strip(), "lon": lon, "lat": lat,
            "geom": point_ewkt(lon, lat), "district_code": it.district_code,
            "address": it.address.strip(), "created_by": repo.actor.user_id, "is_demo": False,
            "created_at": now, "version": 1,
            "street_u": street.u if street else None, "street_v": street.v if street else None,
            "street_key": street.key if street else None,
            "street_name": street.name if street else None,
            "snap_distance_m": street.distance_m if street else None,
        })
    ids = _insert_numbered(repo, FACILITIES, rows)
    for i, row, fid in zip(place.created, rows, ids, strict=True):
        record = FacilityRecord(
            id=fid, facility_type=row["facility_type"], name=row["name"], lon=row["lon"],
            lat=row["lat"], district_code=row["district_code"], address=row["address"],
            street_name=row["street_name"], snap_distance_m=row["snap_distance_m"], version=1,
            is_demo=False, created_at=now)
        view = {f.name: getattr(record, f.name) for f in fields(record)}  # asdict, shallow
        log[i].append(_log_row(repo, "facility", fid, "create", view, now))
    return ids


def _insert_numbered(repo: Repository, table: sa.Table, rows: list[dict[str, Any]]) -> list[int]:
    """``INSERT`` ``rows`` into ``table`` (an integer ``id`` key numbered by the database) and
    return their ids in the rows' order.

    PostgreSQL returns them in order from batched statements. SQLite cannot say which returned
    id belongs to which row, so SQLAlchemy would send one statement per row (9,000 statements
    for a district's export); there the rows get the ids SQLite itself would give them (one
    more than the largest, in order; the table has no AUTOINCREMENT, so deleted ids are not
    held back), taken under the write session's lock (``BEGIN IMMEDIATE``), so no other
    writer can take them in between (and were one to, the insert would fail on the primary
    key and the whole unit of work roll back: two rows never share an id)."""
    if repo.session.get_bind().dialect.name != "sqlite":
        return list(repo.session.scalars(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
    start = int(repo.session.execute(
        sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()) + 1
    ids = list(range(start, start + len(rows)))
    repo.session.execute(sa.insert(table), [{**row, "id": i} for row, i in zip(rows, ids,
                                                                                strict=True)])
    return ids


def _latest_audits(repo: Repository, ids: Sequence[int]) -> dict[int, AuditRecord]:
    """The latest submitted audit of each facility that has one (as
    :meth:`Repository.latest_audit`: highest sequence, then highest id)."""
    found: dict[int, AuditRecord] = {}
    for chunk in _chunks(ids):
        stmt = sa.select(Audit).where(Audit.facility_id.in_(chunk), Audit.status == "submitted") \
            .order_by(Audit.facility_id, Audit.sequence.desc(), Audit.id.desc())
        for row in repo.session.scalars(stmt):
            if row.facility_id not in found:
                found[row.facility_id] = AuditRecord.of(row)
    return found


def _lock_facilities(repo: Repository, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Version, district, submitted-audit count and current audit of each facility, its row
    locked for the rest of the transaction (PostgreSQL; SQLite write sessions hold the lock)."""
    facts: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        stmt = sa.select(Facility.id, Facility.version, Facility.district_code).where(
            Facility.id.in_(chunk)).order_by(Facility.id).with_for_update()
        for fid, version, district in repo.session.execute(stmt):
            facts[fid] = {"version": version, "district": district, "submitted": 0, "added": 0,
                          "current": [], "when": None, "verdict": None}
        counts = sa.select(Audit.facility_id, sa.func.count()).where(
            Audit.facility_id.in_(chunk), Audit.status == "submitted").group_by(Audit.facility_id)
        for fid, count in repo.session.execute(counts):
            facts[fid]["submitted"] = int(count)
        current = sa.select(Audit.facility_id, Audit.id).where(
            Audit.facility_id.in_(chunk), Audit.is_current)
        for fid, aid in repo.session.execute(current):
            facts[fid]["current"].append(aid)
    return facts


def _log_row(
    repo: Repository, entity: str, entity_id: int, action: str, after: dict[str, Any],
    at: datetime,
) -> dict[str, Any]:
    """A change-log row as :meth:`Repository.log` writes it."""
    return {"actor": repo.actor.label, "entity": entity, "entity_id": entity_id,
            "action": action, "before": None, "after": _jsonable(dict(after)), "at": at}


__all__ = ["AuditInput", "BulkResult", "submit_audits"]
