"""The command package: an explicit list of commands, a light ``--help``, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import audit.cli
from audit.cli import COMMANDS, build_parser, main

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "geopandas", "sqlalchemy", "openpyxl", "argon2", "pydantic", "osmnx", "numpy")


def test_every_command_module_is_listed_once_and_registers_a_command() -> None:
    folder = Path(audit.cli.__file__).parent
    modules = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")}
    listed = [m.__name__.rsplit(".", 1)[1] for m in COMMANDS]
    assert sorted(listed) == sorted(modules) and len(set(listed)) == len(listed)
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert list(commands) == ["backup", "restore", "db", "demo", "evaluate", "rules", "export",
                              "import", "inventory", "network", "photos", "reach", "report",
                              "rescore", "route",
                              "users", "xlsform"]


def test_help_loads_no_heavy_library() -> None:
    code = (
        "import sys; from audit.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "xlsform" in out.stdout and "import" in out.stdout


def test_bad_input_from_geodata_exits_with_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    # a geodata InputError (unknown district) is an AuditError and a ValueError: exit code 2
    assert main(["network", "fetch", "--district", "110101", "--network-type", "fly"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "district" in err and "network_type" in err
