"""Faults: a PostgreSQL restart mid-run is reported clearly and recovered from without restart."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from audit.actors import Actor
from audit.errors import StorageUnavailable
from audit.storage import Database
from audit.storage.repository import Repository
from tests.conftest import skip_or_fail

INSPECTOR = Actor(None, "inspector-wu", "inspector")


def _cluster() -> tuple[str, str]:
    if shutil.which("pg_lsclusters") is None or os.geteuid() != 0:
        skip_or_fail("needs root and pg_lsclusters to stop and start the local PostgreSQL",
                     needs="postgis")
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        version, name, port, status, *_ = line.split()
        if port == "5432" and status == "online":
            return version, name
    skip_or_fail("no online PostgreSQL cluster on port 5432", needs="postgis")
    raise AssertionError("unreachable")


def _ctl(version: str, name: str, action: str) -> None:
    extra = ["-m", "fast"] if action == "stop" else []
    subprocess.run(
        ["pg_ctlcluster", version, name, action, *extra], check=True, capture_output=True
    )


def _wait_ready(timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-q", "-h", "localhost"], check=False).returncode == 0:
            return
        time.sleep(0.3)
    raise AssertionError("PostgreSQL did not come back within 30 s")


@pytest.mark.slow
def test_postgres_restart_is_reported_and_recovered(postgis_db: Database) -> None:
    version, name = _cluster()
    with postgis_db.session(write=True) as s:
        fid = Repository(s, INSPECTOR).create_facility("toilet", 111.98, 21.86).id
    _ctl(version, name, "stop")
    try:
        with pytest.raises(StorageUnavailable) as err, postgis_db.session() as s:
            Repository(s).get_facility(fid)
        message = str(err.value)
        assert "unavailable" in message and "check that it is running" in message
        password = postgis_db.engine.url.password
        assert "***" in message and (not password or str(password) not in message)
    finally:
        _ctl(version, name, "start")
        _wait_ready()
    # the same Database object (same engine and pool) works again: no app restart needed
    with postgis_db.session() as s:
        assert Repository(s).get_facility(fid).facility_type == "toilet"
