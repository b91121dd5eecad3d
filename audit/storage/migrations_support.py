"""Helpers shared by the Alembic environment and the model/migration agreement test."""

from __future__ import annotations

from geoalchemy2 import alembic_helpers

from audit.storage.orm import POSTGIS_ONLY_INDEXES


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """GeoAlchemy2's filter, plus: PostGIS-only GiST indexes are not part of the ORM model."""
    if type_ == "index" and name in POSTGIS_ONLY_INDEXES:
        return False
    # GeoAlchemy2's helpers are not annotated
    return bool(
        alembic_helpers.include_object(  # type: ignore[no-untyped-call]
            obj, name, type_, reflected, compare_to
        )
    )
