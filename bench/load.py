"""Concurrent writers storing audits with retries and duplicate sends (the load harness).

Shared by ``tests/test_load.py`` (a small run in every CI, same assertions) and
``bench/bench_load.py`` (the full 8 × 1,000 run with its single-writer baseline). Each writer is a
separate process with its own engine, as separate app servers or tablets' requests would be.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import sys
import time
import types
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa

from audit.actors import Actor
from audit.errors import StorageUnavailable
from audit.scoring import evaluate
from audit.storage import Database, open_database
from audit.storage.orm import Audit
from audit.storage.repository import Repository

FACILITIES = 16
RETRY_P = 0.10  # the client resends the same request (response lost)
DUPLICATE_P = 0.05  # the client later sends an earlier request again
WRITER_TIMEOUT_S = 600
BUSY_RETRIES = 3  # resends of one request after "database busy" (a client's retry)


@dataclass(frozen=True)
class LoadOutcome:
    """What the writers sent and what the database holds afterwards."""

    calls: int
    stored: int
    distinct_keys: int
    gapless_sequences: bool  # re-audit numbers are 1..n per facility


def writer(url: str, worker: int, facility_ids: list[int], per_writer: int) -> int:
    """Send ``per_writer`` audits (plus resends and late duplicates); return the calls made."""
    db = open_database(url)
    actor = Actor(None, f"load-writer-{worker}", "inspector")
    rng = random.Random(worker)
    sent: list[tuple[str, int, dict[str, float]]] = []
    calls = 0

    def send(key: str, fid: int, m: dict[str, float]) -> None:
        nonlocal calls
        calls += 1
        for attempt in range(BUSY_RETRIES + 1):
            try:
                with db.session(write=True) as s:
                    Repository(s, actor).submit_audit(fid, evaluate("ramp", m),
                                                      idempotency_key=key, source="load-test")
                return
            except StorageUnavailable:
                # "busy, try again": SQLite's lock wait (30 s) ran out while the writers and a
                # loaded CPU competed; the tablet resends the same request (same key), as
                # the app's clients do. Nothing may be lost or stored twice either way.
                if attempt == BUSY_RETRIES:
                    raise
                time.sleep(rng.uniform(0.05, 0.5))

    for i in range(per_writer):
        key = f"w{worker}-{i}"
        fid = rng.choice(facility_ids)
        m = {"running_slope_pct": round(rng.uniform(3, 12), 2), "rise_mm": rng.randint(50, 900)}
        send(key, fid, m)
        sent.append((key, fid, m))
        if rng.random() < RETRY_P:
            send(key, fid, m)
        if rng.random() < DUPLICATE_P:
            send(*rng.choice(sent))
    db.engine.dispose()
    return calls


def create_facilities(db: Database) -> list[int]:
    """The ramps the writers audit."""
    with db.session(write=True) as s:
        repo = Repository(s, Actor(None, "setup", "inspector"))
        return [repo.create_facility("ramp", 111.98 + i * 1e-3, 21.86).id
                for i in range(FACILITIES)]


def run_load(db: Database, writers: int, per_writer: int) -> LoadOutcome:
    """Run ``writers`` processes at once against ``db`` and read back what was stored."""
    url = db.engine.url.render_as_string(hide_password=False)
    ids = create_facilities(db)
    # Streamlit's AppTest (run earlier in a test session) leaves a page script as __main__;
    # spawned workers would re-run it. Give them a bare __main__ so they only import this module.
    saved_main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        # a dead worker raises BrokenProcessPool here (multiprocessing.Pool would respawn it)
        with ProcessPoolExecutor(writers, mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(writer, url, w, ids, per_writer) for w in range(writers)]
            calls = [f.result(timeout=WRITER_TIMEOUT_S) for f in futures]
    finally:
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
    with db.session() as s:
        total = s.scalar(sa.select(sa.func.count()).select_from(Audit)) or 0
        keys = s.scalar(sa.select(sa.func.count(sa.distinct(Audit.idempotency_key)))) or 0
        per_facility = s.execute(
            sa.select(Audit.facility_id, sa.func.count(), sa.func.max(Audit.sequence)).group_by(
                Audit.facility_id
            )
        ).all()
    return LoadOutcome(
        calls=sum(calls),
        stored=total,
        distinct_keys=keys,
        gapless_sequences=all(count == max_seq for _, count, max_seq in per_facility),
    )
