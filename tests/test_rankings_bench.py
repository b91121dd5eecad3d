"""The bureau benchmark runs in its smoke size, so it cannot rot."""

from __future__ import annotations

from bench.bench_bureau import run

KEYS = {"figure", "ours", "baseline", "unit", "ratio", "target", "note"}


def test_bench_bureau_smoke() -> None:
    rows = run("smoke")
    assert len(rows) == 3 and all(set(r) == KEYS for r in rows)
    assert "same gap points: True" in rows[0]["note"]
    assert rows[2]["ours"] >= rows[2]["baseline"]  # the exact plan is never worse than greedy
