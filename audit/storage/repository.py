"""Repository: sessions in, plain domain records out.

Every write checks the acting role (:mod:`audit.actors`), validates its input before touching the
database, and appends to the change log in the same transaction, so a failure leaves nothing
half-written and no edit destroys history.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from audit.actors import SYSTEM, USER_ROLES, Actor, require
from audit.errors import ConflictError, InputError, NotFoundError, PermissionDenied, Problem
from audit.geo import degree_box, haversine_m
from audit.storage.findings import (
    EvaluationLike,
    check_evaluation,
    check_measured_from,
    move_current,
    write_findings,
)
from audit.storage.orm import (
    APP_META,
    FACILITIES,
    AppMeta,
    Audit,
    AuditPhoto,
    ChangeLog,
    Facility,
    Photo,
    Report,
    User,
    WorkOrder,
    point_ewkt,
    utcnow,
)
from audit.storage.photos import PhotoContentStore
from audit.storage.reports import ReportStore
from audit.storage.sessions import DraftStore, SessionStore
from audit.storage.users import UserStore
from audit.storage.workorders import WorkOrderStore
from geodata.crs import check_point

if TYPE_CHECKING:  # pandas is imported where a frame is made, not by a cold process
    import pandas as pd

AUDIT_STATUSES = ("draft", "submitted")
VERDICTS = ("compliant", "non_compliant", "incomplete", "unaudited")
MAX_NAME_LEN = 200
MAX_ADDRESS_LEN = 500
MAX_NOTES_LEN = 5000


@dataclass(frozen=True)
class StoredAudit:
    """A stored audit as a rescore reads it (:meth:`Repository.audits_to_rescore`)."""

    id: int
    facility_type: str
    status: str
    verdict: str
    ruleset_id: str
    ruleset_version: str
    measurements: dict[str, Any]


@dataclass(frozen=True)
class StreetRef:
    """The street a point was snapped to (from :mod:`geodata.snap`)."""

    u: int | None
    v: int | None
    key: int | None
    name: str | None
    distance_m: float | None


@dataclass(frozen=True)
class FacilityRecord:
    id: int
    facility_type: str
    name: str
    lon: float
    lat: float
    district_code: str | None
    address: str
    street_name: str | None
    snap_distance_m: float | None
    version: int
    is_demo: bool
    created_at: datetime

    @classmethod
    def of(cls, row: Facility) -> FacilityRecord:
        return cls(
            id=row.id,
            facility_type=row.facility_type,
            name=row.name,
            lon=row.lon,
            lat=row.lat,
            district_code=row.district_code,
            address=row.address,
            street_name=row.street_name,
            snap_distance_m=row.snap_distance_m,
            version=row.version,
            is_demo=row.is_demo,
            created_at=row.created_at,
        )


@dataclass(frozen=True)
class AuditRecord:
    id: int
    facility_id: int
    sequence: int
    status: str
    created_at: datetime
    submitted_at: datetime | None
    inspector_name: str
    measurements: dict[str, Any]
    notes: str
    verdict: str | None
    score: float | None
    n_fail: int
    ruleset_id: str
    ruleset_version: str
    row_version: int
    idempotency_key: str | None
    source: str
    is_demo: bool
    evaluation: dict[str, Any] | None = field(default=None, repr=False)
    #: field → where a carried-forward value came from (``{"audit_id", "sequence", "at"}``)
    measured_from: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: Audit) -> AuditRecord:
        return cls(
            id=row.id,
            facility_id=row.facility_id,
            sequence=row.sequence,
            status=row.status,
            created_at=row.created_at,
            submitted_at=row.submitted_at,
            inspector_name=row.inspector_name,
            measurements=dict(row.measurements),
            notes=row.notes,
            verdict=row.verdict,
            score=row.score,
            n_fail=row.n_fail,
            ruleset_id=row.ruleset_id,
            ruleset_version=row.ruleset_version,
            row_version=row.row_version,
            idempotency_key=row.idempotency_key,
            source=row.source,
            is_demo=row.is_demo,
            evaluation=row.evaluation,
            measured_from=dict(row.measured_from or {}),
        )


#: values ``_jsonable`` returns as they are, known by their exact type (the common case)
_JSON_PLAIN = frozenset({str, int, bool, type(None)})


def _jsonable(value: Any) -> Any:
    if type(value) in _JSON_PLAIN:
        return value
    if type(value) is dict:
        return {k: v if type(v) in _JSON_PLAIN else _jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _check_text(problems: list[Problem], name: str, value: str, limit: int) -> None:
    if not isinstance(value, str):
        problems.append(Problem(name, value, "text"))
    elif len(value) > limit:
        problems.append(
            Problem(name, f"{value[:20]}… ({len(value)} characters)", f"at most {limit} characters")
        )


class Repository:
    """Data access for one unit of work: one session (one transaction) and the acting actor.

    Library functions that read or write data take a Repository as their first parameter; get one
    from :meth:`audit.storage.Database.unit_of_work`. All SQL lives in this package: the methods
    here, and per aggregate :attr:`reports` (:mod:`audit.storage.reports`), :attr:`users`
    (:mod:`audit.storage.users`) and :attr:`work_orders` (:mod:`audit.storage.workorders`), and
    many submitted audits at once in :mod:`audit.storage.bulk` (the ODK import).
    """

    def __init__(self, session: so.Session, actor: Actor = SYSTEM) -> None:
        self.session = session
        self.actor = actor
        self._rollback_hooks: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ unit of work
    def check_account(self) -> None:
        """For a signed-in session (``actor.session_epoch`` set): refuse unless the account
        still exists, is active, has the same name and role, and was not signed out elsewhere.
        :meth:`Database.unit_of_work` calls it before the caller does anything."""
        actor = self.actor
        if actor.session_epoch is None:
            return
        row = self.session.get(User, actor.user_id) if actor.user_id is not None else None
        if (
            row is None
            or not row.is_active
            or row.username != actor.username
            or row.role != actor.role
            or row.role not in USER_ROLES
            or row.session_epoch != actor.session_epoch
        ):
            msg = (
                f"the session of {actor.label} has ended (account disabled, role changed or "
                "signed out elsewhere); sign in again"
            )
            raise PermissionDenied(msg)

    def acting_as(self, actor: Actor) -> Repository:
        """The same unit of work (session, rollback hooks) acting for another actor."""
        other = Repository(self.session, actor)
        other._rollback_hooks = self._rollback_hooks
        return other

    def on_rollback(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` if this unit of work rolls back (e.g. remove files written for it)."""
        self._rollback_hooks.append(hook)

    def rolled_back(self) -> None:
        """Called by :meth:`Database.unit_of_work` after a rollback: runs the hooks, newest first.

        A hook's own failure is not allowed to hide the error that caused the rollback.
        """
        while self._rollback_hooks:
            hook = self._rollback_hooks.pop()
            with contextlib.suppress(Exception):
                hook()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.session.get_bind().dialect.name

    @cached_property
    def reports(self) -> ReportStore:
        """Queries of resident reports, their supports and private contacts."""
        return ReportStore(self.session)

    @cached_property
    def photo_contents(self) -> PhotoContentStore:
        """Photo bytes kept in the database (``PHOTO_STORE=database``)."""
        return PhotoContentStore(self.session)

    @cached_property
    def users(self) -> UserStore:
        """Queries of user accounts."""
        return UserStore(self.session)

    @cached_property
    def sign_in_sessions(self) -> SessionStore:
        """Queries of sign-in sessions (the cookie that survives a reload)."""
        return SessionStore(self.session)

    @cached_property
    def drafts(self) -> DraftStore:
        """Queries of inspectors' automatic audit drafts."""
        return DraftStore(self.session)

    @cached_property
    def work_orders(self) -> WorkOrderStore:
        """Queries of work orders."""
        return WorkOrderStore(self.session)

    def flush_or_conflict(self, what: str) -> None:
        """Flush pending changes; a concurrent save of the same row (stale row version) raises
        :class:`ConflictError` saying ``what`` was changed by someone else."""
        try:
            self.session.flush()
        except so.exc.StaleDataError as exc:
            msg = f"{what} was changed by someone else at the same moment; reload it"
            raise ConflictError(msg) from exc

    # ------------------------------------------------------------------ change log
    def log(
        self,
        entity: str,
        entity_id: int | None,
        action: str,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one entry to the change log (same transaction as the change)."""
        self.session.add(
            ChangeLog(
                actor=self.actor.label,
                entity=entity,
                entity_id=entity_id,
                action=action,
                before=_jsonable(dict(before)) if before is not None else None,
                after=_jsonable(dict(after)) if after is not None else None,
            )
        )

    def history(self, entity: str, entity_id: int) -> list[dict[str, Any]]:
        """The change-log entries of one record, oldest first."""
        rows = self.session.scalars(
            sa.select(ChangeLog)
            .where(ChangeLog.entity == entity, ChangeLog.entity_id == entity_id)
            .order_by(ChangeLog.id)
        )
        return [
            {"at": r.at, "actor": r.actor, "action": r.action, "before": r.before, "after": r.after}
            for r in rows
        ]

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        row = self.session.get(AppMeta, key)
        return None if row is None else row.value

    def _check_meta(self, key: str, value: str) -> None:
        require(self.actor, "meta.write")
        problems: list[Problem] = []
        _check_text(problems, "key", key, 64)
        _check_text(problems, "value", value, MAX_NOTES_LEN)
        if problems:
            raise InputError(problems, "app_meta")

    def set_meta(self, key: str, value: str) -> None:
        """Set a fact about this database (admin or system only: e.g. the demo flag)."""
        self._check_meta(key, value)
        row = self.session.get(AppMeta, key)
        if row is None:
            self.session.add(AppMeta(key=key, value=value))
        else:
            row.value = value

    def meta_setdefault(self, key: str, value: str) -> str:
        """The value of ``key``, first setting it to ``value`` if it has none (admin or system
        only). Safe when several processes race: the first value committed wins for all."""
        self._check_meta(key, value)
        from audit.storage.dataversion import upsert

        self.session.execute(
            upsert(self.session, AppMeta).values(key=key, value=value)
            .on_conflict_do_nothing(index_elements=[AppMeta.key])
        )
        stored = self.session.scalar(sa.select(AppMeta.value).where(AppMeta.key == key))
        assert stored is not None
        return stored

    def has_demo_data(self) -> bool:
        """True when the database holds any synthetic demo record (the UI labels it)."""
        # SQLAlchemy Core on the tables (after a flush of this unit of work's own changes): the
        # rankings page's cold process asks this, and an ORM query would configure every mapper
        self.session.flush()
        meta, facilities = APP_META.c, FACILITIES.c
        seeded = sa.select(meta.key).where(meta.key == "demo_seed").exists()
        demo = sa.select(facilities.id).where(facilities.is_demo.is_(True)).exists()
        return bool(self.session.scalar(sa.select(sa.or_(seeded, demo))))

    def real_record_counts(self) -> dict[str, int]:
        """How many real (not demo) accounts, facilities, audits, reports and work orders the
        database holds; only the non-zero ones (empty: the database holds no real data)."""
        counts: dict[str, int] = {}
        for label, model in (("accounts", User), ("facilities", Facility), ("audits", Audit),
                             ("reports", Report), ("work orders", WorkOrder)):
            n = self.session.scalar(
                sa.select(sa.func.count()).select_from(model).where(model.is_demo.is_(False))
            )
            if n:
                counts[label] = int(n)
        return counts

    # ------------------------------------------------------------------ facilities
    def create_facility(
        self,
        facility_type: str,
        lon: float,
        lat: float,
        *,
        name: str = "",
        address: str = "",
        district_code: str | None = None,
        street: StreetRef | None = None,
        is_demo: bool = False,
    ) -> FacilityRecord:
        """Create a facility at a WGS84 point; validates everything before writing."""
        require(self.actor, "facility.create")
        from audit.model import FACILITY_TYPES

        problems: list[Problem] = []
        if facility_type not in FACILITY_TYPES:
            problems.append(
                Problem("facility_type", facility_type, f"one of {', '.join(FACILITY_TYPES)}")
            )
        _check_text(problems, "name", name, MAX_NAME_LEN)
        _check_text(problems, "address", address, MAX_ADDRESS_LEN)
        try:
            lon, lat = check_point(lon, lat)
        except InputError as exc:
            problems.extend(exc.problems)
        if problems:
            raise InputError(problems, "facility")
        row = Facility(
            facility_type=facility_type,
            name=name.strip(),
            lon=lon,
            lat=lat,
            geom=point_ewkt(lon, lat),
            district_code=district_code,
            address=address.strip(),
            created_by=self.actor.user_id,
            is_demo=is_demo,
        )
        if street is not None:
            row.street_u, row.street_v, row.street_key = street.u, street.v, street.key
            row.street_name, row.snap_distance_m = street.name, street.distance_m
        self.session.add(row)
        self.session.flush()
        record = FacilityRecord.of(row)
        self.log("facility", row.id, "create", None, asdict(record))
        return record

    def _facility_row(self, facility_id: int, *, for_update: bool = False) -> Facility:
        row = self.session.get(Facility, facility_id, with_for_update=for_update or None)
        if row is None:
            msg = f"facility {facility_id} does not exist"
            raise NotFoundError(msg)
        return row

    def get_facility(self, facility_id: int) -> FacilityRecord:
        return FacilityRecord.of(self._facility_row(facility_id))

    def facility_exists(self, facility_id: int) -> bool:
        return self.session.get(Facility, facility_id) is not None

    def has_facilities(self) -> bool:
        """True when the database holds any facility."""
        return self.session.scalar(sa.select(Facility.id).limit(1)) is not None

    def nearby_facilities(
        self, facility_type: str | None, lon: float, lat: float, radius_m: float
    ) -> list[tuple[FacilityRecord, float]]:
        """Facilities (of a type, if given) within ``radius_m`` metres, nearest first.

        PostgreSQL pre-filters with the GiST index; the final distance is the same haversine on
        every backend, so both give identical answers.
        """
        lon, lat = check_point(lon, lat)
        stmt = sa.select(Facility)
        if facility_type is not None:
            stmt = stmt.where(Facility.facility_type == facility_type)
        if self.session.get_bind().dialect.name == "postgresql":
            here = sa.func.ST_GeogFromText(sa.bindparam("here", point_ewkt(lon, lat)))
            stmt = stmt.where(
                sa.func.ST_DWithin(
                    sa.literal_column("facilities.geom::geography"), here, radius_m * 1.01
                )
            )
        else:
            dlon, dlat = degree_box(lat, radius_m)
            stmt = stmt.where(
                Facility.lon.between(lon - dlon, lon + dlon),
                Facility.lat.between(lat - dlat, lat + dlat),
            )
        rows = list(self.session.scalars(stmt))
        if not rows:
            return []
        dist = haversine_m(lon, lat, [r.lon for r in rows], [r.lat for r in rows])
        found = [
            (FacilityRecord.of(r), float(d))
            for r, d in zip(rows, dist, strict=True)
            if d <= radius_m
        ]
        return sorted(found, key=lambda pair: (pair[1], pair[0].id))

    # ------------------------------------------------------------------ audits
    def submit_audit(
        self,
        facility_id: int,
        evaluation: EvaluationLike,
        *,
        idempotency_key: str | None = None,
        notes: str = "",
        status: str = "submitted",
        expected_facility_version: int | None = None,
        submitted_at: datetime | None = None,
        source: str = "app",
        gps_accuracy_m: float | None = None,
        photo_ids: Sequence[int] = (),
        is_demo: bool = False,
        measured_from: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        """Record an audit from the caller's evaluation of its measurements, with its findings.

        The verdict is computed, never entered: ``evaluation`` is what
        :func:`audit.scoring.evaluate` returned for the measurements (evaluated once, by the
        caller); its validated measurements, verdict, score, ruleset id and version and one
        ``findings`` row per rule are stored in this transaction. An evaluation for another
        facility type, or whose verdict its findings contradict, raises :class:`InputError`.

        - Same ``idempotency_key`` again returns the audit already stored (one audit, not two).
        - ``expected_facility_version`` guards against overwriting another inspector's work:
          if the facility changed since the caller read it, :class:`ConflictError` is raised.
        - A submitted audit of a facility that already has one is a new version (re-audit).
        - ``measured_from`` names, for each measurement a partial re-audit carried forward from
          an earlier audit, that audit and its date (:func:`audit.reaudit.combine`; empty when
          this audit measured every value itself).
        """
        require(self.actor, "audit.submit" if status == "submitted" else "audit.draft")
        if idempotency_key:
            existing = self._audit_by_key(idempotency_key)
            if existing is not None:
                return self._replay(existing, facility_id)
        problems: list[Problem] = []
        if status not in AUDIT_STATUSES:
            problems.append(Problem("status", status, f"one of {', '.join(AUDIT_STATUSES)}"))
        _check_text(problems, "notes", notes, MAX_NOTES_LEN)
        if idempotency_key is not None and not (0 < len(idempotency_key) <= 128):
            problems.append(Problem("idempotency_key", idempotency_key, "1 to 128 characters"))
        if problems:
            raise InputError(problems, "audit")
        carried = dict(measured_from or {})
        # lock the facility row (PostgreSQL; SQLite write sessions hold the database lock) so the
        # version check, the audit sequence number and the version bump are consistent
        facility = self._facility_row(facility_id, for_update=status == "submitted")
        data = _checked_evaluation(evaluation, facility.facility_type, carried)
        if expected_facility_version is not None and facility.version != expected_facility_version:
            msg = (
                f"facility {facility_id} was changed by someone else (version {facility.version}, "
                f"you edited version {expected_facility_version}); reload it and enter your "
                "measurements again — nothing was overwritten"
            )
            raise ConflictError(msg)
        sequence = 1 + (
            self.session.scalar(
                sa.select(sa.func.count()).where(
                    Audit.facility_id == facility_id, Audit.status == "submitted"
                )
            )
            or 0
        )
        when = (submitted_at or utcnow()) if status == "submitted" else None
        row = Audit(
            facility_id=facility_id,
            inspector_id=self.actor.user_id,
            inspector_name=self.actor.username,
            status=status,
            sequence=sequence if status == "submitted" else 0,
            submitted_at=when,
            ruleset_id=data["ruleset_id"],
            ruleset_version=data["ruleset_version"],
            measurements=_jsonable(dict(data["measurements"])),
            notes=notes,
            verdict=data["verdict"],
            score=data["score"],
            n_fail=_n_fail(data),
            evaluation=data,
            idempotency_key=idempotency_key,
            source=source,
            gps_accuracy_m=gps_accuracy_m,
            is_demo=is_demo,
            is_current=status == "submitted",
            measured_from=_jsonable(carried),
        )
        if status == "submitted":
            self._bump_facility_version(facility)
        try:
            with self.session.begin_nested():
                if when is not None:
                    move_current(self.session, facility_id, verdict=data["verdict"],
                                 submitted_at=when)
                self.session.add(row)
                self.session.flush()
                write_findings(self.session, row, facility, data)
        except sa.exc.IntegrityError:
            # a concurrent writer stored the same idempotency key first
            if idempotency_key:
                existing = self._audit_by_key(idempotency_key)
                if existing is not None:
                    return self._replay(existing, facility_id)
            raise
        for photo_id in photo_ids:
            self.attach_photo(row.id, photo_id)
        record = AuditRecord.of(row)
        self.log("audit", row.id, "create", None, _audit_log_view(record))
        return record

    def update_draft(
        self,
        audit_id: int,
        evaluation: EvaluationLike,
        *,
        expected_row_version: int,
        notes: str | None = None,
        submit: bool = False,
        measured_from: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        """Change a draft audit to the caller's new ``evaluation`` (see :meth:`submit_audit`).

        ``ConflictError`` if someone saved the draft since you read it.
        """
        require(self.actor, "audit.submit" if submit else "audit.draft")
        row = self.session.get(Audit, audit_id)
        if row is None:
            msg = f"audit {audit_id} does not exist"
            raise NotFoundError(msg)
        if row.status != "draft":
            msg = f"audit {audit_id} is already submitted; record a re-audit instead of editing it"
            raise ConflictError(msg)
        if row.row_version != expected_row_version:
            msg = (
                f"audit {audit_id} was saved by someone else (version {row.row_version}, "
                f"you edited version {expected_row_version}); reload it — nothing was overwritten"
            )
            raise ConflictError(msg)
        facility = self._facility_row(row.facility_id, for_update=submit)
        carried = dict(measured_from or {})
        data = _checked_evaluation(evaluation, facility.facility_type, carried)
        before = _audit_log_view(AuditRecord.of(row))
        now = utcnow()
        if submit:
            move_current(self.session, row.facility_id, verdict=data["verdict"], submitted_at=now)
        row.measurements = _jsonable(dict(data["measurements"]))
        row.measured_from = _jsonable(carried)
        row.evaluation = data
        row.verdict, row.score = data["verdict"], data["score"]
        row.n_fail = _n_fail(data)
        row.ruleset_id, row.ruleset_version = data["ruleset_id"], data["ruleset_version"]
        if notes is not None:
            problems: list[Problem] = []
            _check_text(problems, "notes", notes, MAX_NOTES_LEN)
            if problems:
                raise InputError(problems, "audit")
            row.notes = notes
        if submit:
            row.status = "submitted"
            row.submitted_at = now
            row.sequence = 1 + (
                self.session.scalar(
                    sa.select(sa.func.count()).where(
                        Audit.facility_id == row.facility_id, Audit.status == "submitted"
                    )
                )
                or 0
            )
            self._bump_facility_version(facility)
            row.is_current = True
        try:
            self.session.flush()
        except so.exc.StaleDataError as exc:
            msg = f"audit {audit_id} was saved by someone else at the same moment; reload it"
            raise ConflictError(msg) from exc
        write_findings(self.session, row, facility, data)
        record = AuditRecord.of(row)
        self.log("audit", row.id, "submit" if submit else "update", before, _audit_log_view(record))
        return record

    # ------------------------------------------------------------------ rescoring
    def audits_to_rescore(
        self, *, after_id: int, limit: int, skip_ruleset: tuple[str, str] | None = None
    ) -> list[StoredAudit]:
        """Up to ``limit`` audits (drafts and submitted) with an id above ``after_id``, by id:
        what re-evaluating them needs. ``skip_ruleset`` (id, version) leaves out the audits
        already scored with that ruleset."""
        stmt = (
            sa.select(Audit.id, Facility.facility_type, Audit.status, Audit.verdict,
                      Audit.ruleset_id, Audit.ruleset_version, Audit.measurements)
            .join(Facility, Facility.id == Audit.facility_id)
            .where(Audit.id > after_id)
            .order_by(Audit.id)
            .limit(limit)
        )
        if skip_ruleset is not None:
            stmt = stmt.where(sa.or_(Audit.ruleset_id != skip_ruleset[0],
                                     Audit.ruleset_version != skip_ruleset[1]))
        return [StoredAudit(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                            dict(r[6] or {}))
                for r in self.session.execute(stmt)]

    def audit_counts_by_ruleset(self) -> dict[tuple[str, str], int]:
        """How many audits (drafts and submitted) each ruleset id and version scored."""
        rows = self.session.execute(
            sa.select(Audit.ruleset_id, Audit.ruleset_version, sa.func.count())
            .group_by(Audit.ruleset_id, Audit.ruleset_version)
        )
        return {(str(r[0]), str(r[1])): int(r[2]) for r in rows}

    def rescore_audit(self, audit_id: int, evaluation: EvaluationLike) -> bool:
        """Store a new evaluation of a stored audit's own measurements (a ruleset change).

        The measurements, times and inspector stay as recorded; the evaluation, verdict, score,
        ruleset id and version and the findings rows are replaced, the facility's current
        verdict follows if this is its current audit, and the change log keeps the verdict,
        score and ruleset before and after. Returns ``False`` (and writes nothing) when the
        evaluation is the one already stored. Needs ``audit.rescore``.
        """
        require(self.actor, "audit.rescore")
        row = self.session.get(Audit, audit_id)
        if row is None:
            msg = f"audit {audit_id} does not exist"
            raise NotFoundError(msg)
        facility = self._facility_row(row.facility_id, for_update=row.is_current)
        data = _checked_evaluation(evaluation, facility.facility_type)
        if row.evaluation == data:
            return False
        before = _rescore_view(row)
        row.evaluation = data
        row.verdict, row.score = data["verdict"], data["score"]
        row.n_fail = _n_fail(data)
        row.ruleset_id, row.ruleset_version = data["ruleset_id"], data["ruleset_version"]
        self.flush_or_conflict(f"audit {audit_id}")
        write_findings(self.session, row, facility, data)
        if row.is_current:
            self.session.execute(
                sa.update(Facility).where(Facility.id == facility.id)
                .values(current_verdict=row.verdict)
                .execution_options(synchronize_session="fetch")
            )
        self.log("audit", row.id, "rescore", before, _rescore_view(row))
        return True

    def _bump_facility_version(self, facility: Facility) -> None:
        """Increase the facility's version; the caller holds its row lock."""
        self.session.execute(
            sa.update(Facility)
            .where(Facility.id == facility.id)
            .values(version=Facility.version + 1)
            .execution_options(synchronize_session=False)
        )
        self.session.refresh(facility, ["version"])

    def _audit_by_key(self, key: str) -> Audit | None:
        return self.session.scalar(sa.select(Audit).where(Audit.idempotency_key == key))

    def _replay(self, existing: Audit, facility_id: int) -> AuditRecord:
        if existing.facility_id != facility_id:
            msg = (
                f"idempotency key {existing.idempotency_key!r} was already used for an audit of "
                f"facility {existing.facility_id}, not {facility_id}; use a new key for a new audit"
            )
            raise ConflictError(msg)
        return AuditRecord.of(existing)

    def find_audit(self, audit_id: int) -> AuditRecord | None:
        """The audit with this id, or ``None``."""
        row = self.session.get(Audit, audit_id)
        return None if row is None else AuditRecord.of(row)

    def audit_by_idempotency_key(self, key: str) -> AuditRecord | None:
        """The audit stored under an idempotency key (an ODK instanceID, a form submission)."""
        row = self._audit_by_key(key)
        return None if row is None else AuditRecord.of(row)

    def submitted_audit_rows(self) -> list[tuple[Any, ...]]:
        """Every submitted audit with its facility's type, district and place, by id:
        ``(audit_id, facility_id, facility_type, district_code, lon, lat, sequence,
        submitted_at, inspector_name, source, ruleset_id, ruleset_version, verdict, score,
        n_fail, is_demo, evaluation)``."""
        rows = self.session.execute(
            sa.select(Audit.id, Audit.facility_id, Facility.facility_type, Facility.district_code,
                      Facility.lon, Facility.lat, Audit.sequence, Audit.submitted_at,
                      Audit.inspector_name, Audit.source, Audit.ruleset_id,
                      Audit.ruleset_version, Audit.verdict, Audit.score, Audit.n_fail,
                      Audit.is_demo, Audit.evaluation)
            .join(Facility, Facility.id == Audit.facility_id)
            .where(Audit.status == "submitted")
            .order_by(Audit.id)
        ).all()
        return [tuple(r) for r in rows]

    def get_audit(self, audit_id: int) -> AuditRecord:
        row = self.session.get(Audit, audit_id)
        if row is None:
            msg = f"audit {audit_id} does not exist"
            raise NotFoundError(msg)
        return AuditRecord.of(row)

    def audit_history(self, facility_id: int, *, include_drafts: bool = False) -> list[AuditRecord]:
        """Audits of one facility, newest first."""
        stmt = sa.select(Audit).where(Audit.facility_id == facility_id)
        if not include_drafts:
            stmt = stmt.where(Audit.status == "submitted")
        stmt = stmt.order_by(Audit.sequence.desc(), Audit.id.desc())
        return [AuditRecord.of(r) for r in self.session.scalars(stmt)]

    def latest_audit(self, facility_id: int) -> AuditRecord | None:
        history = self.audit_history(facility_id)
        return history[0] if history else None

    def count_audits(self, *, status: str | None = "submitted") -> int:
        stmt = sa.select(sa.func.count()).select_from(Audit)
        if status is not None:
            stmt = stmt.where(Audit.status == status)
        return int(self.session.scalar(stmt) or 0)

    # ------------------------------------------------------------------ photos
    def photo_exists(self, photo_id: int) -> bool:
        return self.session.get(Photo, photo_id) is not None

    def photo_row(self, sha256: str, new: Callable[[], Photo]) -> tuple[Photo, bool]:
        """The ``photos`` row of this content hash, adding ``new()`` if there is none yet;
        returns (row, created). Content-addressed: the same file stored twice is one row."""
        row = self.session.scalar(sa.select(Photo).where(Photo.sha256 == sha256))
        if row is not None:
            return row, False
        with self.session.begin_nested():
            row = new()
            self.session.add(row)
            self.session.flush()
        return row, True

    def attach_photo(self, audit_id: int, photo_id: int) -> None:
        """Attach a stored photo to an audit: changing an audit needs the inspector's right to
        write it (``audit.submit`` for a submitted audit, ``audit.draft`` for a draft), not only
        ``photo.add`` (which residents have, for report photos)."""
        require(self.actor, "photo.add")
        audit = self.session.get(Audit, audit_id)
        if audit is None:
            msg = f"audit {audit_id} does not exist"
            raise NotFoundError(msg)
        require(self.actor, "audit.submit" if audit.status == "submitted" else "audit.draft")
        if not self.photo_exists(photo_id):
            msg = f"photo {photo_id} does not exist"
            raise NotFoundError(msg)
        if self.session.get(AuditPhoto, (audit_id, photo_id)) is None:
            self.session.add(AuditPhoto(audit_id=audit_id, photo_id=photo_id))
            self.session.flush()
            self.log("audit", audit_id, "attach_photo", None, {"photo_id": photo_id})

    def photos_of_facility(self, facility_id: int) -> list[dict[str, Any]]:
        rows = self.session.execute(
            sa.select(Photo, Audit.id)
            .join(AuditPhoto, AuditPhoto.photo_id == Photo.id)
            .join(Audit, Audit.id == AuditPhoto.audit_id)
            .where(Audit.facility_id == facility_id)
            .order_by(Audit.id.desc(), Photo.id)
        ).all()
        return [
            {
                "photo_id": p.id,
                "audit_id": audit_id,
                "sha256": p.sha256,
                "mime": p.mime,
                "path": p.path,
                "thumb_path": p.thumb_path,
                "width": p.width,
                "height": p.height,
            }
            for p, audit_id in rows
        ]

    # ------------------------------------------------------------------ read models for the UI
    def facility_frame(
        self,
        *,
        facility_types: Iterable[str] | None = None,
        districts: Iterable[str] | None = None,
        verdicts: Iterable[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pd.DataFrame:
        """One row per facility with its current audit's verdict (for maps and tables).

        The current audit is the latest submitted one (``audits.is_current``, kept on submit).

        ``since``/``until`` filter on the latest audit's time; an unaudited facility is kept only
        when no date filter is given.
        """
        stmt = (
            sa.select(
                Facility.id.label("facility_id"),
                Facility.facility_type,
                Facility.name,
                Facility.lon,
                Facility.lat,
                Facility.district_code,
                Facility.address,
                Facility.street_name,
                sa.func.coalesce(Audit.verdict, "unaudited").label("verdict"),
                Audit.score,
                sa.func.coalesce(Audit.n_fail, 0).label("n_fail"),
                Audit.submitted_at.label("audited_at"),
                Audit.id.label("audit_id"),
                Facility.is_demo,
            )
            .outerjoin(Audit, sa.and_(Audit.facility_id == Facility.id, Audit.is_current))
            .order_by(Facility.id)
        )
        if facility_types is not None:
            stmt = stmt.where(Facility.facility_type.in_(list(facility_types)))
        if districts is not None:
            stmt = stmt.where(Facility.district_code.in_(list(districts)))
        if verdicts is not None:
            stmt = stmt.where(sa.func.coalesce(Audit.verdict, "unaudited").in_(list(verdicts)))
        if since is not None:
            stmt = stmt.where(Audit.submitted_at >= since)
        if until is not None:
            stmt = stmt.where(Audit.submitted_at <= until)
        rows = self.session.execute(stmt).all()
        import pandas as pd

        frame = pd.DataFrame(rows, columns=list(stmt.selected_columns.keys()))
        frame["score"] = pd.to_numeric(frame["score"], errors="coerce").astype(float)
        frame["n_fail"] = frame["n_fail"].astype(int)
        frame["audited_at"] = pd.to_datetime(frame["audited_at"], utc=True)
        frame["is_demo"] = frame["is_demo"].astype(bool)
        frame["audit_id"] = frame["audit_id"].astype("Int64")
        return frame

    def facility_detail(self, facility_id: int, *, staff_names: bool = False) -> dict[str, Any]:
        """Everything the facility panel shows: the facility, its audits newest first, photos.

        The inspector of each audit (a staff user name) is left out unless ``staff_names``
        (staff pages): public pages must not tell an attacker which accounts exist."""
        facility = self.get_facility(facility_id)
        audits = [
            {
                "audit_id": a.id,
                "version": a.sequence,
                "submitted_at": a.submitted_at,
                "inspector": a.inspector_name if staff_names else None,
                "status": a.status,
                "measurements": a.measurements,
                "notes": a.notes,
                "evaluation": a.evaluation,
                "ruleset_id": a.ruleset_id,
                "ruleset_version": a.ruleset_version,
            }
            for a in self.audit_history(facility_id)
        ]
        return {
            "facility": asdict(facility),
            "audits": audits,
            "photos": self.photos_of_facility(facility_id),
        }

    def report_frame(
        self,
        *,
        categories: Iterable[str] | None = None,
        districts: Iterable[str] | None = None,
        statuses: Iterable[str] | None = None,
        public_only: bool = True,
    ) -> pd.DataFrame:
        """Resident reports (public fields only; contact details are never in this frame)."""
        stmt = sa.select(
            Report.id.label("report_id"),
            Report.code,
            Report.category,
            Report.lon,
            Report.lat,
            Report.district_code,
            Report.status,
            Report.support_count,
            Report.created_at,
            Report.description,
            Report.location_text,
            Report.is_demo,
        ).order_by(Report.id)
        if categories is not None:
            stmt = stmt.where(Report.category.in_(list(categories)))
        if districts is not None:
            stmt = stmt.where(Report.district_code.in_(list(districts)))
        if statuses is not None:
            stmt = stmt.where(Report.status.in_(list(statuses)))
        if public_only:
            stmt = stmt.where(Report.status.not_in(["rejected", "duplicate"]))
        rows = self.session.execute(stmt).all()
        import pandas as pd

        frame = pd.DataFrame(rows, columns=list(stmt.selected_columns.keys()))
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
        frame["is_demo"] = frame["is_demo"].astype(bool)
        return frame


def _checked_evaluation(
    evaluation: EvaluationLike, facility_type: str, measured_from: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The evaluation's JSON-safe form, after :func:`check_evaluation` (and, for a re-audit
    that carried values forward, :func:`check_measured_from`) found nothing wrong."""
    data = evaluation.to_dict()
    problems = check_evaluation(data, facility_type)
    if measured_from:
        problems += check_measured_from(measured_from, data.get("measurements"))
    if problems:
        raise InputError(problems, "audit")
    return data


def _n_fail(data: Mapping[str, Any]) -> int:
    return sum(1 for f in data["findings"] if f["status"] == "fail")


def _rescore_view(row: Audit) -> dict[str, Any]:
    """What a rescore changes, as logged."""
    return {"verdict": row.verdict, "score": row.score, "n_fail": row.n_fail,
            "ruleset_id": row.ruleset_id, "ruleset_version": row.ruleset_version}


def _audit_log_view(record: AuditRecord) -> dict[str, Any]:
    """The audit as logged: every field but the (re-computable) evaluation, shallow-copied."""
    return {f.name: getattr(record, f.name) for f in fields(record) if f.name != "evaluation"}
