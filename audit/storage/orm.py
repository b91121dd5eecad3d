"""SQLAlchemy 2 typed ORM models.

WGS84 lon/lat columns are the source of truth on every backend. On PostgreSQL a PostGIS
``geom`` column (POINT, SRID 4326) mirrors them with a GiST index for spatial queries; on SQLite
the same column holds the EWKT text, so the repository gives the same results on both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any, ClassVar, cast

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.types import JSON


class PointType(sa.TypeDecorator[str]):
    """A WGS84 point: PostGIS ``geometry(POINT, 4326)`` on PostgreSQL, EWKT text elsewhere.

    Values are bound as EWKT strings (``SRID=4326;POINT(lon lat)``), which PostGIS parses on
    insert; a plain TypeDecorator keeps GeoAlchemy2's SpatiaLite hooks away from SQLite.
    """

    impl = sa.String
    cache_ok = True
    # GeoAlchemy2's DDL hooks look for these on any column whose type resolves to a geometry;
    # our GiST index is created by the migration instead.
    spatial_index = False
    use_N_D_index = False

    def load_dialect_impl(self, dialect: sa.Dialect | None) -> sa.types.TypeEngine[Any]:
        if dialect is None:
            return sa.String()
        if dialect.name == "postgresql":
            # imported here, when a statement first uses the column on PostgreSQL: GeoAlchemy2
            # (and the Alembic parts it loads) costs a cold process about 0.4 s, and a query
            # that does not touch ``geom`` (the rankings) never needs it. Its DDL hooks must be
            # registered before any CREATE TABLE: the Alembic environment imports it first, and
            # code calling ``metadata.create_all`` on PostgreSQL must import it before.
            from geoalchemy2 import Geometry

            return dialect.type_descriptor(Geometry("POINT", srid=4326, spatial_index=False))
        return dialect.type_descriptor(sa.String())

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> str | None:
        return None if value is None else str(value)


POINT_4326 = PointType()

# GiST indexes that only PostgreSQL has (created by migration 0001); model/migration comparisons
# skip them.
POSTGIS_ONLY_INDEXES = frozenset({"ix_facilities_geom", "ix_reports_geom"})


def utcnow() -> datetime:
    return datetime.now(UTC)


class TZDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no timezone type)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            msg = f"naive datetime {value!r}: pass a timezone-aware UTC datetime"
            raise ValueError(msg)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def point_ewkt(lon: float, lat: float) -> str:
    return f"SRID=4326;POINT({lon!r} {lat!r})"


class Base(so.DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: TZDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class User(Base):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(128), default="")
    role: so.Mapped[str] = so.mapped_column(sa.String(16))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    failed_logins: so.Mapped[int] = so.mapped_column(default=0)
    locked_until: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    is_demo: so.Mapped[bool] = so.mapped_column(default=False)
    #: Raised when every open session of the account must end (sign-out everywhere, disable,
    #: new password); a signed-in session carries the value it signed in with.
    session_epoch: so.Mapped[int] = so.mapped_column(default=0, server_default="0")


class Facility(Base):
    __tablename__ = "facilities"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    facility_type: so.Mapped[str] = so.mapped_column(sa.String(32), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    lon: so.Mapped[float]
    lat: so.Mapped[float]
    geom: so.Mapped[str | None] = so.mapped_column(POINT_4326, deferred=True)
    district_code: so.Mapped[str | None] = so.mapped_column(sa.String(12), index=True)
    address: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    street_u: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    street_v: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    street_key: so.Mapped[int | None]
    street_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    snap_distance_m: so.Mapped[float | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_by: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    version: so.Mapped[int] = so.mapped_column(default=1)
    is_demo: so.Mapped[bool] = so.mapped_column(default=False, index=True)
    #: verdict and time of the facility's current audit (its latest submitted one, the audit
    #: with ``is_current``), written in the transaction that submits it; empty while unaudited
    current_verdict: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    current_submitted_at: so.Mapped[datetime | None]

    __table_args__ = (
        sa.Index("ix_facilities_lon_lat", "lon", "lat"),
        # the verdict counts of the rankings read this index alone (SQLite counts a partial
        # index as covering only if it also holds the predicate's column)
        sa.Index(
            "ix_facilities_current",
            "district_code",
            "facility_type",
            "current_verdict",
            "is_demo",
            "current_submitted_at",
            sqlite_where=sa.text("current_verdict IS NOT NULL"),
        ),
    )


class Audit(Base):
    __tablename__ = "audits"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    facility_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("facilities.id"), index=True)
    inspector_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    inspector_name: so.Mapped[str] = so.mapped_column(sa.String(128), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    submitted_at: so.Mapped[datetime | None] = so.mapped_column(index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="submitted")
    sequence: so.Mapped[int] = so.mapped_column(default=1)
    ruleset_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    ruleset_version: so.Mapped[str] = so.mapped_column(sa.String(64))
    measurements: so.Mapped[dict[str, Any]] = so.mapped_column(JSON)
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    verdict: so.Mapped[str | None] = so.mapped_column(sa.String(16), index=True)
    score: so.Mapped[float | None]
    n_fail: so.Mapped[int] = so.mapped_column(default=0)
    evaluation: so.Mapped[dict[str, Any] | None] = so.mapped_column(JSON)
    idempotency_key: so.Mapped[str | None] = so.mapped_column(sa.String(128), unique=True)
    source: so.Mapped[str] = so.mapped_column(sa.String(16), default="app")
    gps_accuracy_m: so.Mapped[float | None]
    row_version: so.Mapped[int] = so.mapped_column(default=1)
    is_demo: so.Mapped[bool] = so.mapped_column(default=False)
    #: True for the latest submitted audit of its facility (at most one per facility); kept by
    #: the repository in the transaction that submits an audit, so aggregates over "the current
    #: audit of every facility" never scan the history (docs/RANKINGS.md).
    is_current: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: where each measurement a re-audit carried forward came from (docs/SCORING.md §3a):
    #: field → ``{"audit_id", "sequence", "at"}`` (ISO time of the audit that measured it).
    #: A field not listed was measured in this audit itself; ``{}`` for a full audit.
    measured_from: so.Mapped[dict[str, Any]] = so.mapped_column(
        JSON, default=dict, server_default=sa.text("'{}'"))

    __mapper_args__ = MappingProxyType({"version_id_col": row_version})  # read-only mapping
    __table_args__ = (
        sa.Index(
            "ux_audits_current_facility",
            "facility_id",
            unique=True,
            sqlite_where=sa.text("is_current = 1"),
        ),
    )


class AuditFinding(Base):
    """One finding of one audit: a rule's status, what was measured and the threshold.

    Written with its audit, in the same transaction, from the evaluation the caller made
    (:meth:`Repository.submit_audit`); the audit's ``evaluation`` JSON keeps the full detail
    (titles, structured thresholds). ``status`` is a plain string checked in code
    (:data:`audit.storage.findings.FINDING_STATUSES`), so a new status needs no migration;
    ``advice`` (a 宜 clause not followed) is never ``fail``, so no aggregate of failing rows
    counts it.
    ``is_current`` mirrors the audit's flag, and ``district_code``/``facility_type`` copy the
    facility's (which never change after it is created), so the partial index on current
    failing findings answers the rankings and retrofit candidates without a join.
    """

    __tablename__ = "findings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    audit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("audits.id"))
    facility_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("facilities.id"))
    district_code: so.Mapped[str | None] = so.mapped_column(sa.String(12))
    facility_type: so.Mapped[str] = so.mapped_column(sa.String(32))
    rule_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    status: so.Mapped[str] = so.mapped_column(sa.String(16))
    severity: so.Mapped[str] = so.mapped_column(sa.String(16))
    measured_value: so.Mapped[float | None]
    measured_text: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    measured_unit: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    threshold_text: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    clause: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    reference: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    provisional: so.Mapped[bool] = so.mapped_column(default=False)
    #: ``requirement`` (应/必须) or ``advice`` (宜): an advice finding is never part of the
    #: verdict, the score or the gap points (docs/SCORING.md §4)
    obligation: so.Mapped[str] = so.mapped_column(sa.String(16), default="requirement")
    ruleset_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    ruleset_version: so.Mapped[str] = so.mapped_column(sa.String(64))
    is_current: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    __table_args__ = (
        sa.UniqueConstraint("audit_id", "rule_id", name="uq_findings_audit_rule"),
        sa.Index(
            "ix_findings_current_fail",
            "district_code",
            "facility_type",
            "severity",
            "facility_id",
            "is_current",
            "status",
            sqlite_where=sa.text("is_current = 1 AND status = 'fail'"),
        ),
    )


class Photo(Base):
    __tablename__ = "photos"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    mime: so.Mapped[str] = so.mapped_column(sa.String(64))
    size_bytes: so.Mapped[int]
    width: so.Mapped[int | None]
    height: so.Mapped[int | None]
    path: so.Mapped[str] = so.mapped_column(sa.String(500))
    thumb_path: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class AuditPhoto(Base):
    __tablename__ = "audit_photos"

    audit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("audits.id"), primary_key=True)
    photo_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("photos.id"), primary_key=True)


class Report(Base):
    """A resident's barrier report: only public fields here; contact details live apart."""

    __tablename__ = "reports"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(16), unique=True)
    category: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    location_text: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    lon: so.Mapped[float | None]
    lat: so.Mapped[float | None]
    geom: so.Mapped[str | None] = so.mapped_column(POINT_4326, deferred=True)
    district_code: so.Mapped[str | None] = so.mapped_column(sa.String(12), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="new", index=True)
    public_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    duplicate_of_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("reports.id"))
    facility_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("facilities.id"))
    photo_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("photos.id"))
    support_count: so.Mapped[int] = so.mapped_column(default=0)
    client_key: so.Mapped[str] = so.mapped_column(sa.String(64), default="", index=True)
    #: SHA-256 of the reporter's secret token (shown once, only to the reporter): needed to
    #: reopen the report or see its status detail. Empty: nobody but the bureau can.
    secret_hash: so.Mapped[str] = so.mapped_column(sa.String(64), default="", server_default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    row_version: so.Mapped[int] = so.mapped_column(default=1)
    is_demo: so.Mapped[bool] = so.mapped_column(default=False)

    __mapper_args__ = MappingProxyType({"version_id_col": row_version})  # read-only mapping


class ReportContact(Base):
    """Private contact details of a reporter: never exported or shown to non-bureau roles."""

    __tablename__ = "report_contacts"

    report_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("reports.id"), primary_key=True)
    contact: so.Mapped[str] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class ReportSupport(Base):
    """A "me too" on a report, optionally with a comment."""

    __tablename__ = "report_supports"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    report_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("reports.id"), index=True)
    comment: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    client_key: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    idempotency_key: so.Mapped[str | None] = so.mapped_column(sa.String(128), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class WorkOrder(Base):
    __tablename__ = "work_orders"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    facility_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("facilities.id"), index=True
    )
    report_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("reports.id"))
    title: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    responsible_unit: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    due_date: so.Mapped[date | None] = so.mapped_column(sa.Date)
    cost_yuan: so.Mapped[float | None]
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="planned", index=True)
    verified_audit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("audits.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    done_at: so.Mapped[datetime | None]
    verified_at: so.Mapped[datetime | None]
    row_version: so.Mapped[int] = so.mapped_column(default=1)
    is_demo: so.Mapped[bool] = so.mapped_column(default=False)

    __mapper_args__ = MappingProxyType({"version_id_col": row_version})  # read-only mapping


class InventoryItem(Base):
    """A place that should be audited, read from OpenStreetMap tags (never an audit itself).

    One row per OSM object and facility type (a crossing node tagged ``kerb=lowered`` is a
    crossing and a kerb); re-importing upserts by ``(osm_type, osm_id, facility_type)``.
    ``provenance`` is ``osm_yangjiang`` or ``osm_not_yangjiang`` (the source file's label).
    """

    __tablename__ = "inventory_items"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    osm_type: so.Mapped[str] = so.mapped_column(sa.String(8))
    osm_id: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    facility_type: so.Mapped[str] = so.mapped_column(sa.String(32))
    rule_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    lon: so.Mapped[float]
    lat: so.Mapped[float]
    district_code: so.Mapped[str | None] = so.mapped_column(sa.String(12))
    tags: so.Mapped[dict[str, Any]] = so.mapped_column(JSON)
    osm_version: so.Mapped[int | None]
    osm_timestamp: so.Mapped[datetime | None]
    source_file: so.Mapped[str] = so.mapped_column(sa.String(200))
    provenance: so.Mapped[str] = so.mapped_column(sa.String(32))
    rules_version: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    imported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    imported_by: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (
        sa.UniqueConstraint("osm_type", "osm_id", "facility_type", name="uq_inventory_osm"),
        sa.Index("ix_inventory_cell", "district_code", "facility_type"),
        sa.Index("ix_inventory_source", "source_file"),
    )


class ChangeLog(Base):
    """Append-only history: who changed what, when, with the before and after state."""

    __tablename__ = "change_log"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    actor: so.Mapped[str] = so.mapped_column(sa.String(128))
    entity: so.Mapped[str] = so.mapped_column(sa.String(32))
    entity_id: so.Mapped[int | None]
    action: so.Mapped[str] = so.mapped_column(sa.String(32))
    before: so.Mapped[dict[str, Any] | None] = so.mapped_column(JSON)
    after: so.Mapped[dict[str, Any] | None] = so.mapped_column(JSON)

    __table_args__ = (sa.Index("ix_change_log_entity", "entity", "entity_id"),)


class SignInFailure(Base):
    """A refused sign-in from one client (salted hash of its address): the per-client throttle
    that comes before the per-account lock-out counts these."""

    __tablename__ = "sign_in_failures"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_key: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)


class AppMeta(Base):
    """Key/value facts about this database (e.g. that it holds demo data, and its seed)."""

    __tablename__ = "app_meta"

    key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    value: so.Mapped[str] = so.mapped_column(sa.Text)


class DataVersion(Base):
    """One row (``id`` 1): a counter raised in the transaction of every write that changes what
    pages show (:mod:`audit.storage.dataversion`). App processes key their caches on it, so a
    write made by one process is seen by every other at its next read of the counter."""

    __tablename__ = "data_version"

    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    version: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class PhotoContent(Base):
    """The bytes of a stored photo or thumbnail when ``PHOTO_STORE=database`` (PostgreSQL
    ``bytea``, SQLite BLOB): keyed by the relative path its ``photos`` row names, which holds
    the content's sha256, so the store is content-addressed as the folder is. Bounded by
    ``photo_max_bytes`` as every stored photo is."""

    __tablename__ = "photo_contents"

    path: so.Mapped[str] = so.mapped_column(sa.String(500), primary_key=True)
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    size_bytes: so.Mapped[int]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class SignInSession(Base):
    """A signed-in browser that may come back after a reload (issue 17 item 4): the app keeps an
    opaque random token in an HttpOnly cookie; only its SHA-256 is stored here. The row is
    created at sign-in with a one-time *claim code* (its hash, valid for a minute) that the
    browser exchanges for the cookie; it carries the account's role and session epoch at
    sign-in, so a changed role, a disabled account or a sign-out ends it."""

    __tablename__ = "sign_in_sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: so.Mapped[str] = so.mapped_column(sa.String(16))
    session_epoch: so.Mapped[int]
    token_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    claim_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    claim_expires_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(index=True)


class AuditDraft(Base):
    """An inspector's unsaved audit form, kept automatically so that a reload or a lost
    connection loses nothing (issue 17 item 4). One row per inspector and form; only its owner
    reads or writes it (:mod:`audit.drafts`). ``content`` holds the form's values as plain JSON,
    bounded in size; it is never trusted: resuming validates it again."""

    __tablename__ = "audit_drafts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    form_key: so.Mapped[str] = so.mapped_column(sa.String(64))
    facility_id: so.Mapped[int | None]
    facility_type: so.Mapped[str] = so.mapped_column(sa.String(32))
    title: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    content: so.Mapped[dict[str, Any]] = so.mapped_column(JSON)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "form_key", name="uq_audit_drafts_form"),)


#: The mapped classes' tables, for SQLAlchemy Core statements: bulk writes (executemany without
#: the ORM's per-row bookkeeping, :mod:`audit.storage.bulk`) and the aggregates a cold process
#: runs (:mod:`audit.storage.queries`; a Core statement neither builds the ORM's statement
#: context nor configures every mapper).
AUDITS = cast(sa.Table, Audit.__table__)
FACILITIES = cast(sa.Table, Facility.__table__)
FINDINGS = cast(sa.Table, AuditFinding.__table__)
AUDIT_PHOTOS = cast(sa.Table, AuditPhoto.__table__)
CHANGE_LOG = cast(sa.Table, ChangeLog.__table__)
REPORTS = cast(sa.Table, Report.__table__)
INVENTORY = cast(sa.Table, InventoryItem.__table__)
APP_META = cast(sa.Table, AppMeta.__table__)


#: PostgreSQL's predicates of the partial indexes (SQLite's are declared on each index). They
#: are attached by :func:`add_postgresql_predicates` when a PostgreSQL database is opened or its
#: tables created: declared on the index, ``postgresql_where`` makes SQLAlchemy import its whole
#: PostgreSQL dialect package to check the keyword, about 40 ms of every cold process,
#: SQLite's included (the rankings page's cold start, issue 13). The migrations declare them
#: as usual.
POSTGRESQL_INDEX_PREDICATES: dict[str, str] = {
    "ix_facilities_current": "current_verdict IS NOT NULL",
    "ux_audits_current_facility": "is_current",
    "ix_findings_current_fail": "is_current AND status = 'fail'",
}


def add_postgresql_predicates(metadata: sa.MetaData = Base.metadata) -> None:
    """Give the partial indexes of ``metadata`` their PostgreSQL predicates (idempotent)."""
    for table in metadata.tables.values():
        for index in table.indexes:
            where = POSTGRESQL_INDEX_PREDICATES.get(str(index.name))
            if where is not None:
                index.dialect_options["postgresql"]["where"] = sa.text(where)


@sa.event.listens_for(Base.metadata, "before_create")
def _predicates_before_create(target: sa.MetaData, connection: sa.Connection,
                              **_: Any) -> None:
    if connection.dialect.name == "postgresql":
        add_postgresql_predicates(target)
