"""Run every benchmark and write bench/RESULTS.md: ours, the baseline from the same run, ratio."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import pkgutil
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

import bench

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
KEYS = ("figure", "ours", "baseline", "unit", "ratio", "target", "note")
PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "shapely",
    "geopandas",
    "osmnx",
    "networkx",
    "folium",
    "streamlit",
    "SQLAlchemy",
    "psycopg",
)


def modules(only: Sequence[str] = ()) -> list[str]:
    names = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    return [n for n in names if not only or any(o in n for o in only)]


def run_all(size: str, only: Sequence[str] = ()) -> list[tuple[str, list[dict[str, Any]], float]]:
    out = []
    for name in modules(only):
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        rows = module.run(size)
        out.append((name, rows, time.perf_counter() - started))
        print(f"{name}: {len(rows)} figures in {out[-1][2]:.1f} s", file=sys.stderr)
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.4g}"
    return str(value)


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for pkg in PACKAGES:
        try:
            versions.append(f"{pkg} {importlib.metadata.version(pkg)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return [
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu}; {os.cpu_count()} logical cores; "
        f"memory {psutil.virtual_memory().total / 2**30:.1f} GiB",
        f"- OS: {platform.platform()}; Python {platform.python_version()}",
        f"- packages: {', '.join(versions)}",
        f"- OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}",
    ]


def render(results: list[tuple[str, list[dict[str, Any]], float]], size: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`). Each figure is a median of repeated",
        "runs; the baseline is measured in the same run on the same machine, and the ratio is",
        "baseline ÷ ours for times and sizes (above 1 means ours is faster or smaller). These",
        "machines are shared and noisy: read the ratios, not the absolute times.",
        "",
        f"Size: `{size}`.",
        "",
        *machine(),
        "",
        "| benchmark | figure | ours | baseline | unit | ratio | target | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, rows, _ in results:
        for row in rows:
            cells = [name.removeprefix("bench_")] + [_fmt(row.get(k)) for k in KEYS]
            lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", default="full", choices=("full", "smoke"))
    parser.add_argument("--only", nargs="*", default=(), help="run only benchmarks matching these")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the table (default: bench/RESULTS.md for a full run of everything; "
        "with --only or --size smoke, only printed, so a partial run never replaces the results)",
    )
    args = parser.parse_args(argv)
    results = run_all(args.size, args.only)
    text = render(results, args.size)
    out = args.out
    if out is None and not args.only and args.size == "full":
        out = RESULTS
    if out is not None:
        out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
