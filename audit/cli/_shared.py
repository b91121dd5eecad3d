"""What several commands share (not a command: :data:`audit.cli.COMMANDS` lists those)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from audit.storage.repository import Repository


@contextmanager
def unit_of_work(*, write: bool = False, upgrade: bool = False) -> Iterator[Repository]:
    """A unit of work on the configured database, acting for the system (the operator at the
    console). ``upgrade=True`` applies pending migrations first."""
    from audit.actors import SYSTEM
    from audit.storage import open_database, upgrade_to_head

    db = open_database()  # DATABASE_URL / DATA_DIR from the settings
    try:
        if upgrade:
            upgrade_to_head(db)
        with db.unit_of_work(SYSTEM, write=write) as repo:
            yield repo
    finally:
        db.engine.dispose()
