"""User text on a page is shown as plain text, never as Markdown or HTML.

Streamlit parses Markdown (links, images, HTML-like tags, ``:color[...]``, ``$math$``, emoji
shortcodes) in ``st.markdown``, titles, captions, alerts, widget labels and the cells of
``st.table``. Every value that comes from data — facility names and addresses, report text,
user names, work-order units, an error message quoting a value — goes through :func:`md_text`
(one value) or :func:`md_table` (a frame for ``st.table``) first: each ASCII punctuation
character gets a backslash, which CommonMark guarantees to show literally, so nothing the value
holds can become a link, an image or markup. Line breaks become spaces (one line per value).
"""

from __future__ import annotations

import math
import re
import string
from pathlib import PurePath
from typing import Any

import pandas as pd

from audit.errors import CorruptDatabase, StorageUnavailable

_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation}
                         | {"\n": " ", "\r": " ", "\t": " "})


def md_text(value: Any) -> str:
    """``value`` as Markdown source that renders exactly as the text (None/NaN: empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    # leading blanks would make an indented code block: drop them (one line, shown as text)
    return str(value).translate(_ESCAPES).lstrip(" \t")


def md_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for ``st.table``: every text cell escaped (numbers kept; the headers
    are catalogue labels)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].astype(object).map(
                lambda v: md_text(v) if isinstance(v, str) else v)
    return out


_DB_URL = re.compile(r"\b[a-z][a-z0-9+]*://[^\s@/]*@[^\s/]+(?:/[^\s)]*)?", re.IGNORECASE)
_ABS_PATH = re.compile(r"(?<![\w:/.])(?:/[^\s/'\"`()]+)+/?")


def public_error(exc: BaseException) -> str:
    """An error for a page anyone may see, as Markdown-safe text: no server file path (only the
    file's name), no database URL, user or host (the full text belongs in the server log)."""
    from ui.i18n import t

    if isinstance(exc, CorruptDatabase):
        return t("security.corrupt_database", file=md_text(PurePath(exc.path).name))
    if isinstance(exc, StorageUnavailable):
        return t("security.storage_unavailable")
    text = _DB_URL.sub("<database>", str(exc))
    text = _ABS_PATH.sub(lambda m: PurePath(m.group(0)).name or "/", text)
    return md_text(text)


__all__ = ["md_table", "md_text", "public_error"]
