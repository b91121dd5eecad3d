"""The end-of-run line that counts skipped tests by what they need, and the CI rule behind it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from skips import NEEDS, skip_or_fail, summary_line

TESTS_DIR = Path(__file__).resolve().parent


def test_counts_each_need_and_says_how_to_enable_it() -> None:
    reasons = ["[needs chromium] Chromium not found at /nowhere"] * 87 + [
        "[needs postgis] TEST_DATABASE_URL is not set"] * 140
    assert summary_line(reasons) == (
        "skipped 87 tests that need Chromium (apt install chromium) and 140 that need PostGIS "
        "(set TEST_DATABASE_URL) — see README, Tests and CI")


def test_one_test_is_singular_and_untagged_skips_count_as_other_reasons() -> None:
    line = summary_line(["[needs postgis] x", "osmium is not installed", "[needs java] y",
                         "[needs nothing-known] z"])
    assert line == (
        "skipped 1 test that needs PostGIS (set TEST_DATABASE_URL), 1 that needs Java "
        "(apt install default-jre-headless) and 2 for other reasons (listed above) — see README, "
        "Tests and CI")
    assert summary_line(["only an untagged reason"]) == (
        "skipped 1 test for other reasons (listed above) — see README, Tests and CI")


def test_nothing_skipped_prints_nothing() -> None:
    assert summary_line([]) is None


def test_needs_are_listed_in_a_stable_order_whatever_the_order_of_skips() -> None:
    a = summary_line(["[needs postgis] a", "[needs chromium] b"])
    b = summary_line(["[needs chromium] b", "[needs postgis] a"])
    assert a == b and a is not None and a.index("Chromium") < a.index("PostGIS")


def test_an_unknown_need_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="needs='chrome'"):
        skip_or_fail("typo", needs="chrome")
    assert "chromium" in NEEDS and "postgis" in NEEDS


SAMPLE = '''
import pytest
from skips import skip_or_fail


@pytest.fixture
def browser():
    skip_or_fail("Chromium not found at /nowhere", needs="chromium")


@pytest.mark.parametrize("i", range(3))
def test_db(i):
    skip_or_fail("TEST_DATABASE_URL is not set", needs="postgis")


def test_browser(browser):
    pass


def test_plain():
    assert True
'''


def _run_sample(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text("from skips import pytest_terminal_summary\n")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env["CI"] = ci
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider", "--rootdir",
         str(tmp_path), "-c", os.devnull, str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=120)


def test_a_laptop_run_skips_and_ends_with_the_summary_line(tmp_path: Path) -> None:
    done = _run_sample(tmp_path, ci="")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    summary = ("skipped 1 test that needs Chromium (apt install chromium) and 3 that need "
               "PostGIS (set TEST_DATABASE_URL) — see README, Tests and CI")
    assert lines.count(summary) == 1
    # the summary is the last line before pytest's own count, after the -ra list of reasons
    assert lines[-2] == summary and "1 passed, 4 skipped" in lines[-1]
    assert lines[-3].startswith("SKIPPED [")


def test_in_ci_the_same_tests_fail_and_no_skip_line_is_printed(tmp_path: Path) -> None:
    done = _run_sample(tmp_path, ci="true")
    assert done.returncode == 1
    assert "required in CI but unavailable: [needs postgis]" in done.stdout
    assert "skipped" not in done.stdout.splitlines()[-2]
    assert "3 failed, 1 passed, 1 error" in done.stdout.splitlines()[-1]
