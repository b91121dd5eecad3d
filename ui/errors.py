"""Library errors as sentences for a person, in the user's language (issue 17, item 6).

The library raises errors with the precise developer message (``str(exc)``, for the log and the
CLI). Each :class:`~audit.errors.Problem` also carries a message key and its parameters
(``code`` + ``params``); :func:`error_lines` renders those from the catalogue
(``words.problem.<code>``) with the field's label (``words.field.<name>``, or the measurement
schema's label), so a page never shows ``allowed``, a field name or a record state. Errors
without a code get a generic sentence naming the field and what to do; any other error a short
"not done" sentence. :func:`show_error` logs the developer message and shows the sentences.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from audit.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDenied,
    Problem,
    StorageUnavailable,
)
from ui.i18n import catalogue, current_language, translate
from ui.plaintext import md_text, public_error

LOG = logging.getLogger("yangjiang_a11y.ui")

#: Catalogue prefix that names each kind of choice in ``params["kind"]``.
CHOICE_PREFIX: dict[str, str] = {
    "work_order_status": "bureau.wo.status",
    "role": "auth.role",
}
#: A value longer than this is not quoted back (the field and the rule suffice).
MAX_QUOTED = 40
_INDEX = re.compile(r"\[[^\]]*\]|\brow \d+\b")


def field_label(name: str, lang: str) -> str:
    """The field's name for a person: ``words.field.<name>`` (indexes such as ``[441702]`` and
    row numbers dropped, then the last dotted part tried), else a measurement's label, else a
    neutral "this entry"."""
    words = catalogue(lang)
    base = _INDEX.sub("", name).strip().replace(" ", "_")
    for candidate in (base, base.rsplit(".", 1)[-1], base.split(".", 1)[0],
                      re.sub(r"_\d+$", "", base)):
        key = f"words.field.{candidate}"
        if key in words:
            return words[key]
    from audit.model import SCHEMAS

    for fields in SCHEMAS.values():
        for spec in fields:
            if spec.name in (base, base.rsplit(".", 1)[-1]):
                return spec.label_zh if lang == "zh-Hans" else spec.label_en
    return words["words.field.unknown"]


def _choice(kind: str, value: Any, lang: str) -> str:
    prefix = CHOICE_PREFIX.get(kind)
    key = f"{prefix}.{value}"
    return catalogue(lang)[key] if prefix and key in catalogue(lang) else str(value)


def _quotable(value: Any, params: dict[str, Any]) -> str | None:
    """The value as the user typed it, when worth quoting (never hidden ones or ``None``)."""
    if params.get("hidden") or value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else None
    if isinstance(value, int | str) and 0 < len(str(value)) <= MAX_QUOTED \
            and not str(value).startswith("("):
        return str(value)
    return None


def problem_sentence(problem: Problem, lang: str) -> str:
    """One problem as a sentence: what is wrong with which field, and what to do."""
    params = dict(problem.params)
    words = catalogue(lang)
    kind = str(params.pop("kind", ""))
    sep = "、" if lang == "zh-Hans" else ", "
    if "choices" in params:
        params["choices"] = sep.join(_choice(kind, c, lang) for c in params["choices"]) or (
            words["words.none"])
    if "current" in params:
        params["current"] = _choice(kind, params["current"], lang)
    quoted = _quotable(problem.value, params)
    value = md_text(quoted) if quoted is not None else ""
    given = translate(lang, "words.given", value=value) if value else ""
    fmt = {**params, "field": field_label(problem.field, lang), "value": value, "given": given}
    key = f"words.problem.{problem.code}"
    if problem.code and key in words:
        try:
            return translate(lang, key, **fmt)
        except (KeyError, IndexError):  # a parameter missing: the generic sentence still helps
            LOG.warning("message %s lacks a parameter for %r", key, problem)
    generic = "words.problem.generic_value" if quoted is not None else "words.problem.generic"
    return translate(lang, generic, **fmt)


def error_lines(exc: BaseException, lang: str | None = None) -> list[str]:
    """``exc`` as sentences for a person in ``lang`` (the session's language by default);
    Markdown-safe, no developer text, no server path."""
    lang = lang or current_language()
    if isinstance(exc, InputError):
        return _unique(problem_sentence(p, lang) for p in exc.problems)
    if isinstance(exc, StorageUnavailable):
        return [public_error(exc)]
    for kind, key in ((ConflictError, "conflict"), (PermissionDenied, "permission"),
                      (NotFoundError, "not_found")):
        if isinstance(exc, kind):
            return [translate(lang, f"words.error.{key}")]
    if isinstance(exc, OSError) and exc.filename:
        name = PurePath(str(exc.filename)).name
        return [translate(lang, "words.error.file", file=md_text(name))]
    return [translate(lang, "words.error.generic")]


def error_text(exc: BaseException, lang: str | None = None) -> str:
    """:func:`error_lines` as one paragraph (for a message that quotes the error)."""
    return " ".join(error_lines(exc, lang))


def log_error(exc: BaseException) -> None:
    """The precise developer message goes to the server log, never to the page."""
    LOG.info("shown to the user as a translated message: %s: %s", type(exc).__name__, exc)


def show_error(exc: BaseException, heading_key: str | None = None) -> None:
    """Log ``exc`` and show it on the page as translated sentences (a list when several)."""
    import streamlit as st

    log_error(exc)
    lines = error_lines(exc)
    body = lines[0] if len(lines) == 1 else "\n".join(f"- {line}" for line in lines)
    if heading_key:
        from ui.i18n import t

        body = f"{t(heading_key)}\n\n{body}"
    st.error(body)


def _unique(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))


__all__ = ["error_lines", "error_text", "field_label", "log_error", "problem_sentence",
           "show_error"]
