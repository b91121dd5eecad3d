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
import string
from typing import Any

import pandas as pd

_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation} | {"\n": " ", "\r": " "})


def md_text(value: Any) -> str:
    """``value`` as Markdown source that renders exactly as the text (None/NaN: empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).translate(_ESCAPES)


def md_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for ``st.table``: every text cell escaped (numbers kept; the headers
    are catalogue labels)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].astype(object).map(
                lambda v: md_text(v) if isinstance(v, str) else v)
    return out


__all__ = ["md_table", "md_text"]
