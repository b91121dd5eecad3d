"""Bad input, hypothesis-driven: arbitrary measurements, coordinates, report texts and CSV.

The property everywhere: no unhandled exception; every rejection is an
:class:`audit.errors.InputError` whose message names the field (and the value); nothing is
written to the database when input is rejected.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from conftest import one_unit_of_work
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geodata
from audit.actors import ANONYMOUS, Actor
from audit.errors import InputError
from audit.io import odk_import
from audit.model import FACILITY_TYPES, schema, validate_measurements
from audit.reports import REPORT_CATEGORIES, create_report
from audit.scoring import evaluate
from audit.settings import Settings
from audit.storage import Database
from audit.storage.orm import Audit, ChangeLog, Facility, Report, ReportContact
from audit.storage.repository import Repository
from geodata.coords import to_wgs84
from geodata.crs import check_point

import_odk = one_unit_of_work(odk_import.import_odk)  # one unit of work per import


FIXTURE_CSV = Path(__file__).resolve().parent / "fixtures" / "odk" / "central_submissions.csv"
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

SPECIAL_FLOATS = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, -1e308,
                                  5e-324, 10.0**300])
NUMERIC_TEXT = st.sampled_from(["12", " 8.5 ", "1e400", "-1e400", "nan", "inf", "1,200",
                                "１２", "0x10", "", "   ", "yes", "否", "是", "TRUE", "none"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), SPECIAL_FLOATS, st.text(max_size=30),
    NUMERIC_TEXT, st.binary(max_size=8),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)


def _assert_names_fields(exc: InputError) -> None:
    """Every problem names a field, and the message shows each field and its value."""
    message = str(exc)
    assert exc.problems, "an InputError without problems explains nothing"
    for p in exc.problems:
        assert isinstance(p.field, str), p  # may be "" only when the key given was ""
        assert f"`{p.field}`" in message
        assert repr(p.value) in message
        assert p.allowed.strip(), p


# ------------------------------------------------------------------------------ measurements
@st.composite
def measurement_dicts(draw: st.DrawFn, facility_type: str) -> dict[Any, Any]:
    names = list(schema(facility_type))
    keys = st.one_of(st.sampled_from(names), st.text(max_size=12), st.sampled_from(
        [n for t in FACILITY_TYPES for n in schema(t)]))
    return draw(st.dictionaries(keys, VALUES, max_size=8))


@pytest.mark.parametrize("facility_type", FACILITY_TYPES)
@FUZZ
@given(data=st.data())
def test_measurements_fuzz(facility_type: str, data: st.DataObject) -> None:
    raw = data.draw(measurement_dicts(facility_type))
    fields = schema(facility_type)
    try:
        clean = validate_measurements(facility_type, raw)
    except InputError as exc:
        _assert_names_fields(exc)
        unknown = {str(k) for k in raw if k not in fields}
        assert unknown <= {p.field for p in exc.problems}
        with pytest.raises(InputError):
            evaluate(facility_type, raw)
        return
    assert set(clean) <= set(fields)
    for name, value in clean.items():
        if isinstance(value, float):
            assert math.isfinite(value), (name, value)
    result = evaluate(facility_type, raw)
    assert result.verdict in ("compliant", "non_compliant", "incomplete")
    assert result.score is None or 0 <= result.score <= 100


@FUZZ
@given(facility_type=st.one_of(st.text(max_size=12), VALUES))
def test_unknown_facility_type_is_named(facility_type: Any) -> None:
    if facility_type in FACILITY_TYPES:
        return
    with pytest.raises(InputError) as info:
        validate_measurements(facility_type, {})
    _assert_names_fields(info.value)
    assert info.value.problems[0].field == "facility_type"


# ------------------------------------------------------------------------------ coordinates
COORD = st.one_of(st.floats(), st.integers(), SPECIAL_FLOATS, NUMERIC_TEXT, st.none(),
                  st.text(max_size=8), st.lists(st.floats(), max_size=2))


@FUZZ
@given(lon=COORD, lat=COORD)
def test_check_lon_lat_fuzz(lon: Any, lat: Any) -> None:
    try:
        x, y = check_point(lon, lat)
    except InputError as exc:
        _assert_names_fields(exc)
        assert {p.field for p in exc.problems} <= {"location.lon", "location.lat"}
        return
    assert math.isfinite(x) and math.isfinite(y) and abs(x) <= 180 and abs(y) <= 90


@FUZZ
@given(lons=st.lists(COORD, min_size=1, max_size=4), lats=st.lists(COORD, min_size=1, max_size=4),
       outside=st.sampled_from(["raise", "none"]))
def test_district_of_many_fuzz(lons: list[Any], lats: list[Any], outside: str) -> None:
    try:
        codes = geodata.district_of_many(lons, lats, outside=outside)  # type: ignore[arg-type]
    except InputError as exc:
        _assert_names_fields(exc)
        return
    assert len(codes) == len(lons) == len(lats)
    allowed = {"441702", "441704", "441721", "441781"}
    assert all(c in allowed or (c is None and outside == "none") for c in codes)


@FUZZ
@given(lon=COORD, lat=COORD, crs=st.one_of(st.sampled_from(["wgs84", "gcj02", "bd09", "GCJ-02"]),
                                           st.text(max_size=6)))
def test_to_wgs84_fuzz(lon: Any, lat: Any, crs: str) -> None:
    try:
        x, y = to_wgs84(lon, lat, crs)
    except InputError as exc:
        _assert_names_fields(exc)
        assert exc.problems[0].field in ("crs", "point")
        return
    # NaN in gives NaN out (array callers validate first); finite input stays finite
    xs, ys = np.atleast_1d(x), np.atleast_1d(y)
    ins = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    finite_in = np.isfinite(ins[0]) & np.isfinite(ins[1]) & (np.abs(ins[0]) < 1e6)
    assert np.all(np.isfinite(xs[finite_in.ravel()]))
    assert np.all(np.isfinite(ys[finite_in.ravel()]))


# ------------------------------------------------------------------------------ reports
def _count(db: Database, *tables: type) -> tuple[int, ...]:
    with db.session() as s:
        return tuple(int(s.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
                     for t in tables)


TEXT = st.one_of(st.text(max_size=60), st.text(max_size=5000).map(lambda t: t * 3), VALUES,
                 st.sampled_from(["\x00\x1b[31m", "人民路 12 号 公交站旁", "  ", "\u202e" * 9]))


@FUZZ
@given(data=st.data())
def test_report_fuzz_rejections_write_nothing(sqlite_db: Database, tmp_path: Path,
                                              data: st.DataObject) -> None:
    cfg = Settings(data_dir=tmp_path, report_rate_limit=1000)
    category = data.draw(st.one_of(st.sampled_from(list(REPORT_CATEGORIES)), TEXT))
    kwargs: dict[str, Any] = {
        "description": data.draw(TEXT), "location_text": data.draw(TEXT),
        "contact": data.draw(TEXT),
        "lon": data.draw(st.one_of(st.none(), COORD, st.floats(111.3, 112.4))),
        "lat": data.draw(st.one_of(st.none(), COORD, st.floats(21.5, 22.6))),
        "crs": data.draw(st.one_of(st.sampled_from(["wgs84", "gcj02", "bd09"]),
                                   st.text(max_size=5))),
    }
    actor = data.draw(st.sampled_from([ANONYMOUS, Actor(3, "insp", "inspector")]))
    before = _count(sqlite_db, Report, ReportContact, ChangeLog)
    try:
        with sqlite_db.session(write=True) as s:
            receipt = create_report(Repository(s, actor), category=category,
                                    client_key=data.draw(st.text(min_size=1, max_size=9)),
                                    settings=cfg, **kwargs)
    except InputError as exc:
        _assert_names_fields(exc)
        assert _count(sqlite_db, Report, ReportContact, ChangeLog) == before
        return
    after = _count(sqlite_db, Report, ReportContact, ChangeLog)
    assert after[0] == before[0] + 1 and after[2] == before[2] + 1
    assert receipt.code


# ------------------------------------------------------------------------------ CSV import
def _mutate(text: str, data: st.DataObject) -> str:
    lines = text.splitlines(keepends=True)
    how = data.draw(st.sampled_from(["truncate", "cell", "junk", "drop_header", "raw"]))
    if how == "truncate":
        return text[: data.draw(st.integers(0, len(text)))]
    if how == "cell":
        row = data.draw(st.integers(1, len(lines) - 1))
        cells = lines[row].rstrip("\n").split(",")
        col = data.draw(st.integers(0, len(cells) - 1))
        cells[col] = data.draw(st.one_of(st.text(max_size=12), NUMERIC_TEXT)).replace("\n", " ")
        lines[row] = ",".join(cells) + "\n"
        return "".join(lines)
    if how == "junk":
        at = data.draw(st.integers(0, len(text)))
        return text[:at] + data.draw(st.text(max_size=40)) + text[at:]
    if how == "drop_header":
        return "".join(lines[1:])
    return data.draw(st.text(max_size=300))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_odk_csv_fuzz_all_or_nothing(sqlite_db: Database, tmp_path: Path,
                                     data: st.DataObject) -> None:
    cfg = Settings(data_dir=tmp_path)
    text = _mutate(FIXTURE_CSV.read_text(encoding="utf-8"), data)
    path = tmp_path / "fuzz.csv"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    before = _count(sqlite_db, Audit, Facility, ChangeLog)
    try:
        report = import_odk(sqlite_db, Actor(None, "importer", "inspector"), path, settings=cfg)
    except InputError as exc:
        _assert_names_fields(exc)
        assert _count(sqlite_db, Audit, Facility, ChangeLog) == before
        return
    audits = _count(sqlite_db, Audit)[0]
    assert report.imported + report.already_imported == report.rows
    assert audits == before[0] + report.imported
