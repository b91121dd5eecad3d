"""Uploads bounded by what they expand to (issue 16 item 4).

A 2 MB attachments zip used to expand in memory to gigabytes. Here zip bombs are imported in a
child process whose address space is capped (RLIMIT_AS, a little above what it already uses):
the import is refused with a message naming the limit, the process never runs out of memory, and
nothing is written (no facility, no audit, no photo file). A control run in the same cap shows the
old way (``ZipFile.read`` of the entry) does run out of memory there, so the cap is real.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from audit.actors import SYSTEM
from audit.archives import Limits, check_tar, open_zip, read_zip_entry
from audit.errors import InputError
from audit.settings import Settings
from audit.storage import Database

REPO = Path(__file__).resolve().parent.parent
CSV = REPO / "tests" / "fixtures" / "odk" / "central_submissions.csv"  # row 1 names ramp_a.jpg
BOMB_MB = 128
CAP_HEADROOM_MB = 64  # half of the 128 MB an entry read whole would need

CHILD = r"""
import json, resource, sys, zipfile
from pathlib import Path
from audit.actors import SYSTEM
from audit.io.odk_import import import_odk
from audit.settings import Settings
from audit.storage import open_database, upgrade_to_head
# the libraries the import loads on use, loaded (and on a fresh clone byte-compiled) before the
# cap: the cap bounds what the archive expands to, not the code the import needs
import audit.photos, audit.storage.bulk, numpy, pandas
from geodata import district_of
district_of(111.98, 21.86)

csv_path, headroom_mb, jobs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]


def run(tmp, bomb, mode):
    # one capped run, in its own data directory; the cap is relative to the size right now
    db = open_database(f"sqlite:///{tmp / 'db.sqlite3'}")
    upgrade_to_head(db)
    cfg = Settings(data_dir=tmp)
    status = open("/proc/self/status").read().splitlines()
    vm = next(int(line.split()[1]) for line in status if line.startswith("VmSize"))
    cap = vm * 1024 + headroom_mb * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))  # soft cap, lifted again below
    out = {"error": None, "message": ""}
    try:
        if mode == "control":
            with zipfile.ZipFile(bomb) as z:
                z.read(z.namelist()[0])
        else:
            with db.unit_of_work(SYSTEM, write=True) as repo:
                import_odk(repo, csv_path, attachments=bomb, settings=cfg)
    except MemoryError:
        out["error"] = "MemoryError"
    except Exception as exc:
        out["error"] = type(exc).__name__
        out["message"] = str(exc)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    with db.session() as s:
        from audit.storage.orm import Audit, Facility, Photo
        out["rows"] = [s.query(t).count() for t in (Facility, Audit, Photo)]
    db.engine.dispose()
    photos = tmp / "photos"
    found = photos.rglob("*") if photos.exists() else []
    out["files"] = sorted(str(p) for p in found if p.is_file())
    return out


print(json.dumps([run(Path(jobs[i]), jobs[i + 1], jobs[i + 2]) for i in range(0, len(jobs), 3)]))
"""


def _bomb(path: Path, *, mb: int = BOMB_MB) -> Path:
    """A zip whose one photo entry is ``mb`` MiB of zeros (about 0.1% of that compressed)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive, \
            archive.open("media/ramp_a.jpg", "w") as entry:
        block = bytes(1 << 20)
        for _ in range(mb):
            entry.write(block)
    return path


def _liar(bomb: Path, path: Path) -> Path:
    """``bomb`` with its local and central headers declaring 1000 bytes instead."""
    data = bytearray(bomb.read_bytes())
    assert data[:4] == b"PK\x03\x04"
    data[22:26] = struct.pack("<I", 1000)  # local header: uncompressed size
    central = data.rindex(b"PK\x01\x02")
    data[central + 24: central + 28] = struct.pack("<I", 1000)
    path.write_bytes(bytes(data))
    return path


def _run_capped(*jobs: tuple[Path, Path, str]) -> list[dict[str, object]]:
    """Each ``(data dir, zip, "control" | "import")`` run in turn in one child process (its
    imports paid once), each under its own cap; one result dict per job."""
    args = [str(part) for job in jobs for part in job]
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(CSV), str(CAP_HEADROOM_MB), *args],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [dict(out) for out in json.loads(proc.stdout.strip().splitlines()[-1])]


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bomb, its lying twin, and the capped runs of both tests, in one child process:
    the control read of the bomb, then the import of each zip (each in an empty data dir)."""
    tmp = tmp_path_factory.mktemp("bombs")
    bomb = _bomb(tmp / "bomb.zip")
    liar = _liar(bomb, tmp / "liar.zip")
    dirs = [tmp / name for name in ("control", "run", "run-liar")]
    for folder in dirs:
        folder.mkdir()
    control, out, lied = _run_capped((dirs[0], bomb, "control"), (dirs[1], bomb, "import"),
                                     (dirs[2], liar, "import"))
    return {"bomb": bomb, "liar": liar, "control": control, "import": out, "liar_import": lied}


def test_zip_bomb_refused_under_memory_cap_nothing_written(capped: dict[str, Any]) -> None:
    bomb = capped["bomb"]
    assert bomb.stat().st_size < 2 * 1024 * 1024  # ~0.1 MB on disk, 128 MB expanded
    control = capped["control"]
    assert control["error"] == "MemoryError"  # the cap is real: reading it whole fails
    out = capped["import"]
    assert out["error"] == "InputError", out
    assert "ARCHIVE_MAX_RATIO" in str(out["message"]) and "ramp_a.jpg" in str(out["message"])
    assert out["rows"] == [0, 0, 0] and out["files"] == []


def test_zip_with_lying_header_refused_under_memory_cap(capped: dict[str, Any]) -> None:
    with zipfile.ZipFile(capped["liar"]) as archive:
        assert archive.infolist()[0].file_size == 1000  # declares 1 kB, holds 128 MB
    out = capped["liar_import"]
    assert out["error"] == "ImportRejected", out
    assert "ramp_a.jpg" in str(out["message"]) and "intact zip entry" in str(out["message"])
    assert out["rows"] == [0, 0, 0] and out["files"] == []


def test_entry_count_and_total_limits_name_the_setting(tmp_path: Path, sqlite_db: Database
                                                       ) -> None:
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(30):
            archive.writestr(f"f{i}.txt", b"x")
    limits = Limits.upload(Settings(data_dir=tmp_path, archive_max_entries=20))
    with pytest.raises(InputError, match="ARCHIVE_MAX_ENTRIES") as exc:
        open_zip(many, limits)
    assert exc.value.problems[0].value == "30 entries"
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w") as archive:
        archive.writestr("a.bin", bytes(3000))
        archive.writestr("b.bin", bytes(3000))
    small = Limits.upload(Settings(data_dir=tmp_path, upload_max_expanded_bytes=5000))
    with pytest.raises(InputError, match="UPLOAD_MAX_EXPANDED_BYTES"):
        open_zip(big, small)
    ok = Limits.upload(Settings(data_dir=tmp_path))
    with open_zip(big, ok) as archive:
        assert read_zip_entry(archive, "a.bin", 3000, ok) == bytes(3000)
        with pytest.raises(InputError, match="at most"):
            read_zip_entry(archive, "b.bin", 2999, ok)
    # the import path: a refused zip leaves nothing behind
    from audit.io.odk_import import import_odk

    with pytest.raises(InputError, match="ARCHIVE_MAX_ENTRIES"), \
            sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        import_odk(repo, CSV, attachments=many,
                   settings=Settings(data_dir=tmp_path, archive_max_entries=20))
    with sqlite_db.session() as s:
        from audit.storage.orm import Facility
        assert s.query(Facility).count() == 0


def test_tar_bomb_refused_while_streaming(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.tar.gz"
    raw = tmp_path / "zeros.bin"
    with raw.open("wb") as f:
        f.truncate(64 * 1024 * 1024)  # sparse: 64 MB of zeros, costs no disk
    with tarfile.open(bomb, "w:gz") as tar:
        tar.add(raw, arcname="database.sqlite3")
    raw.unlink()
    with pytest.raises(InputError, match="ARCHIVE_MAX_RATIO"):
        check_tar(bomb, Limits.backup(Settings(data_dir=tmp_path)))
    with pytest.raises(InputError, match="BACKUP_MAX_EXPANDED_BYTES"):
        check_tar(bomb, Limits.backup(Settings(data_dir=tmp_path, archive_max_ratio=10_000,
                                               backup_max_expanded_bytes=1024 * 1024)))


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_a_refused_zip_reads_as_a_sentence_for_a_person(tmp_path: Path, lang: str) -> None:
    """The ODK page showed "“this entry” is wrong" for a zip bomb (security walk, issue 16):
    each refusal names the photo zip and the limit, in the person's language."""
    from ui.errors import error_lines

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("media/<b>ramp</b>.jpg", bytes(2 * 1024 * 1024))  # ~2 kB compressed
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(3):
            z.writestr(f"{i}.jpg", b"")
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"%PDF-1.4 not a zip")
    cfg = Settings(data_dir=tmp_path, archive_max_entries=2)
    expected = {"zh-Hans": {bomb: ("照片压缩包", "100 倍", "压缩炸弹"),
                            many: ("照片压缩包", "最多 2 个"),
                            junk: ("照片压缩包", "无法读取")},
                "en": {bomb: ("Photo zip", "100 times", "zip bomb"),
                       many: ("Photo zip", "at most 2"),
                       junk: ("Photo zip", "cannot be read")}}[lang]
    for path, words in expected.items():
        with pytest.raises(InputError) as info:
            open_zip(path, Limits.upload(cfg))
        (line,) = error_lines(info.value, lang)
        assert all(w in line for w in words), line
        assert "ramp" not in line and "ARCHIVE" not in line and str(tmp_path) not in line
