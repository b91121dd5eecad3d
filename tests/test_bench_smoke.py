"""Every benchmark runs at smoke size and returns well-formed rows (so benchmarks cannot rot).

A benchmark whose ``NEEDS`` (Chromium, PostGIS) the machine lacks skips on a laptop and fails in
CI (tests/skips.py).
"""

from __future__ import annotations

import importlib
import math
from concurrent.futures import ThreadPoolExecutor

import pytest
from skips import require

from bench.__main__ import KEYS, modules, render


@pytest.mark.parametrize("name", modules())
def test_benchmark_runs_at_smoke_size(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    for need in getattr(module, "NEEDS", ()):
        require(need)
    if "chromium" in getattr(module, "NEEDS", ()):
        # Playwright's sync API refuses a thread whose event loop is running, as it is in an
        # xdist worker whose session Chromium (tests/browser_support.py) is already up
        with ThreadPoolExecutor(1) as pool:
            rows = pool.submit(module.run, "smoke").result()
    else:
        rows = module.run("smoke")
    assert rows, f"{name} returned no figures"
    for row in rows:
        assert set(KEYS) <= set(row), f"{name}: row lacks {set(KEYS) - set(row)}"
        assert isinstance(row["ours"], int | float) and math.isfinite(row["ours"])
        assert row["ours"] >= 0
        if row["baseline"] is not None and row["ratio"] is not None:
            assert math.isfinite(row["ratio"]) and row["ratio"] > 0
    assert name.removeprefix("bench_") in render([(name, rows, 0.0)], "smoke")
