"""Architecture guard: only ui/ and streamlit_app.py may import streamlit."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_domain_packages_never_import_streamlit() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for package in ("audit", "geodata")
        for p in sorted((ROOT / package).rglob("*.py"))
        if {"streamlit", "streamlit_folium", "ui"} & _imports(p)
    ]
    assert offenders == []


def test_importing_the_library_does_not_load_streamlit() -> None:
    code = (
        "import sys, audit, audit.cli, audit.storage.repository, geodata;"
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _all_imports(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file (module level and inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_geodata_never_imports_audit() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "geodata").rglob("*.py"))
        if any(name == "audit" or name.startswith("audit.") for name in _all_imports(p))
    ]
    assert offenders == []


def test_domain_modules_never_import_the_demo_package() -> None:
    """Synthetic data lives in audit/demo/ only; the library never reaches into it."""
    allowed = {ROOT / "audit" / "demo", ROOT / "audit" / "cli"}
    offenders = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "audit").rglob("*.py"))
        if not any(folder in p.parents for folder in allowed)
        and any(n == "audit.demo" or n.startswith("audit.demo.") for n in _all_imports(p))
    ]
    assert offenders == []
