"""Modules on the cold rankings path import pandas and numpy inside the functions that use them
(tests/test_rankings.py keeps them out of a cold process). Their type hints name ``pd``/``np``
under ``TYPE_CHECKING`` only, so mypy cannot see a function that uses them without its own
import: this check reads the code and finds any."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAZY_MODULES = (
    "audit/checks.py", "audit/geo.py", "audit/model.py", "audit/rankings.py", "audit/stats.py",
    "audit/storage/queries.py", "audit/storage/reports.py", "audit/storage/repository.py",
    "audit/storage/workorders.py", "geodata/crs.py",
)
LAZY_NAMES = {"pd": "pandas", "np": "numpy"}


def _imported(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Import | ast.ImportFrom):
            names |= {a.asname or a.name.split(".")[0] for a in sub.names}
    return names


def _runtime_imports(tree: ast.Module) -> set[str]:
    """Names imported at module level outside ``if TYPE_CHECKING:``."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= _imported(node)
    return names


@pytest.mark.parametrize("module", LAZY_MODULES)
def test_functions_import_the_lazy_libraries_they_use(module: str) -> None:
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    at_top = _runtime_imports(tree)
    assert not at_top & set(LAZY_NAMES), f"{module} imports pandas/numpy at module level"
    missing = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        used = {sub.id for stmt in node.body for sub in ast.walk(stmt)
                if isinstance(sub, ast.Name) and sub.id in LAZY_NAMES}
        if used - _imported(node):
            missing.append(f"{node.name} (line {node.lineno}): {sorted(used)}")
    assert not missing, f"{module}: uses without importing: {missing}"


def test_the_check_finds_a_missing_import() -> None:
    tree = ast.parse("def f():\n    return pd.DataFrame()\n")
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef)
    used = {s.id for s in ast.walk(node) if isinstance(s, ast.Name) and s.id in LAZY_NAMES}
    assert used - _imported(node) == {"pd"}
