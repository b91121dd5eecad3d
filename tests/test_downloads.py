"""Downloads where users work (issue 17 item 12): each export format as one file's bytes, the
synthetic label in it, cells that are never formulas, the XLSForm as bytes."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from audit.actors import Actor
from audit.errors import InputError
from audit.io.exports import DEMO_NOTE_EN, FORMATS, export_bytes, export_tables, view_tables
from audit.io.xlsform import xlsform_bytes
from audit.storage import Database
from ui.i18n import translate

NOTE = {"title": "t", "attribution": "a", "demo_data": "true",
        "demo_note": f"演示 / {DEMO_NOTE_EN}"}
FACILITIES = pd.DataFrame({"facility_id": [1, 2], "name": ["=HYPERLINK(\"x\")", "坡道"],
                           "lon": [111.95, 111.96], "lat": [21.86, 21.87],
                           "is_demo": [True, False]})


def test_every_format_is_one_file_with_the_demo_note_and_safe_cells() -> None:
    tables = view_tables(FACILITIES)
    assert list(tables["facilities"]["demo_data"]) == [True, False]
    assert "is_demo" not in tables["facilities"]
    seen = {}
    for fmt in FORMATS:
        data = export_bytes(tables, NOTE, fmt)
        assert data, fmt
        seen[fmt] = data
    with zipfile.ZipFile(io.BytesIO(seen["csv"])) as zf:
        assert set(zf.namelist()) == {"facilities.csv", "about.csv", "README.txt"}
        text = zf.read("facilities.csv").decode("utf-8-sig")
        assert "'=HYPERLINK" in text  # a formula is exported as text
        assert DEMO_NOTE_EN in zf.read("README.txt").decode()
    with zipfile.ZipFile(io.BytesIO(seen["geojson"])) as zf:
        assert "facilities.geojson" in zf.namelist()
    book = openpyxl.load_workbook(io.BytesIO(seen["xlsx"]))
    assert book.sheetnames == ["about", "facilities"]
    cell = book["facilities"]["B2"]
    assert cell.value == "=HYPERLINK(\"x\")" and cell.data_type == "s"  # text, not a formula
    assert any(DEMO_NOTE_EN in str(c.value) for row in book["about"].iter_rows() for c in row)
    assert seen["gpkg"][:16] == b"SQLite format 3\x00"
    with pytest.raises(InputError) as caught:
        export_bytes(tables, NOTE, "pdf")
    assert (caught.value.problems[0].field, caught.value.problems[0].value) == ("format", "pdf")


def test_xlsform_download_is_the_form_workbook() -> None:
    book = openpyxl.load_workbook(io.BytesIO(xlsform_bytes(["ramp"])))
    assert book.sheetnames[:3] == ["survey", "choices", "settings"]
    names = {row[1] for row in book["survey"].iter_rows(min_row=2, values_only=True)}
    assert "running_slope_pct" in " ".join(str(n) for n in names)


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_excel_downloads_have_peoples_headers_and_a_sheet_for_machines(
        sqlite_db: Database, lang: str) -> None:
    """Every column of every export table has a header in both languages, distinct within its
    sheet; the Excel file carries them with a ``columns`` sheet back to the machine names, and
    the CSV keeps the machine names."""
    with sqlite_db.unit_of_work(Actor(None, "b", "bureau")) as repo:
        tables = export_tables(repo)
    headers = {str(c): translate(lang, f"words.col.{c}")
               for frame in tables.values() for c in frame.columns}
    for name, frame in tables.items():
        shown = [headers[str(c)] for c in frame.columns]
        assert len(set(shown)) == len(shown), (name, shown)
    book = openpyxl.load_workbook(io.BytesIO(export_bytes(tables, NOTE, "xlsx", headers)))
    assert book.sheetnames == ["about", *tables, "columns"]
    first_row = [c.value for c in book["audits"][1]]
    assert first_row == [headers[str(c)] for c in tables["audits"].columns]
    if lang == "zh-Hans":
        assert "提交时间（UTC）" in first_row and "submitted_at" not in first_row
    mapping = {(r[0], r[1]): r[2] for r in book["columns"].iter_rows(min_row=2, values_only=True)}
    assert mapping[("audits", headers["submitted_at"])] == "submitted_at"
    with zipfile.ZipFile(io.BytesIO(export_bytes(tables, NOTE, "csv", headers))) as zf:
        header_line = zf.read("audits.csv").decode("utf-8-sig").splitlines()[0]
    assert header_line.split(",")[:2] == ["audit_id", "facility_id"]  # machine names kept
