"""The budget plan's candidates as the plan page shows them (a module of its own: a page runs
when it is imported, so its helpers could not be tested)."""

from __future__ import annotations

import pandas as pd

from ui.i18n import t
from ui.map.labels import facility_type_label


def plan_table(frame: pd.DataFrame, lang: str, names: dict[str, str]) -> pd.DataFrame:
    """Candidates (or the chosen fixes) with translated headers, district and facility-type
    names in ``lang`` (``names``: district code to name)."""
    return pd.DataFrame({
        t("bureau.col.candidate"): frame["candidate_id"],
        t("bureau.col.district"): frame["district_code"].map(
            lambda c: names.get(c, t("reports.counts.no_district"))),
        t("bureau.col.type"): frame["type_zh"] if lang.startswith("zh")
        else frame["fix_type"].map(lambda code: facility_type_label(code, lang)),
        t("bureau.col.name"): frame["name"],
        t("bureau.col.severity"): frame["severity"],
        t("bureau.col.importance"): frame["importance"].round(2),
        t("bureau.col.cost"): frame["cost_yuan"],
        t("bureau.col.priority"): frame["priority"].round(2),
    })
