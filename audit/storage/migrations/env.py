"""Alembic environment: runs against the engine passed in ``config.attributes['engine']``."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from audit.storage.migrations_support import include_object
from audit.storage.orm import Base

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
