"""Benchmark: scoring 100,000 synthetic audits across all seven facility types.

Synthetic audits come from :func:`audit.demo.measurements.random_measurements` with a fixed seed
(a round robin over the types, 10 % of fields missing). Figures:

- ``evaluate_frame`` over one measurement table per type (the tables already built, as the
  storage layer or an import hands them over): target ≥ 20× the ``evaluate`` loop and < 2 s;
- ``evaluate_many`` from the list of ``(type, dict)`` records, i.e. including building the tables;
- the baseline: :func:`audit.scoring.evaluate` in a Python loop. Timing the loop on all 100,000
  audits takes minutes, so it runs on a stratified sample (every 10th audit, 10,000 at full size)
  and is scaled to the full count; the note says so.

Run alone with ``python -m bench.bench_scoring [--size smoke]`` or with all benchmarks through
``python -m bench`` (which writes bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np
import pandas as pd

from audit.demo.measurements import random_measurements
from audit.model import FACILITY_TYPES, SCHEMAS
from audit.rules import default_ruleset
from audit.scoring import evaluate
from audit.vectorized import evaluate_frame, evaluate_many
from bench.common import median_time
from bench.common import row as result_row

SEED = 20_210_401  # GB 55019-2021 came into force on 2022-04-01; any fixed seed will do
SIZES = {"full": (100_000, 10, 3), "smoke": (2_000, 4, 1)}  # audits, sample step, repetitions


def make_records(n: int, seed: int = SEED) -> list[tuple[str, dict[str, object]]]:
    """``n`` synthetic audits, the types in turn (deterministic)."""
    rng = np.random.default_rng(seed)
    return [
        (
            FACILITY_TYPES[i % len(FACILITY_TYPES)],
            random_measurements(FACILITY_TYPES[i % len(FACILITY_TYPES)], rng),
        )
        for i in range(n)
    ]


def make_frames(records: list[tuple[str, dict[str, object]]]) -> dict[str, pd.DataFrame]:
    """One measurement table per facility type (all schema columns, NaN = not measured)."""
    by_type: dict[str, list[dict[str, object]]] = {t: [] for t in FACILITY_TYPES}
    for ftype, m in records:
        by_type[ftype].append(m)
    return {
        t: pd.DataFrame.from_records(rows, columns=[f.name for f in SCHEMAS[t]])
        for t, rows in by_type.items()
    }


def run(size: str = "full") -> list[dict[str, Any]]:
    n, step, reps = SIZES[size]
    rs = default_ruleset()
    records = make_records(n)
    frames = make_frames(records)

    def vectorised() -> dict[str, pd.DataFrame]:
        return {t: evaluate_frame(t, f, ruleset=rs) for t, f in frames.items()}

    vectorised()  # warm-up (imports, ruleset caches)
    frame_s, results = median_time(vectorised, reps)
    many_s, many = median_time(lambda: evaluate_many(records, ruleset=rs), reps)

    sample = records[::step]
    loop_sample_s, loop_results = median_time(
        lambda: [evaluate(t, m, ruleset=rs) for t, m in sample], 1
    )
    loop_s = loop_sample_s * n / len(sample)

    # the two paths agree on the sample (a cheap guard against benchmarking a wrong answer)
    for i, e in zip(range(0, n, step), loop_results, strict=True):
        got = many.iloc[i]
        assert got["verdict"] == e.verdict and got["n_fail"] == e.n_fail, (i, records[i])

    verdicts = pd.concat([r["verdict"] for r in results.values()]).value_counts()
    mix = ", ".join(f"{k} {v / n:.0%}" for k, v in verdicts.items())
    n_rules = len(rs.rules)
    loop_note = (
        f"baseline: evaluate() in a Python loop on every {step}th audit "
        f"({len(sample):,}), scaled ×{n / len(sample):g}"
    )
    return [
        result_row(
            f"score {n:,} audits, 7 types, {n_rules} rules: evaluate_frame on tables",
            frame_s,
            loop_s,
            "s",
            "≥ 20× and < 2 s",
            f"{loop_note}; verdicts: {mix}",
        ),
        result_row(
            f"score {n:,} audits from (type, dict) records: evaluate_many",
            many_s,
            loop_s,
            "s",
            "≥ 20×",
            "includes building the tables from the dicts; " + loop_note,
        ),
        result_row(
            "evaluate() per audit (loop baseline)",
            loop_sample_s / len(sample) * 1e6,
            None,
            "µs",
            "—",
            f"median of 1 pass over {len(sample):,} audits",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_scoring", description=__doc__)
    parser.add_argument("--size", default="full", choices=tuple(SIZES))
    args = parser.parse_args(argv)
    for row in run(args.size):
        ratio = f"{row['ratio']}×" if row["ratio"] is not None else "—"
        base = row["baseline"] if row["baseline"] is not None else "—"
        print(
            f"{row['figure']}: ours {row['ours']} {row['unit']}, baseline {base}, "
            f"ratio {ratio}, target {row['target']} ({row['note']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
