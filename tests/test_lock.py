"""requirements.lock pins, with hashes, a version of every dependency that pyproject.toml allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^ ;\\]+)(?: ; (?P<marker>[^\\]+?))? \\$")


def _pins(text: str) -> dict[str, str]:
    """Pins that apply to this interpreter and platform: name -> version."""
    pins: dict[str, str] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = PIN.match(line)
        if not match:
            continue
        assert lines[i + 1].strip().startswith("--hash=sha256:"), f"{line}: no hash"
        if match["marker"] is None or Marker(match["marker"]).evaluate():
            name = canonicalize_name(match["name"])
            assert name not in pins, f"{name} pinned twice for this interpreter"
            pins[name] = match["version"]
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in [*project["dependencies"],
                                     *project["optional-dependencies"]["dev"]]]


def test_every_declared_dependency_is_locked_within_its_range() -> None:
    pins = _pins((REPO / "requirements.lock").read_text(encoding="utf-8"))
    problems = []
    for req in _declared():
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name}: not in requirements.lock (run `make lock`)")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}=={version} is outside {req.specifier} (run `make lock`)")
    assert not problems, problems


def test_statsmodels_is_gone_and_the_current_majors_are_allowed() -> None:
    pins = _pins((REPO / "requirements.lock").read_text(encoding="utf-8"))
    assert "statsmodels" not in pins
    declared = {canonicalize_name(r.name): r.specifier for r in _declared()}
    assert declared["pandas"].contains("3.1.1") and declared["pillow"].contains("13.0.0")
    assert "pandas-stubs" in declared


def test_the_pin_parser_reads_markers_and_refuses_a_pin_without_hash() -> None:
    text = ("numpy==2.4.6 ; python_full_version < '3.12' \\\n    --hash=sha256:ab \\\n"
            "numpy==9.9 ; python_full_version >= '99' \\\n    --hash=sha256:cd\n")
    assert _pins(text) == {"numpy": "2.4.6"}
    with pytest.raises(AssertionError, match="no hash"):
        _pins("pandas==3.1.1 \\\n    # via foo\n")
