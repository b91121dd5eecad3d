"""Alembic environment: runs against the engine passed in ``config.attributes['engine']``."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from audit.storage.orm import POSTGIS_ONLY_INDEXES, Base


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """GeoAlchemy2's filter, plus: PostGIS-only GiST indexes are not part of the ORM model."""
    if type_ == "index" and name in POSTGIS_ONLY_INDEXES:
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))


config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
    )
    context.run_migrations()
