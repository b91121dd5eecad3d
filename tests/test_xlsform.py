"""The XLSForm generated from the schema converts with pyxform and matches the schema."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import skip_or_fail
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from audit.io.xlsform import BOOL_NOT_CHECKED, write_xlsform, write_xlsforms
from audit.model import FACILITY_TYPES, SCHEMAS
from audit.settings import Settings

REPO = Path(__file__).resolve().parent.parent
XF = "{http://www.w3.org/2002/xforms}"


def _binds(xform: str) -> dict[str, dict[str, str]]:
    root = ET.fromstring(xform)
    return {b.attrib["nodeset"]: b.attrib for b in root.iter(f"{XF}bind")}


def test_single_form_is_valid_and_covers_the_schema(tmp_path: Path) -> None:
    path = write_xlsform(tmp_path / "form.xlsx", settings=Settings(gps_accuracy_limit_m=25))
    warnings: list[str] = []
    result = convert(str(path), warnings=warnings, form_name="data")
    binds = _binds(result.xform)
    for ftype in FACILITY_TYPES:
        for spec in SCHEMAS[ftype]:
            bind = binds[f"/data/{ftype}/{spec.name}"]
            if spec.is_numeric:
                assert bind["constraint"] == f". >= {spec.minimum:g} and . <= {spec.maximum:g}"
                assert bind["type"] == ("int" if spec.kind == "integer" else "decimal")
        assert binds[f"/data/{ftype}"]["relevant"] == f" /data/facility_type  = '{ftype}'"
    loc = binds["/data/location"]
    assert loc["type"] == "geopoint" and "25" in loc["constraint"]
    assert 'accuracyThreshold="25"' in result.xform
    assert binds["/data/photo_1"]["type"] == "binary"
    assert "/data/meta/instanceID" in binds
    for lang in ("中文 (zh)", "English (en)"):
        assert f'lang="{lang}"' in result.xform
    assert BOOL_NOT_CHECKED in result.xform
    assert "应在 0 到 100 (%) 之间" in result.xform and "Must be from 0 to 100 (%)" in result.xform


def test_per_type_forms(tmp_path: Path) -> None:
    paths = write_xlsforms(tmp_path / "audit.xlsx", per_type=True)
    assert [p.name for p in paths] == [f"audit_{t}.xlsx" for t in FACILITY_TYPES]
    result = convert(str(paths[0]), form_name="data")
    binds = _binds(result.xform)
    assert binds["/data/facility_type"]["calculate"] == "'ramp'"
    assert not any(k.startswith("/data/toilet") for k in binds)


def test_cli_writes_a_workbook(tmp_path: Path) -> None:
    out = tmp_path / "f.xlsx"
    done = subprocess.run([sys.executable, "-m", "audit", "xlsform", str(out)], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    book = load_workbook(out)
    assert book.sheetnames == ["survey", "choices", "settings"]
    header = [c.value for c in book["survey"][1]]
    assert "label::中文 (zh)" in header and "label::English (en)" in header


def test_odk_validate(tmp_path: Path) -> None:
    """ODK Validate (bundled with pyxform, runs on Java) accepts the form."""
    if shutil.which("java") is None:
        skip_or_fail("java is not installed (ODK Validate runs on Java)", needs="java")
    warnings: list[str] = []
    convert(str(write_xlsform(tmp_path / "f.xlsx")), validate=True, warnings=warnings)
    assert warnings == []
