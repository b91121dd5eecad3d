"""Architecture guard. The layer rules themselves are import-linter contracts in pyproject.toml
(`make lint` runs `lint-imports`); these tests keep what import-linter cannot see: files outside
the import graph, streamlit loaded through a third-party library, and that each contract fails
when its rule is broken."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ui", "audit", "geodata")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path) -> dict[str, str]:
    """Run lint-imports in ``cwd``; contract name -> "KEPT" or "BROKEN"."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    out = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )
    results = dict(re.findall(r"^(.+) (KEPT|BROKEN)$", out.stdout, flags=re.MULTILINE))
    assert results, out.stdout + out.stderr
    return results


def test_importing_the_library_does_not_load_streamlit() -> None:
    """import-linter does not follow imports inside third-party packages; this does."""
    code = (
        "import sys, audit, audit.cli, audit.storage.repository, geodata;"
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_module_is_in_the_import_graph() -> None:
    """import-linter skips a folder without __init__.py silently; every one must be a package."""
    outside = sorted(
        str(p.relative_to(ROOT))
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if any(not (d / "__init__.py").is_file()
               for d in p.relative_to(ROOT).parents if d != Path("."))
    )
    assert outside == []


def test_the_contracts_hold() -> None:
    results = _lint_imports(ROOT)
    assert len(results) == 5
    assert set(results.values()) == {"KEPT"}


# one broken rule each: (file, code appended, the contracts it must break)
VIOLATIONS = {
    "streamlit in geodata": ("geodata/lines.py", "\nimport streamlit\n", {"no-streamlit"}),
    "audit in geodata, inside a function": (
        "geodata/crs.py", "\n\ndef _late() -> None:\n    import audit.errors\n",
        {"layers", "geodata-standalone"},
    ),
    "ui in audit": ("audit/geo.py", "\nimport ui.i18n\n", {"layers", "no-streamlit"}),
    "demo data in a domain module": (
        # a module the demo package does not reach, so the import breaks no cycle contract too
        "audit/priority.py", "\nfrom audit.demo import accounts\n", {"demo"}
    ),
    "a cycle (rankings imports stats)": ("audit/stats.py", "\nimport audit.rankings\n", {"cycles"}),
}
CONTRACT_KEYS = {  # a word of each contract's name (pyproject.toml) -> the key used above
    "Layers:": "layers", "never import streamlit": "no-streamlit",
    "geodata never imports audit": "geodata-standalone", "Synthetic data": "demo",
    "import cycles": "cycles",
}


@pytest.mark.parametrize("case", list(VIOLATIONS))
def test_each_contract_fails_when_its_rule_is_broken(tmp_path: Path, case: str) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path, code, expected = VIOLATIONS[case]
    with (tmp_path / path).open("a", encoding="utf-8") as f:
        f.write(code)
    results = _lint_imports(tmp_path)
    broken = {key for name, state in results.items() if state == "BROKEN"
              for word, key in CONTRACT_KEYS.items() if word in name}
    assert broken == expected, results
