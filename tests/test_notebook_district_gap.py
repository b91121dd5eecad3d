"""The district gap notebook runs (nbclient) against a temporary demo database."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from audit.actors import SYSTEM
from audit.demo import seed_demo
from audit.settings import get_settings
from audit.storage import open_database, upgrade_to_head

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "district_gap_analysis.ipynb"


def test_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_notebook_executes_and_reproduces_the_ranking(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    upgrade_to_head(db)
    with db.unit_of_work(SYSTEM, write=True) as repo:
        seed_demo(repo, n_facilities=60)
    db.engine.dispose()
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("A11Y_SETTINGS_FILE", str(tmp_path / "none.toml"))
    get_settings.cache_clear()
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        NotebookClient(nb, timeout=180, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent.parent)}}).execute()
    finally:
        get_settings.cache_clear()
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error"
            texts.append(out.get("text", "") + str(out.get("data", {}).get("text/plain", "")))
    joined = "\n".join(texts)
    assert "demo data (synthetic): True" in joined
    assert "江城区" in joined and "gap_per_audited" in joined
    assert any("image/png" in out.get("data", {}) for c in nb.cells for out in c.get("outputs", []))
