"""The big map layers (street network, place labels) are served as content-hashed static files
that the map fetches, not inline script (issue 17, landing speed)."""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from published_support import PUBLISHED_URL, published_bodies
from shapely.geometry import LineString

from ui.map import build_map, network_layer, published
from ui.map.basemap import LabelSets
from ui.map.published import JsonFile, json_file, publish

EVIL = '<img src=x onerror="alert(1)">'


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["facility_id", "facility_type", "name", "lon", "lat",
                                 "verdict"])


def _edges() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[LineString([(111.91234, 21.81234), (111.95678, 21.83456)])], crs=4326)


def test_file_name_is_the_kind_and_the_content_hash() -> None:
    a, b = json_file("network", {"x": [1, 2]}), json_file("network", {"x": [1, 2]})
    assert a.name == b.name and re.fullmatch(r"network-[0-9a-f]{20}\.json", a.name)
    assert json_file("network", {"x": [1, 3]}).name != a.name
    assert json_file("labels", {"x": [1, 2]}).name != a.name
    assert json_file("labels", ["演示路 1"]).body == '["演示路 1"]'.encode()
    for bad in ("../x", "a/b", "", "a.b", "网络"):
        with pytest.raises(ValueError, match="kind"):
            JsonFile(bad, b"{}")
    with pytest.raises(ValueError):
        json_file("network", {"x": float("nan")})  # not JSON a browser can parse


def test_publish_writes_once_and_returns_its_url(tmp_path: Path) -> None:
    doc = json_file("network", {"type": "FeatureCollection", "features": []})
    url = publish(doc, "/app/static/", tmp_path)
    assert url == f"/app/static/data/{doc.name}"
    target = tmp_path / doc.name
    assert target.read_bytes() == doc.body
    old = time.time() - 60
    os.utime(target, (old, old))
    assert publish(doc, "/app/static", tmp_path) == url
    assert target.stat().st_mtime == pytest.approx(old), "an existing file is not rewritten"
    assert [p.name for p in tmp_path.iterdir()] == [doc.name], "no temporary file left"


def test_concurrent_publishers_leave_one_whole_file(tmp_path: Path) -> None:
    """Several app processes share a checkout: they may write the same file at once."""
    doc = json_file("network", {"rows": list(range(200_000))})
    errors: list[BaseException] = []

    def run() -> None:
        try:
            publish(doc, "/app/static", tmp_path)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == [doc.name]
    assert (tmp_path / doc.name).read_bytes() == doc.body


def test_unwritable_directory_falls_back_to_an_inline_data_url(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    doc = json_file("labels", [["江城区", 21.86, 111.95]])
    url = publish(doc, "/app/static", blocker / "data")
    prefix = "data:application/json;base64,"
    assert url.startswith(prefix)
    assert json.loads(base64.b64decode(url[len(prefix):])) == [["江城区", 21.86, 111.95]]


def test_unused_files_are_pruned_and_files_in_use_kept(tmp_path: Path) -> None:
    now = time.time()
    stale, used = json_file("network", [1]), json_file("labels", [2])
    for doc in (stale, used):
        publish(doc, "/app/static", tmp_path)
    long_ago = now - published.STALE_AFTER_S - 10
    for doc in (stale, used):
        os.utime(tmp_path / doc.name, (long_ago, long_ago))
    (tmp_path / ".network-x.json.abc.tmp").write_text("{")  # left by a killed process
    os.utime(tmp_path / ".network-x.json.abc.tmp", (long_ago, long_ago))
    (tmp_path / "keep.txt").write_text("not ours")
    publish(used, "/app/static", tmp_path)  # in use again: its time is refreshed
    assert (tmp_path / used.name).stat().st_mtime > now - 5
    publish(json_file("network", [3]), "/app/static", tmp_path)  # a new file prunes
    names = {p.name for p in tmp_path.iterdir()}
    assert stale.name not in names and ".network-x.json.abc.tmp" not in names
    assert {used.name, json_file("network", [3]).name, "keep.txt"} <= names


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_map_fetches_network_and_labels_instead_of_inlining_them(lang: str) -> None:
    layer = network_layer(_edges())
    labels = LabelSets.of({
        "districts": [["江城区" if lang == "zh-Hans" else "Jiangcheng District", 21.86, 111.95]],
        "streets": [["演示路 1" if lang == "zh-Hans" else "Demo Rd 1", 21.82, 111.93]],
    })
    html = build_map(_empty(), lang=lang, network_edges=layer, network_label="n",
                     labels=labels).get_root().render()
    assert "111.91234" not in html and "演示路 1" not in html and "Demo Rd 1" not in html
    bodies = published_bodies(html)
    assert sorted(name.split("-")[0] for name in bodies) == ["labels", "network"]
    for name, body in bodies.items():
        if name.startswith("network-"):
            assert json.loads(body) == layer.geojson
        else:
            sets = {s["kind"]: s for s in json.loads(body)}
            assert set(sets) == {"district", "street"}
            assert sets["street"]["inView"] and sets["street"]["min"] == 15
            assert sets["district"]["rows"] == [list(labels.districts[0])]
    # every fetch goes to the app's own static files (offline rule)
    fetched = re.findall(r"fetch\(\"([^\"]+)\"", html)
    assert len(fetched) == 2 and all(PUBLISHED_URL.fullmatch(u) for u in fetched)


def test_each_language_gets_its_own_label_file() -> None:
    zh = LabelSets.of({"districts": [["江城区", 21.86, 111.95]]})
    en = LabelSets.of({"districts": [["Jiangcheng District", 21.86, 111.95]]})
    assert zh.document.name != en.document.name
    assert LabelSets.of({}).sets == []
    html = build_map(_empty(), lang="en", labels=LabelSets.of({})).get_root().render()
    assert "labels-" not in html, "no label file when there is nothing to label"


def test_names_in_the_label_file_stay_escaped() -> None:
    """Label rows are escaped in Python (the browser inserts them as HTML); the file keeps
    them escaped."""
    from ui.map.basemap import label_rows

    labels = LabelSets.of({"streets": label_rows([EVIL], [21.82], [111.93])})
    body = labels.document.body.decode()
    assert "<img" not in body and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body


def test_the_network_is_serialised_once_per_layer_object() -> None:
    layer = network_layer(_edges())
    assert layer.document is layer.document
    assert layer.document.value() == layer.geojson
