"""Alembic environment and revisions (a package so that the import contracts see them)."""
