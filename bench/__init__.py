"""Benchmarks: each ``bench/bench_<area>.py`` exposes ``run(size) -> list[dict]``.

``python -m bench`` (``make bench``) runs them all at full size and writes bench/RESULTS.md;
tests/test_bench_smoke.py runs them at ``size="smoke"`` so they cannot rot.
"""
