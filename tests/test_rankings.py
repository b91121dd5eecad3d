"""Rankings: counts, Wilson interval, gap points, coverage flag, separate resident reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bureau_fixtures import WEIGHTS, audit, facility, report

from audit.actors import SYSTEM
from audit.errors import InputError
from audit.rankings import (
    compute_rankings,
    load_inventory_targets,
    wilson_interval,
)
from audit.storage import Database
from bench.audit_data import naive_rankings


def _expected(cells: dict[tuple[str, str], int]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"district_code": d, "facility_type": t, "expected": n} for (d, t), n in cells.items()]
    )


def _seed(db: Database) -> None:
    with db.session(write=True) as s:
        # 江城区 curb ramps: 3 compliant, 1 non-compliant (2 critical + 1 minor), 1 incomplete
        for _ in range(3):
            audit(s, facility(s, "curb_ramp", "441702"), "compliant")
        audit(s, facility(s, "curb_ramp", "441702"), "non_compliant", {"critical": 2, "minor": 1})
        audit(s, facility(s, "curb_ramp", "441702"), "incomplete")
        # 阳东区 curb ramps: 2 non-compliant; one was non-compliant first, then re-audited compliant
        audit(s, facility(s, "curb_ramp", "441704"), "non_compliant", {"major": 1})
        audit(s, facility(s, "curb_ramp", "441704"), "non_compliant", {"major": 2})
        f = facility(s, "curb_ramp", "441704")
        audit(s, f, "non_compliant", {"critical": 3})
        audit(s, f, "compliant")
        # 阳西县 toilets: audited but below the coverage threshold
        audit(s, facility(s, "toilet", "441721"), "non_compliant", {"critical": 1})
        facility(s, "toilet", "441721")  # never audited


EXPECTED = _expected({("441702", "curb_ramp"): 10, ("441704", "curb_ramp"): 6,
                      ("441721", "toilet"): 10})


def _cell(table: pd.DataFrame, d: str, t: str) -> pd.Series:
    return table[(table.district_code == d) & (table.facility_type == t)].iloc[0]


def test_figures_per_cell_on_both_backends(db: Database) -> None:
    _seed(db)
    with db.unit_of_work(SYSTEM) as repo:
        res = compute_rankings(repo, expected=EXPECTED, weights=WEIGHTS, coverage_threshold=0.3)
    t = res.table
    jc = _cell(t, "441702", "curb_ramp")
    counts = (jc.audited, jc.decided, jc.compliant, jc.non_compliant, jc.incomplete)
    assert counts == (5, 4, 3, 1, 1)
    assert jc.compliance_rate == pytest.approx(0.75)
    # Wilson 95 % for 3/4 (statsmodels reference values)
    assert (jc.ci_low, jc.ci_high) == pytest.approx((0.30064, 0.95441), abs=1e-4)
    assert jc.gap_points == pytest.approx(2 * 5 + 1)
    assert jc.coverage == pytest.approx(0.5)
    yd = _cell(t, "441704", "curb_ramp")
    # the re-audited facility counts by its latest (compliant) audit only
    assert (yd.audited, yd.compliant, yd.non_compliant) == (3, 1, 2)
    assert yd.gap_points == pytest.approx(3 + 6)
    # every district × type cell is listed, audited or not
    assert len(t) == 4 * 7
    assert res.n_audits == 9


def test_coverage_flag_and_rank_order(sqlite_db: Database) -> None:
    _seed(sqlite_db)
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        t = compute_rankings(repo, expected=EXPECTED, weights=WEIGHTS, coverage_threshold=0.3).table
    low = _cell(t, "441721", "toilet")
    assert low.coverage == pytest.approx(0.1)
    assert not low.rankable and pd.isna(low["rank"])
    ranked = t[t.rankable].sort_values("rank")
    assert list(zip(ranked.district_code, ranked.facility_type, strict=True)) == [
        ("441704", "curb_ramp"), ("441702", "curb_ramp")]  # 9/3 = 3.0 > 11/5 = 2.2
    assert list(ranked["rank"]) == [1, 2]
    # with a lower threshold the thin cell becomes rankable (and worst: 5 points per facility)
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        t2 = compute_rankings(repo, expected=EXPECTED, weights=WEIGHTS,
                              coverage_threshold=0.05).table
    assert _cell(t2, "441721", "toilet")["rank"] == 1


def test_resident_reports_are_a_separate_figure(sqlite_db: Database) -> None:
    _seed(sqlite_db)
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        before = compute_rankings(repo, expected=EXPECTED, weights=WEIGHTS).table
    with sqlite_db.session(write=True) as s:
        for i in range(7):
            report(s, "441702", "curb_ramp_missing", code=f"A{i}")
        report(s, "441702", "curb_ramp_missing", status="rejected", code="B1")
        report(s, "441702", "curb_ramp_missing", status="fixed", code="B2")
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        after = compute_rankings(repo, expected=EXPECTED, weights=WEIGHTS).table
    assert _cell(after, "441702", "curb_ramp").resident_reports == 7
    cols = ["audited", "compliant", "non_compliant", "gap_points", "coverage", "rank"]
    pd.testing.assert_frame_equal(before[cols], after[cols])


def test_district_level_grouping(sqlite_db: Database) -> None:
    _seed(sqlite_db)
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        t = compute_rankings(repo, group_by=["district_code"], expected=EXPECTED,
                             weights=WEIGHTS).table
    assert len(t) == 4
    jc = t[t.district_code == "441702"].iloc[0]
    assert (jc.audited, jc.expected, jc.facility_type) == (5, 10, "*")


def test_naive_baseline_agrees(sqlite_db: Database) -> None:
    _seed(sqlite_db)
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        t = compute_rankings(repo, expected=EXPECTED, weights=WEIGHTS).table
        naive = naive_rankings(repo.session, WEIGHTS)
    for (d, ft), cell in naive.items():
        row = _cell(t, d, ft)
        assert (row.audited, row.non_compliant) == (cell["audited"], cell["non_compliant"])
        assert row.gap_points == pytest.approx(cell["gap_points"])


def test_wilson_interval_handles_empty_cells() -> None:
    low, high = wilson_interval(np.array([0, 5]), np.array([0, 10]))
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert low[1] < 0.5 < high[1]


def test_default_inventory_file_is_complete_and_labelled() -> None:
    t = load_inventory_targets()
    assert len(t) == 4 * 7
    assert t["basis"].str.contains("assumption").all()


def test_bad_inventory_file_reports_every_problem(tmp_path: Path) -> None:
    p = tmp_path / "inv.csv"
    p.write_text("district_code,facility_type,expected\n441702,ramp,-3\n441702,lift,4\n"
                 "441704,ramp,2.5\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_inventory_targets(p)
    fields = " ".join(pr.field for pr in exc.value.problems)
    assert len(exc.value.problems) == 3 and "facility_type" in fields and "expected" in fields
    with pytest.raises(InputError):
        load_inventory_targets(tmp_path / "missing.csv")


def test_bad_arguments_raise(sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work(SYSTEM) as repo, pytest.raises(InputError):
        compute_rankings(repo, group_by=["street"], weights=WEIGHTS)
    with sqlite_db.unit_of_work(SYSTEM) as repo, pytest.raises(InputError):
        compute_rankings(repo, coverage_threshold=1.5, weights=WEIGHTS)


def test_a_cold_rankings_process_imports_no_heavy_library(sqlite_db: Database) -> None:
    """The bureau's first page load pays the imports of a cold process: computing the rankings
    with every default (the ruleset's severity weights included) must not pull in scipy (the
    Wilson interval uses the standard library's normal quantile), pyproj, geopandas, matplotlib
    — nor pandas and numpy: the figures are a few hundred rows of plain Python, the ruleset's
    checks load numpy only to evaluate arrays, and the frame is made when a page asks for it;
    nor SQLAlchemy's PostgreSQL dialect on SQLite (see audit.storage.orm,
    POSTGRESQL_INDEX_PREDICATES)."""
    _seed(sqlite_db)
    code = (
        "import sys\n"
        "from audit.rankings import compute_rankings\n"
        "from audit.storage import open_database\n"
        "from audit.storage.repository import Repository\n"
        "with open_database(sys.argv[1]).session() as s:\n"
        "    res = compute_rankings(Repository(s))\n"
        "assert res.n_audits > 0 and res.rows, res\n"
        "heavy = ('scipy', 'pyproj', 'geopandas', 'matplotlib', 'shapely', 'networkx',\n"
        "         'pandas', 'numpy', 'sqlalchemy.dialects.postgresql')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, sqlite_db.engine.url.render_as_string()],
                          capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, check=True)
    assert done.stdout.strip() == ""
