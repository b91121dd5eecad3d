"""Faults: a PostgreSQL restart mid-run is reported clearly and recovered from without restart."""

from __future__ import annotations

import pytest
from pg_private import private_cluster

from audit.actors import Actor
from audit.errors import StorageUnavailable
from audit.storage import open_database, upgrade_to_head
from audit.storage.repository import Repository

INSPECTOR = Actor(None, "inspector-wu", "inspector")


@pytest.mark.slow
def test_postgres_restart_is_reported_and_recovered() -> None:
    # A private throw-away cluster (tests/pg_private.py): stopping it disturbs nobody else.
    with private_cluster() as cluster:
        db = open_database(cluster.url)
        try:
            upgrade_to_head(db)
            with db.session(write=True) as s:
                fid = Repository(s, INSPECTOR).create_facility("toilet", 111.98, 21.86).id
            cluster.stop()
            try:
                with pytest.raises(StorageUnavailable) as err, db.session() as s:
                    Repository(s).get_facility(fid)
                message = str(err.value)
                assert "unavailable" in message and "check that it is running" in message
                password = db.engine.url.password
                assert password and "***" in message and str(password) not in message
            finally:
                cluster.start()
            # the same Database object (same engine and pool) works again: no app restart needed
            with db.session() as s:
                assert Repository(s).get_facility(fid).facility_type == "toilet"
        finally:
            db.engine.dispose()
