"""Download buttons where users work: one button per export format, built only when clicked.

The file is made by the library (:func:`audit.io.exports.export_bytes`, which carries the
synthetic-data note and writes text cells that are never formulas); a button's data is a
callable, so nothing is exported on a rerun that does not download.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from audit.io.exports import DOWNLOADS, FORMATS, export_bytes
from ui.i18n import t


def column_headers(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """Each column of ``tables`` under its header in the session's language
    (``words.col.<column>``): the Excel download's headers."""
    return {str(c): t(f"words.col.{c}") for frame in tables.values() for c in frame.columns}


def export_buttons(
    tables: Callable[[], tuple[Mapping[str, pd.DataFrame], Mapping[str, str]]],
    *,
    stem: str,
    key: str,
) -> None:
    """A row of buttons (CSV, Excel, GeoJSON, GeoPackage) exporting ``tables()`` — a callable
    returning (tables, note) — as ``<stem>.<suffix>``; the Excel file has headers in the
    session's language and a sheet naming the machine columns."""
    # one row that wraps: each button as wide as its label (in four equal columns beside a
    # tablet's sidebar, "GeoJSON（压缩包）" was cut to "GeoJSON（压…")
    row = st.container(horizontal=True, wrap=True)
    for fmt in FORMATS:
        suffix, mime = DOWNLOADS[fmt]

        def data(fmt: str = fmt) -> bytes:
            frames, note = tables()
            return export_bytes(frames, note, fmt, headers=column_headers(frames))

        row.download_button(t(f"work.download.{fmt}"), data, file_name=f"{stem}{suffix}",
                            mime=mime, key=f"{key}_{fmt}", on_click="ignore")
