"""A damaged SQLite file gives one clear message (issue 16 item 10): the file, and what to do
(restore from a backup) — in the CLI (exit 2, no traceback) and in the app (no server path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from browser_support import app_test

from audit.actors import SYSTEM
from audit.storage import open_database, upgrade_to_head
from ui.plaintext import md_text

REPO = Path(__file__).resolve().parent.parent


def _not_a_database(data_dir: Path) -> Path:
    path = data_dir / "audit.sqlite3"
    path.write_bytes(b"this is not a database, " * 1000)
    return path


def _damaged(data_dir: Path) -> Path:
    """A real database whose pages after the first are overwritten (header intact)."""
    path = data_dir / "audit.sqlite3"
    db = open_database(f"sqlite:///{path}")
    upgrade_to_head(db)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        for i in range(50):
            repo.create_facility("ramp", 111.95 + i * 1e-4, 21.86, name=f"ramp {i}" * 20)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.engine.dispose()
    data = bytearray(path.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("make", [_not_a_database, _damaged])
def test_cli_names_the_file_and_says_restore(tmp_path: Path, make) -> None:
    path = make(tmp_path)
    before = path.read_bytes()
    env = {"DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "NETWORK_SOURCE": "demo",
           "A11Y_SETTINGS_FILE": "/nonexistent", "DATABASE_URL": ""}
    for args in (["export", "--format", "csv", str(tmp_path / "out")], ["db", "upgrade"]):
        proc = subprocess.run([sys.executable, "-m", "audit", *args], env=env, cwd=REPO,
                              capture_output=True, text=True, check=False, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert str(path) in lines[0] and "restore" in lines[0] and "damaged" in lines[0]
    assert path.read_bytes() == before  # nothing touched the damaged file


def test_app_shows_one_clear_message_without_server_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _not_a_database(tmp_path)
    with app_test(tmp_path, monkeypatch, 120) as at:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert md_text("audit.sqlite3") in errors[0]  # the file's name, shown literally
    assert "python -m audit restore" in errors[0]
    assert str(tmp_path) not in errors[0]
