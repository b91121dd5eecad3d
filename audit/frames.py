"""Where a DataFrame row leaves pandas' types, and where a CSV row came from.

pandas-stubs cannot know a frame's columns, so it types every field of an ``itertuples`` row
as "any pandas scalar" (dates, intervals, NA ...), which no ``int()``/``float()`` accepts.
The callers know their columns by name and convert each field explicitly; this helper marks
that boundary once instead of at every loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd


def frame_rows(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``frame`` as named tuples (``frame.itertuples(index=False)``)."""
    return iter(frame.itertuples(index=False))


def csv_line_numbers(path: str | Path, n_rows: int) -> list[int]:
    """The file line (1-based) of each of the ``n_rows`` data rows that
    ``pd.read_csv(path, comment="#")`` read, so that a message names the line a person sees.

    pandas skips comment and blank lines without saying where its rows came from; this counts
    them the same way (a line that is empty once its comment is cut off is skipped, the first
    other line is the header). Should the count ever disagree with pandas (a quoted field
    holding a line break or a ``#``), the rows are numbered as header + position instead.
    """
    lines: list[int] = []
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if line.split("#", 1)[0].strip():
                lines.append(number)
    data = lines[1:]
    if len(data) != n_rows:
        return [i + 2 for i in range(n_rows)]
    return data
