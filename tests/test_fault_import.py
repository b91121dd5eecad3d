"""Fault: ``kill -9`` of ``python -m audit import odk FILE`` mid-file.

The database must then hold all of that file or none of it, pass ``PRAGMA integrity_check``, and
re-running the same import must complete it (exactly one audit per submission).

The importer's progress bar is drawn only on a terminal, so the child's stderr is a pseudo-terminal:
the test reads ``done/total`` from it and kills the process while it is *storing* (past the
validation half of the bar), i.e. inside the one write transaction.
"""

from __future__ import annotations

import csv
import os
import pty
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audit.storage import open_database, upgrade_to_head

REPO = Path(__file__).resolve().parent.parent
ROWS = 120
HEADER = ("SubmissionDate", "facility_type", "facility_name", "location-Latitude",
          "location-Longitude", "location-Accuracy", "ramp-running_slope_pct", "ramp-rise_mm",
          "ramp-handrail_present", "meta-instanceID")
PROGRESS = re.compile(rb"\] (\d+)/(\d+)")


def _write_file(path: Path, rows: int) -> None:
    """A synthetic ODK Central export: ``rows`` ramps on a grid in 江城区, unique instanceIDs."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(rows):
            out.writerow(["2025-03-01T02:10:00.000Z", "ramp", f"Synthetic ramp {i}",
                          f"{21.850 + (i // 20) * 0.001:.4f}", f"{111.950 + (i % 20) * 0.001:.4f}",
                          "4", "8", "300", "yes", f"uuid:kill-{i:06d}"])


def _cli(env: dict[str, str], *args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "audit", *args], cwd=REPO, env=env,
                            **kwargs)  # type: ignore[call-overload]


def _kill_while_storing(env: dict[str, str], csv_path: Path, timeout_s: float = 120) -> int:
    """Start the import with stderr on a pty; SIGKILL it once storing is under way."""
    master, slave = pty.openpty()
    proc = _cli(env, "import", "odk", str(csv_path), "--no-snap",
                stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    buffer = b""
    deadline = time.monotonic() + timeout_s
    done = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                buffer += os.read(master, 4096)
            except OSError:
                break
            found = PROGRESS.findall(buffer[-200:])
            if found:
                done, total = (int(v) for v in found[-1])
                if total // 2 + ROWS // 4 <= done < total:  # storing, a quarter of the way in
                    proc.send_signal(signal.SIGKILL)
                    break
    finally:
        proc.wait(timeout=30)
        os.close(master)
    return done


def _count(db_file: Path) -> tuple[int, int, str]:
    with sqlite3.connect(db_file) as con:
        audits = con.execute("SELECT count(*) FROM audits").fetchone()[0]
        facilities = con.execute("SELECT count(*) FROM facilities").fetchone()[0]
        check = con.execute("PRAGMA integrity_check").fetchone()[0]
    return audits, facilities, check


@pytest.mark.slow
def test_kill_9_mid_import_then_rerun(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "DATA_DIR": str(data), "DATABASE_URL": "", "PYTHONPATH": str(REPO)}
    db_file = data / "audit.sqlite3"
    data.mkdir()
    db = open_database(f"sqlite:///{db_file}")
    upgrade_to_head(db)
    db.engine.dispose()
    csv_path = tmp_path / "submissions.csv"
    _write_file(csv_path, ROWS)

    done = _kill_while_storing(env, csv_path)
    assert ROWS < done < 2 * ROWS, f"not killed while storing (progress {done}/{2 * ROWS})"
    audits, facilities, check = _count(db_file)
    assert check == "ok"
    assert (audits, facilities) in ((0, 0), (ROWS, ROWS)), "a partial import was left behind"
    assert audits == 0, "killed mid-transaction, yet the rows were committed"

    rerun = subprocess.run([sys.executable, "-m", "audit", "import", "odk", str(csv_path),
                            "--no-snap"], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{ROWS} imported" in rerun.stdout and "0 already imported" in rerun.stdout
    assert _count(db_file) == (ROWS, ROWS, "ok")
