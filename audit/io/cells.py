"""Spreadsheet-safe cells: text is written as text, never as a live formula.

A spreadsheet program treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (CSV) or, in xlsx, openpyxl stores such a string as a formula. Every
export and report therefore goes through this module:

- :func:`mark_text_cells` turns every string cell of an openpyxl workbook into a text cell
  (``data_type "s"`` with the quote prefix style, so the cell stays text even after editing);
- :func:`csv_text` / :func:`csv_safe_frame` prefix a leading formula character with an apostrophe
  (the OWASP "CSV injection" advice) so the value is shown, not evaluated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import pandas as pd

if TYPE_CHECKING:  # openpyxl (and the Pillow it imports) loads only when a workbook is written
    from openpyxl.workbook.workbook import Workbook

FORMULA_PREFIXES: Final[tuple[str, ...]] = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters a spreadsheet program reads as the start of a formula."""


def csv_text(value: Any) -> Any:
    """``value`` with a leading formula character neutralised (strings only)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot start a formula."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].astype(object).map(csv_text)
    out.columns = [csv_text(str(c)) for c in out.columns]
    return out


def mark_text_cells(book: Workbook) -> int:
    """Make every string or formula cell of ``book`` a text cell; returns how many were formulas.

    Nothing this project writes is meant to be a formula, so a cell openpyxl typed as a formula
    (a string starting with ``=``) is turned back into the text it came from.
    """
    turned = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    turned += 1
                if cell.data_type in ("s", "f") and isinstance(cell.value, str):
                    cell.data_type = "s"
                    if cell.value.startswith(FORMULA_PREFIXES):
                        cell.quotePrefix = True
    return turned


__all__ = ["FORMULA_PREFIXES", "csv_safe_frame", "csv_text", "mark_text_cells"]
