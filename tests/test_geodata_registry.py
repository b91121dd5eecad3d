"""Registry of bundled geodata: checksums, files, attribution."""

from __future__ import annotations

import pytest

from audit.errors import InputError
from geodata import registry


def test_every_bundled_file_matches_its_sha256() -> None:
    assert registry.verify() == []
    with_files = [d for d in registry.datasets().values() if d.path is not None]
    assert {d.name for d in with_files} >= {"districts", "towns"}
    for d in with_files:
        assert d.actual_sha256() == d.sha256


def test_every_entry_is_complete_and_provenance_sits_beside_the_data() -> None:
    for d in registry.datasets().values():
        assert d.name and d.title and d.licence and d.source, d
    for name in ("districts", "districts_simplified", "towns", "osm", "demo_network"):
        assert registry.get(name).attribution_zh
    provenance = (registry.DATA_DIR / "PROVENANCE.md").read_text("utf-8")
    for d in registry.datasets().values():
        if d.file:
            assert d.file in provenance
    # the unlicensed GCJ-02 test vector must never be bundled
    assert not list(registry.DATA_DIR.glob("*anzhou99*"))


def test_sha_check_detects_a_changed_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    (tmp_path / registry.get("towns").file).write_text("{}", "utf-8")
    monkeypatch.setattr(registry, "DATA_DIR", tmp_path)
    problems = registry.verify()
    assert any(p.startswith("towns: sha256") for p in problems)
    assert any("districts: file" in p and "missing" in p for p in problems)


def test_attribution_texts() -> None:
    text = registry.attribution()
    assert "高德地图" in text and "GeoNames.org" in text and "CC BY 4.0" in text
    assert registry.attribution("osm") == "© OpenStreetMap contributors (ODbL)"
    demo = registry.attribution("demo_network")
    assert "演示路网（合成，非OSM）" in demo and "synthetic demo network" in demo
    assert "synthetic" not in registry.attribution("demo_network", lang="zh-Hans")
    assert registry.attribution("districts", "districts", lang="en").count("AMap") == 1
    with pytest.raises(InputError, match="dataset"):
        registry.attribution("no-such-dataset")
