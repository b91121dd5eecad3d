"""Message catalogues: every user-facing string of the app comes from ``ui/i18n/<lang>*.toml``.

``translate(lang, key, **kw)`` is pure (usable by map builders and tests); ``t(key, **kw)`` reads
the current language from ``st.session_state``. Keys are dotted paths into the TOML tables
(``map.filter.verdict``). Placeholders use ``str.format`` syntax (``{count}``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import tomli

from audit.errors import InputError, Problem

CATALOGUE_DIR = Path(__file__).resolve().parent / "i18n"
LANGUAGES: tuple[str, ...] = ("zh-Hans", "en")
DEFAULT_LANGUAGE = "zh-Hans"
LANGUAGE_STATE_KEY = "lang"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten nested TOML tables into ``{"a.b.c": "text"}``."""
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, prefix=f"{key}."))
        else:
            flat[key] = str(value)
    return flat


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, str]:
    """The flattened catalogue of one language; raises InputError for an unknown language."""
    if lang not in LANGUAGES:
        raise InputError(Problem("language", lang, f"one of {', '.join(LANGUAGES)}"))
    merged: dict[str, str] = {}
    # <lang>.toml holds the shell and map; each page area may own <lang>.<area>.toml
    for path in [CATALOGUE_DIR / f"{lang}.toml", *sorted(CATALOGUE_DIR.glob(f"{lang}.*.toml"))]:
        with path.open("rb") as handle:
            flat = _flatten(tomli.load(handle))
        clash = sorted(set(flat) & set(merged))
        if clash:
            msg = f"catalogue {path.name} repeats keys already defined: {', '.join(clash[:5])}"
            raise ValueError(msg)
        merged.update(flat)
    return merged


def translate(lang: str, key: str, **kw: Any) -> str:
    """The message ``key`` in ``lang``, formatted with ``kw``.

    A key missing from the catalogue raises KeyError: a test keeps the catalogues complete, so
    a missing key is a programming error that must not be hidden behind a fallback.
    """
    text = catalogue(lang)[key]
    return text.format(**kw) if kw else text


def current_language() -> str:
    """The language chosen in this browser session (zh-Hans until the user switches)."""
    import streamlit as st

    lang = st.session_state.get(LANGUAGE_STATE_KEY, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **kw: Any) -> str:
    """The message ``key`` in the session's language."""
    return translate(current_language(), key, **kw)


def pick(lang: str, zh: str, en: str) -> str:
    """Choose between a Chinese and an English text coming from data (ruleset, labels)."""
    return zh if lang == "zh-Hans" else en
