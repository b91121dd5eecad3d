"""A corpus of malformed files → clear errors naming the file or field, what is wrong and what is
allowed; nothing is written. The bad files are generated here (tmp_path), none is committed.

Decisions: a UTF-8 export with a byte-order mark (Excel's "CSV UTF-8") is accepted; a GBK file
(Excel's plain "CSV" on Chinese Windows) is refused with a message naming GBK and the fix.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import networkx as nx
import openpyxl
import osmnx as ox
import pytest
import sqlalchemy as sa
from conftest import one_unit_of_work
from PIL import Image

import geodata
from audit import photos
from audit.actors import SYSTEM
from audit.errors import InputError
from audit.io import odk_import
from audit.photos import normalise_photo
from audit.settings import Settings
from audit.storage import Database
from audit.storage.orm import Audit, Photo
from geodata.network import load_network

# one unit of work per call, as one page action or CLI command
import_odk = one_unit_of_work(odk_import.import_odk)
store_photo = one_unit_of_work(photos.store_photo)


ODK = Path(__file__).resolve().parent / "fixtures" / "odk"
CSV_TEXT = (ODK / "central_submissions.csv").read_text(encoding="utf-8")
GARBAGE = os.urandom(4096).replace(b"\x00", b"\x01") + b"\x00\xff\xfe"


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def _audits(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(Audit)) or 0)


def _rejected(db: Database, cfg: Settings, path: Path, *words: str) -> str:
    with pytest.raises(InputError) as info:
        import_odk(db, SYSTEM, path, settings=cfg)
    message = str(info.value)
    for word in (path.name, *words):
        assert word.lower() in message.lower(), (word, message)
    assert _audits(db) == 0
    return message


# ------------------------------------------------------------------------------ CSV imports
def test_utf8_with_bom_is_accepted(sqlite_db: Database, cfg: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"))
    report = import_odk(sqlite_db, SYSTEM, path, settings=cfg)
    assert (report.rows, report.imported) == (3, 3)


def test_gbk_csv_is_refused_naming_the_encoding(sqlite_db: Database, cfg: Settings,
                                                tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(CSV_TEXT.replace("Synthetic ramp A", "人民路坡道").encode("gbk"))
    message = _rejected(sqlite_db, cfg, path, "UTF-8", "GBK", "CSV UTF-8")
    assert "file" in message


def test_truncated_csv_reports_the_row(sqlite_db: Database, cfg: Settings,
                                       tmp_path: Path) -> None:
    path = tmp_path / "truncated.csv"
    last = CSV_TEXT.rstrip("\n").rfind("\n")
    path.write_text(CSV_TEXT[: last + 60], encoding="utf-8")  # the last row cut after 59 chars
    with pytest.raises(InputError) as info:
        import_odk(sqlite_db, SYSTEM, path, settings=cfg)
    assert "row 3" in str(info.value) and "instanceID" in str(info.value)
    assert "nothing imported" in str(info.value)
    assert _audits(sqlite_db) == 0


def test_truncated_inside_quotes_and_shifted_columns(sqlite_db: Database, cfg: Settings,
                                                     tmp_path: Path) -> None:
    shifted = tmp_path / "shifted.csv"
    lines = CSV_TEXT.splitlines()
    shifted.write_text("\n".join([lines[0], lines[1] + ",extra,cells", *lines[2:]]),
                       encoding="utf-8")
    _rejected(sqlite_db, cfg, shifted, "line 2", "header")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(lines[0] + '\n2025-03-01,"ramp\r', encoding="utf-8")
    with pytest.raises(InputError) as info:
        import_odk(sqlite_db, SYSTEM, quoted, settings=cfg)
    assert "quoted.csv" in str(info.value) or "row 1" in str(info.value)
    assert _audits(sqlite_db) == 0


@pytest.mark.parametrize("content", [b"", b"   \n", b"\xef\xbb\xbf"])
def test_empty_csv(sqlite_db: Database, cfg: Settings, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    _rejected(sqlite_db, cfg, path, "header")


def test_header_only_csv_imports_nothing(sqlite_db: Database, cfg: Settings,
                                         tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(CSV_TEXT.splitlines()[0] + "\n", encoding="utf-8")
    report = import_odk(sqlite_db, SYSTEM, path, settings=cfg)
    assert (report.rows, report.imported) == (0, 0)


@pytest.mark.parametrize("name", ["garbage.csv", "garbage.json"])
def test_binary_garbage_as_export(sqlite_db: Database, cfg: Settings, tmp_path: Path,
                                  name: str) -> None:
    path = tmp_path / name
    path.write_bytes(GARBAGE)
    _rejected(sqlite_db, cfg, path, "binary")


def test_broken_json(sqlite_db: Database, cfg: Settings, tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text((ODK / "central_odata.json").read_text(encoding="utf-8")[:200],
                    encoding="utf-8")
    _rejected(sqlite_db, cfg, path, "valid JSON")
    other = tmp_path / "scalar.json"
    other.write_text(json.dumps({"value": 3}), encoding="utf-8")
    _rejected(sqlite_db, cfg, other, "JSON list")


def _merged_workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in CSV_TEXT.splitlines():
        ws.append(row.split(","))
    ws.merge_cells("D2:D4")  # facility_type merged across the three rows, as people do
    wb.save(path)


@pytest.mark.parametrize("name", ["merged.xlsx", "merged_renamed.csv"])
def test_excel_with_merged_cells(sqlite_db: Database, cfg: Settings, tmp_path: Path,
                                 name: str) -> None:
    path = tmp_path / name
    _merged_workbook(path)
    _rejected(sqlite_db, cfg, path, "Excel", "CSV")


# ------------------------------------------------------------------------------ boundary files
def _districts_geojson(tmp_path: Path, *, to_crs: str | None, declare: bool,
                       name: str = "b.geojson") -> Path:
    d = geodata.load_districts()
    if to_crs:
        d = d.to_crs(to_crs)
    path = tmp_path / name
    data = json.loads(d.to_json())  # geopandas declares the CRS in a "crs" member
    if not declare:
        data.pop("crs", None)  # as many hand-made files do: GeoJSON readers then assume WGS84
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_boundary_in_projected_crs_without_declaring_it(tmp_path: Path) -> None:
    path = _districts_geojson(tmp_path, to_crs="EPSG:32649", declare=False)
    with pytest.raises(InputError) as info:
        geodata.load_districts(boundary_file=path)
    message = str(info.value)
    assert "bounds" in message and "CRS" in message and path.name in message


def test_boundary_with_declared_crs_is_reprojected(tmp_path: Path) -> None:
    path = _districts_geojson(tmp_path, to_crs="EPSG:32649", declare=True)
    d = geodata.load_districts(boundary_file=path)
    assert sorted(d["adcode"]) == ["441702", "441704", "441721", "441781"]
    assert d.crs.to_epsg() == 4326


@pytest.mark.parametrize("content", [b"", GARBAGE, b'{"type": "FeatureCollection"'])
def test_boundary_empty_or_garbage(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad_boundary.geojson"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        geodata.load_districts(boundary_file=path)
    assert "boundary_file" in str(info.value) and "bad_boundary.geojson" in str(info.value)


# ------------------------------------------------------------------------------ network files
@pytest.mark.parametrize("name", ["net.osm", "net.graphml", "net.osm.pbf"])
@pytest.mark.parametrize("content", [b"", GARBAGE, b"<?xml version='1.0'?><osm><node"])
def test_network_empty_or_garbage(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_network(path)
    assert name in str(info.value) and "network" in str(info.value)


def test_network_graphml_in_projected_crs(tmp_path: Path) -> None:
    G = nx.MultiDiGraph(crs="EPSG:32649")
    G.add_node(1, x=650_000.0, y=2_420_000.0, street_count=1)
    G.add_node(2, x=650_100.0, y=2_420_000.0, street_count=1)
    G.add_edge(1, 2, key=0, length=100.0, osmid=1, oneway=False, reversed=False)
    path = tmp_path / "projected.graphml"
    ox.save_graphml(G, path)
    with pytest.raises(InputError) as info:
        load_network(path)
    assert "crs" in str(info.value) and "EPSG:4326" in str(info.value)


# ------------------------------------------------------------------------------ photos
@pytest.mark.parametrize("content", [b"", GARBAGE, b"\xff\xd8\xff\xe0" + GARBAGE[:100]])
def test_garbage_renamed_jpg(sqlite_db: Database, cfg: Settings, content: bytes) -> None:
    with pytest.raises(InputError) as info:
        store_photo(sqlite_db, SYSTEM, io.BytesIO(content), settings=cfg, field="photo_1.jpg")
    assert "photo_1.jpg" in str(info.value) and "not an image" in str(info.value)
    with sqlite_db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
    assert not any(p.is_file() for p in cfg.photo_dir.rglob("*")) if cfg.photo_dir.exists() \
        else True


def test_truncated_jpeg(cfg: Settings) -> None:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "red").save(out, format="JPEG")
    cut = out.getvalue()[: len(out.getvalue()) // 3]
    with pytest.raises(InputError) as info:
        normalise_photo(cut, strip_metadata=True, settings=cfg, field="photo")
    assert "`photo`" in str(info.value)
