"""Load: concurrent writer processes with resends and late duplicates lose and double nothing.

Every sent key must be stored exactly once, with gapless re-audit numbers, on SQLite (WAL) and
PostGIS. The suite runs 8 writers × ``LOAD_PER_WRITER`` audits (40 by default: every writer
overlaps the others, with resends and duplicates; with the facility lock removed, i.e. no
``FOR UPDATE`` and a plain SQLite ``BEGIN``, both tests fail at this size: PostGIS numbers
re-audits twice, SQLite reports "database is locked"); the full 8 × 1,000 run with its
single-writer baseline is ``python -m bench --only load`` (figures in bench/RESULTS.md), and
``LOAD_PER_WRITER=1000`` runs it here too.
"""

from __future__ import annotations

import os

import pytest

from audit.storage import Database
from bench.load import run_load

WRITERS = 8
PER_WRITER = int(os.environ.get("LOAD_PER_WRITER", "40"))


def _check(db: Database) -> None:
    outcome = run_load(db, WRITERS, PER_WRITER)
    assert outcome.calls > WRITERS * PER_WRITER  # retries and duplicates really happened
    assert outcome.stored == WRITERS * PER_WRITER
    assert outcome.distinct_keys == WRITERS * PER_WRITER
    # re-audit numbering stayed consistent under concurrency: 1..n without gaps per facility
    assert outcome.gapless_sequences


@pytest.mark.slow
def test_concurrent_writers_sqlite(sqlite_db: Database) -> None:
    _check(sqlite_db)


@pytest.mark.slow
def test_concurrent_writers_postgis(postgis_db: Database) -> None:
    _check(postgis_db)
