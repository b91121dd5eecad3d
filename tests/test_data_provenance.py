"""Every fixture in tests/data is listed in its PROVENANCE.md with source, licence and sha256."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
ROW = re.compile(r"^\| (?P<file>[^|]+?) \|(?P<middle>.*)\| (?P<sha>[0-9a-f]{64}) \|$")


def _listed() -> dict[str, str]:
    text = (DATA_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            cells = [c.strip() for c in match["middle"].split("|")]
            assert len(cells) == 3 and all(cells), f"{match['file']}: what, source, licence"
            rows[match["file"]] = match["sha"]
    return rows


def test_every_fixture_is_listed_with_its_hash() -> None:
    listed = _listed()
    present = {
        p.relative_to(DATA_DIR).as_posix()
        for p in DATA_DIR.rglob("*")
        if p.is_file() and p.name != "PROVENANCE.md"
    }
    assert present == set(listed), (present ^ set(listed))
    for name, sha in listed.items():
        assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == sha, name


def test_the_osm_extracts_stay_small_enough_to_commit() -> None:
    sizes = {p.name: p.stat().st_size for p in (DATA_DIR / "osm").iterdir()}
    assert sizes and max(sizes.values()) < 10 * 2**20, sizes
