"""Message catalogues: same keys in both languages, no CJK sentences outside them."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from audit.errors import InputError
from ui.i18n import LANGUAGES, catalogue, translate

REPO = Path(__file__).resolve().parent.parent
UI_SOURCES = [REPO / "streamlit_app.py", *sorted((REPO / "ui").rglob("*.py"))]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: Short CJK strings allowed in code: proper names of data sources (not UI sentences).
ALLOWED_CJK = {
    "天地图",
    "天地图注记",
    "&copy; 天地图 Tianditu",
    "a 天地图 API key when tiles = tianditu",
}


def test_catalogues_have_the_same_keys() -> None:
    zh, en = catalogue("zh-Hans"), catalogue("en")
    assert set(zh) == set(en), set(zh) ^ set(en)
    assert len(zh) > 50


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(catalogue("zh-Hans")))
def test_placeholders_match_across_languages(key: str) -> None:
    assert _fields(catalogue("zh-Hans")[key]) == _fields(catalogue("en")[key])


def test_english_shell_catalogue_has_no_chinese_except_bilingual_labels() -> None:
    """en.toml (shell and map) is English; page areas' own files are checked by their owners."""
    import tomllib

    from ui.i18n import CATALOGUE_DIR, _flatten

    with (CATALOGUE_DIR / "en.toml").open("rb") as handle:
        shell = _flatten(tomllib.load(handle))
    bilingual = {"sidebar.language", "banner.demo_data"}
    leaked = [k for k, v in shell.items() if CJK.search(v) and k not in bilingual]
    assert leaked == []


def test_translate_formats_and_rejects_unknown_language() -> None:
    assert translate("en", "map.legend.count", label="Fail", count=3) == "Fail (3)"
    assert translate("zh-Hans", "verdict.non_compliant") == "不合格"
    with pytest.raises(InputError, match="language"):
        translate("fr", "verdict.compliant")
    with pytest.raises(KeyError):
        translate("en", "no.such.key")


@pytest.mark.parametrize("path", UI_SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_literal_cjk_in_ui_code(path: Path) -> None:
    """Chinese UI text belongs in ui/i18n/*.toml; code holds only keys (docstrings excepted)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and CJK.search(node.value)
        and node.value not in ALLOWED_CJK
    ]
    assert found == []


def test_languages_tuple() -> None:
    assert LANGUAGES[0] == "zh-Hans"
