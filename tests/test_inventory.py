"""OSM as the inventory to audit (issue 14 §5): import, coverage targets from counts, the
inspector's worklist (round, printable page, XLSForm)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest
import sqlalchemy as sa
from bureau_fixtures import snapshot
from conftest import data_path
from inventory_fixtures import DISTRICT, write_synthetic_pbf
from pyxform.xls2xform import convert

from audit.actors import SYSTEM, Actor
from audit.errors import InputError, PermissionDenied
from audit.inventory import (
    import_inventory,
    inventory_counts,
    inventory_frame,
    match_items,
    worklist,
)
from audit.io.worklist import worklist_html, worklist_lines, write_worklist_xlsform
from audit.rankings import compute_rankings
from audit.scoring import evaluate
from audit.settings import Settings
from audit.storage import Database
from audit.storage.orm import InventoryItem
from geodata.demo_network import demo_walk_network
from geodata.tour import haversine_m


@pytest.fixture(scope="module")
def walk() -> nx.MultiDiGraph:
    return demo_walk_network()


@pytest.fixture
def synthetic(tmp_path: Path, walk: nx.MultiDiGraph) -> Path:
    return write_synthetic_pbf(tmp_path / "synthetic-yangjiang.osm.pbf", walk)


def _import(db: Database, path: Path, actor: Actor = SYSTEM, **kw: Any) -> Any:
    with db.unit_of_work(actor, write=True) as repo:
        return import_inventory(repo, path, **kw)


def _items(db: Database) -> pd.DataFrame:
    with db.unit_of_work(SYSTEM) as repo:
        return inventory_frame(repo)


# ----------------------------------------------------------------------------- import


def test_helsinki_import_counts_labels_and_is_idempotent(sqlite_db: Database) -> None:
    first = _import(sqlite_db, data_path("osm", "Helsinki.osm.pbf"))
    # the extract's tagging (tests/test_geodata_pedestrian.py counts 620 crossings): no kerb,
    # no parking_space=disabled and no capacity:disabled in it
    assert dict(first.by_type) == {"crossing_signal": 620, "entrance": 17, "toilet": 4}
    assert (first.inserted, first.updated, first.removed) == (641, 0, 0)
    assert first.provenance == "osm_not_yangjiang"
    items = _items(sqlite_db)
    assert len(items) == 641 and items["district_code"].isna().all()
    assert set(items["source_file"]) == {"Helsinki.osm.pbf"}
    node = items[(items["osm_type"] == "node") & (items["osm_id"] == 25345645)].iloc[0]
    assert node["osm_version"] == 11
    assert pd.Timestamp(node["osm_timestamp"]) == pd.Timestamp("2013-08-28 14:11:10", tz="UTC")
    sound = items[items["facility_type"] == "crossing_signal"]["tags"].map(
        lambda t: t.get("traffic_signals:sound"))
    assert (sound == "yes").sum() == 67  # the audible-signal count
    assert (items["osm_type"] == "way").sum() == 1  # the toilet mapped as a building way
    again = _import(sqlite_db, data_path("osm", "Helsinki.osm.pbf"))
    assert (again.inserted, again.updated, again.unchanged, again.removed) == (0, 0, 641, 0)
    assert len(_items(sqlite_db)) == 641
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        assert inventory_counts(repo).empty  # nothing in Yangjiang: no coverage target


def test_synthetic_yangjiang_import_and_reimport_upserts(
    db: Database, synthetic: Path, walk: nx.MultiDiGraph
) -> None:
    r = _import(db, synthetic)
    assert r.provenance == "osm_yangjiang"
    assert dict(r.by_type) == {"crossing_signal": 14, "curb_ramp": 3, "toilet": 1, "parking": 1,
                               "entrance": 1}
    items = _items(db)
    assert set(items["district_code"]) == {DISTRICT}
    parking = items[items["facility_type"] == "parking"].iloc[0]
    assert parking["osm_type"] == "way" and parking["osm_id"] == 4001
    assert parking["osm_version"] is None or pd.isna(parking["osm_version"])
    # the same node is a crossing and a kerb: two items, one OSM object
    both = items[items["osm_id"] == 1000]
    assert sorted(both["facility_type"]) == ["crossing_signal", "curb_ramp"]
    # a newer extract: one crossing gone, the toilet's tag changed
    write_synthetic_pbf(synthetic, walk, drop_last=True, toilet_tag="no")
    r2 = _import(db, synthetic)
    assert (r2.inserted, r2.updated, r2.removed) == (0, 1, 1)
    items = _items(db)
    assert len(items) == 19
    assert items[items["facility_type"] == "toilet"].iloc[0]["tags"] == {"wheelchair": "no"}


@pytest.mark.parametrize(("content", "name", "field"), [
    (b"this is not OSM data at all", "bad.osm.pbf", "file"),
    (b"", "empty.osm.pbf", "file"),
    (b"<osm></osm>", "notes.txt", "file"),
])
def test_bad_files_are_refused_without_rows(sqlite_db: Database, tmp_path: Path,
                                            content: bytes, name: str, field: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = snapshot(sqlite_db)
    with pytest.raises(InputError) as info:
        _import(sqlite_db, path)
    assert info.value.problems[0].field == field
    assert name in str(info.value)
    assert snapshot(sqlite_db) == before


def test_no_features_too_large_too_many(sqlite_db: Database, synthetic: Path) -> None:
    before = snapshot(sqlite_db)
    with pytest.raises(InputError, match="at least one feature the inventory rules recognise"):
        _import(sqlite_db, data_path("osm", "West-Oakland.osm.bz2"))
    with pytest.raises(InputError, match=r"`file size` = 'Helsinki.osm.pbf: 0.7 MB'"):
        _import(sqlite_db, data_path("osm", "Helsinki.osm.pbf"),
                settings=Settings(inventory_max_file_bytes=100_000))
    with pytest.raises(InputError, match="at most 5 matching objects"):
        _import(sqlite_db, synthetic, settings=Settings(inventory_max_items=5))
    assert snapshot(sqlite_db) == before


def test_only_bureau_and_admin_import(sqlite_db: Database, synthetic: Path) -> None:
    for role in ("anonymous", "inspector"):
        with pytest.raises(PermissionDenied):
            _import(sqlite_db, synthetic, Actor(None, role, role))  # type: ignore[arg-type]
    assert _items(sqlite_db).empty
    assert _import(sqlite_db, synthetic, Actor(None, "b", "bureau")).inserted == 20


# ----------------------------------------------------------------------------- coverage


def test_coverage_targets_come_from_inventory_counts_where_present(
    sqlite_db: Database, synthetic: Path
) -> None:
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        before = compute_rankings(repo).table.set_index(["district_code", "facility_type"])
    assert before.loc[(DISTRICT, "crossing_signal"), "expected_source"] == "inventory_targets.csv"
    _import(sqlite_db, synthetic)
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        res = compute_rankings(repo)
        by_district = compute_rankings(repo, group_by=["district_code"]).table
    table = res.table.set_index(["district_code", "facility_type"])
    cell = table.loc[(DISTRICT, "crossing_signal")]
    assert cell["expected"] == 14 and cell["expected_source"] == "osm_inventory"
    assert table.loc[(DISTRICT, "curb_ramp"), "expected"] == 3
    # cells without inventory items keep the assumed target and say so
    ramp = table.loc[(DISTRICT, "ramp")]
    assert ramp["expected_source"] == "inventory_targets.csv"
    assert ramp["expected"] == before.loc[(DISTRICT, "ramp"), "expected"]
    assert table.loc[("441704", "crossing_signal"), "expected_source"] == "inventory_targets.csv"
    assert res.expected_source == "inventory_targets.csv + osm_inventory"
    mixed = by_district.set_index("district_code").loc[DISTRICT, "expected_source"]
    assert mixed == "inventory_targets.csv + osm_inventory"
    # the printable district report names each row's source
    from audit.io.district_report import district_report_html

    with sqlite_db.unit_of_work(SYSTEM) as repo:
        html = district_report_html(repo, DISTRICT, ranking=res)
    assert "<td>OSM 清单计数</td>" in html and "<td>假设目标（inventory_targets.csv）</td>" in html


# ----------------------------------------------------------------------------- matching


def test_each_audited_facility_claims_its_nearest_item_of_the_same_type() -> None:
    items = pd.DataFrame({
        "item_id": [1, 2, 3, 4],
        "facility_type": ["crossing_signal", "crossing_signal", "toilet", "crossing_signal"],
        "lon": [112.0, 112.0002, 112.0, 112.01], "lat": [21.9, 21.9, 21.9, 21.9],
    })
    # ~10 m east of item 1 (item 2 is ~21 m east of item 1): claims item 1 only; the toilet
    # item at the same spot is another type; item 4 is ~1 km away
    east = 112.0 + 10 / haversine_m(112.0, 21.9, 112.001, 21.9) * 0.001
    facilities = pd.DataFrame({"facility_id": [7, 8], "facility_type": ["crossing_signal", "ramp"],
                               "lon": [float(east), 112.0], "lat": [21.9, 21.9]})
    got = match_items(items, facilities, limit_m=100.0)
    assert got.tolist()[0] == 7 and got.isna().tolist() == [False, True, True, True]
    assert match_items(items, facilities, limit_m=5.0).isna().all()  # beyond the limit


# ----------------------------------------------------------------------------- worklist


def test_worklist_round_leaves_out_audited_items_and_exports(
    sqlite_db: Database, synthetic: Path, walk: nx.MultiDiGraph, tmp_path: Path
) -> None:
    _import(sqlite_db, synthetic)
    items = _items(sqlite_db)
    target = items[(items["facility_type"] == "crossing_signal")].iloc[5]
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        fac = repo.create_facility("crossing_signal", float(target["lon"]) + 0.00003,
                                   float(target["lat"]), district_code=DISTRICT)
        repo.submit_audit(fac.id, evaluate("crossing_signal", {}))
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        wl = worklist(repo, walk, district_code=DISTRICT)
    assert wl.total_items == 20 and wl.audited == 1 and wl.left_out == 0
    assert len(wl.stops) == 19
    assert int(target["item_id"]) not in set(wl.stops["item_id"])
    assert wl.stops["stop"].tolist() == list(range(1, 20))
    assert wl.length_m <= wl.start_order_length_m
    assert wl.stops["cumulative_m"].iloc[-1] == pytest.approx(wl.length_m)
    assert wl.stops["leg_on_network"].all() and not wl.not_yangjiang
    assert wl.stops.iloc[0]["lon"] == wl.stops["lon"].min()  # starts farthest west
    # printable page: escaped, labelled, local time
    html = worklist_html(wl, "en")
    assert "Accessibility inspection worklist" in html and "traffic_signals:sound=yes" in html
    assert "not Yangjiang" not in html
    lines = worklist_lines(wl, "zh")
    assert lines[0].startswith("无障碍设施巡查清单 — 江城区") and len(lines) == 2 + 19
    # the XLSForm: the stops pre-filled as choices, valid for pyxform
    form = write_worklist_xlsform(wl, tmp_path / "wl.xlsx")
    result = convert(str(form), form_name="data", warnings=[])
    assert "/data/inventory_item" in result.xform
    for name in (f"s1_{wl.stops.iloc[0]['osm_type']}_{wl.stops.iloc[0]['osm_id']}",
                 "not_listed"):
        assert name in result.xform
    # a worklist of nothing
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        none = worklist(repo, walk, district_code="441781")
    assert none.stops.empty and none.total_items == 0
    with pytest.raises(InputError, match="at least one unaudited item"):
        write_worklist_xlsform(none, tmp_path / "none.xlsx")
    with pytest.raises(InputError, match="district"), sqlite_db.unit_of_work(SYSTEM) as repo:
        worklist(repo, walk)
    with pytest.raises(InputError, match="`district` = '110101'"), \
            sqlite_db.unit_of_work(SYSTEM) as repo:
        worklist(repo, walk, district_code="110101")
    with pytest.raises(InputError, match="facility_type"), sqlite_db.unit_of_work(SYSTEM) as repo:
        worklist(repo, walk, district_code=DISTRICT, facility_types=["bench"])


def test_worklist_limit_and_hostile_tags(sqlite_db: Database, synthetic: Path,
                                        walk: nx.MultiDiGraph) -> None:
    _import(sqlite_db, synthetic)
    with sqlite_db.engine.begin() as conn:
        conn.execute(sa.update(InventoryItem).where(InventoryItem.facility_type == "toilet")
                     .values(tags={"name": "<script>alert(1)</script>", "wheelchair": "yes"}))
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        wl = worklist(repo, walk, district_code=DISTRICT, settings=Settings(worklist_max_items=5))
    assert len(wl.stops) == 5 and wl.left_out == 15
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        wl = worklist(repo, walk, district_code=DISTRICT, facility_types=["toilet"])
    html = worklist_html(wl, "en")
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_helsinki_worklist_says_not_yangjiang(sqlite_db: Database) -> None:
    _import(sqlite_db, data_path("osm", "Helsinki.osm.pbf"))
    items = _items(sqlite_db)
    toilets = items[items["facility_type"] == "toilet"]
    # a tiny street graph around the Helsinki toilets (real positions, synthetic edges)
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for i, row in enumerate(toilets.itertuples()):
        G.add_node(i, x=row.lon, y=row.lat)
        if i:
            length = float(haversine_m(G.nodes[i - 1]["x"], G.nodes[i - 1]["y"], row.lon,
                                       row.lat))
            G.add_edge(i - 1, i, length=length)
            G.add_edge(i, i - 1, length=length)
    with sqlite_db.unit_of_work(SYSTEM) as repo:
        wl = worklist(repo, G, source_file="Helsinki.osm.pbf", facility_types=["toilet"])
    assert len(wl.stops) == 4 and wl.not_yangjiang
    assert "not Yangjiang" in worklist_html(wl, "en")
    assert "不是阳江" in worklist_lines(wl, "zh")[2]


# ----------------------------------------------------------------------------- command line


def test_cli_import_list_worklist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str], synthetic: Path) -> None:
    from audit.cli import main
    from audit.settings import get_settings

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("A11Y_SETTINGS_FILE", str(tmp_path / "none.toml"))
    get_settings.cache_clear()
    try:
        assert main(["inventory", "import", str(tmp_path / "missing.osm.pbf")]) == 2
        assert "missing.osm.pbf" in capsys.readouterr().err
        assert main(["inventory", "import", str(synthetic)]) == 0
        out = capsys.readouterr().out
        assert "synthetic-yangjiang.osm.pbf (OpenStreetMap data of Yangjiang): 20 inventory " \
               "items, 20 new" in out
        assert main(["inventory", "list"]) == 0
        assert "441702 crossing_signal: 14" in capsys.readouterr().out
        html = tmp_path / "wl.html"
        assert main(["inventory", "worklist", "--district", "441702", "--network", "demo",
                     "--html", str(html), "--lang", "en", "--type", "toilet"]) == 0
        out = capsys.readouterr().out
        assert "1 stops to audit" in out and html.is_file()
    finally:
        get_settings.cache_clear()
