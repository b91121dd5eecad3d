"""Exports of facilities, audits with findings, resident reports and work orders.

Formats: ``csv`` (a folder of CSV files), ``xlsx`` (one workbook, one sheet per table),
``geojson`` (a folder of GeoJSON files, findings as CSV), ``gpkg`` (one GeoPackage, one layer per
table). Every table has a ``demo_data`` column (True for synthetic demo records); every export has
a file-level note — an ``about`` sheet/layer/CSV (plus README.txt for folders, the GeoJSON
``description`` member and GeoPackage layer metadata) — giving the data attribution
(:func:`geodata.registry.attribution`) and whether the database holds synthetic demo data.

Resident reports are exported with their PUBLIC fields only; the private ``report_contacts``
table is never read here. A write goes to a temporary sibling first and is moved into place at
the end, so a failure never leaves a partial export behind.

Text is exported as text, never as a formula (:mod:`audit.io.cells`): every xlsx string cell is a
text cell and a CSV value starting with ``= + - @``, tab or CR gets a leading apostrophe.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from audit.actors import permitted
from audit.errors import InputError, Problem
from audit.io import EXPORT_FORMATS
from audit.io.cells import csv_safe_frame, mark_text_cells
from audit.storage.repository import Repository

FORMATS: tuple[str, ...] = EXPORT_FORMATS
TABLES: tuple[str, ...] = ("facilities", "audits", "findings", "reports", "work_orders")
DEMO_NOTE_ZH = "本导出包含合成演示数据（非真实数据）"
DEMO_NOTE_EN = "This export contains SYNTHETIC demo data (not real)"


def export_tables(repo: Repository) -> dict[str, pd.DataFrame]:
    """The tables every export holds (plain pandas; lon/lat WGS84 where there is a place).

    The inspector of each audit (a staff account name) is kept only for actors who may export
    private fields (``data.export_private``: bureau, admin); anyone else's export leaves the
    column out, as the public pages do, so an export never tells an attacker which accounts exist.
    """
    from audit.workorders import work_order_frame

    facilities = repo.facility_frame()
    facilities = facilities.rename(columns={"verdict": "latest_verdict", "score": "latest_score",
                                            "audit_id": "latest_audit_id"})
    rows = repo.submitted_audit_rows()
    audit_cols = ["audit_id", "facility_id", "facility_type", "district_code", "lon", "lat",
                  "sequence", "submitted_at", "inspector_name", "source", "ruleset_id",
                  "ruleset_version", "verdict", "score", "n_fail", "is_demo"]
    plain: list[tuple[Any, ...]] = rows
    audits = pd.DataFrame([r[:-1] for r in plain], columns=audit_cols)
    if not permitted(repo.actor, "data.export_private"):
        audits = audits.drop(columns=["inspector_name"])
    finding_rows: list[dict[str, Any]] = []
    for r in plain:
        evaluation: dict[str, Any] = r[-1] or {}
        for f in evaluation.get("findings", []):
            finding_rows.append({
                "audit_id": r[0], "facility_id": r[1], "lon": r[4], "lat": r[5],
                "rule_id": f.get("rule_id"), "standard": f.get("standard"),
                "clause": f.get("clause"), "status": f.get("status"),
                "severity": f.get("severity"), "provisional": bool(f.get("provisional", False)),
                "title_zh": f.get("title_zh"), "title_en": f.get("title_en"),
                "measured": json.dumps(f.get("measured"), ensure_ascii=False),
                "threshold": (f.get("threshold") or {}).get("text", ""),
                "is_demo": bool(r[15]),
            })
    findings = pd.DataFrame(finding_rows, columns=[
        "audit_id", "facility_id", "lon", "lat", "rule_id", "standard", "clause", "status",
        "severity", "provisional", "title_zh", "title_en", "measured", "threshold", "is_demo"])
    reports = repo.report_frame(public_only=True)  # public fields only, never contacts
    orders = work_order_frame(repo)
    return _demo_column({"facilities": facilities, "audits": audits, "findings": findings,
                         "reports": reports, "work_orders": orders})


def _demo_column(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each table with ``demo_data`` (True for synthetic records) in place of ``is_demo``."""
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        frame = frame.copy()
        frame["demo_data"] = frame["is_demo"].astype(bool) if "is_demo" in frame else False
        out[name] = frame.drop(columns=["is_demo"], errors="ignore")
    return out


def about(repo: Repository) -> dict[str, str]:
    """The file-level note: attribution, demo flag, time, scope."""
    from geodata.registry import attribution

    demo = repo.has_demo_data()
    return {
        "title": "阳江无障碍设施督导地图 数据导出 / Yangjiang accessibility audit export",
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "attribution": attribution(),
        "demo_data": "true" if demo else "false",
        "demo_note": f"{DEMO_NOTE_ZH} / {DEMO_NOTE_EN}" if demo else "",
        "coordinates": "WGS84 (EPSG:4326) lon/lat",
        "privacy": "resident reports: public fields only; reporters' contact details are never "
                   "exported / 居民反映仅含公开字段，不导出联系方式",
    }


def _check_target(fmt: str, out: Path | str) -> Path:
    problems: list[Problem] = []
    if fmt not in FORMATS:
        problems.append(Problem("format", fmt, f"one of {', '.join(FORMATS)}"))
    path = Path(out).expanduser()
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        problems.append(Problem("out", str(path), "a path in an existing folder"))
    elif not os.access(parent, os.W_OK):
        problems.append(Problem("out", str(path), "a path in a folder you may write to"))
    if path.is_dir() and fmt in ("xlsx", "gpkg"):
        problems.append(Problem("out", str(path), f"a file name for {fmt}, not a folder"))
    if path.is_dir() and fmt in ("csv", "geojson") and any(path.iterdir()):
        problems.append(Problem("out", str(path), "a new or empty folder"))
    if problems:
        raise InputError(problems, "export")
    return path


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert(UTC).dt.tz_localize(None)
        elif out[col].dtype == object:
            out[col] = out[col].map(
                lambda v: v.replace(tzinfo=None) if isinstance(v, datetime) else v)
    return out


def _geo(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    lon = pd.to_numeric(frame["lon"], errors="coerce") if "lon" in frame else None
    lat = pd.to_numeric(frame["lat"], errors="coerce") if "lat" in frame else None
    geom = gpd.points_from_xy(lon, lat) if lon is not None else None
    gdf = gpd.GeoDataFrame(frame.copy(), geometry=geom, crs="EPSG:4326")
    for col in gdf.columns:
        if col != "geometry" and gdf[col].dtype == object:
            gdf[col] = gdf[col].map(
                lambda v: v.isoformat() if isinstance(v, datetime | pd.Timestamp) else v)
        if isinstance(gdf[col].dtype, pd.DatetimeTZDtype):
            gdf[col] = gdf[col].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    if "due_date" in gdf:
        gdf["due_date"] = gdf["due_date"].map(lambda d: d.isoformat() if d is not None else None)
    return gdf


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    # CRLF rows (RFC 4180): with pandas' default "\n" a CR inside a value is written unquoted
    # and splits the row when read back
    csv_safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _readme(note: Mapping[str, str]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in note.items()) + "\n"


def write_export(tables: Mapping[str, pd.DataFrame], note: Mapping[str, str], fmt: str,
                 out: Path | str) -> Path:
    """Write ``tables`` and the ``note`` in ``fmt`` to ``out`` atomically; returns the path."""
    import pyogrio

    path = _check_target(fmt, out)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=path.parent))
    about_frame = pd.DataFrame({"key": list(note), "value": list(note.values())})
    try:
        if fmt == "csv":
            target = work / "out"
            target.mkdir()
            for name, frame in tables.items():
                _write_csv(frame, target / f"{name}.csv")
            _write_csv(about_frame, target / "about.csv")
            (target / "README.txt").write_text(_readme(note), encoding="utf-8")
        elif fmt == "xlsx":
            target = work / "out.xlsx"
            with pd.ExcelWriter(target, engine="openpyxl") as xw:
                about_frame.to_excel(xw, sheet_name="about", index=False)
                for name, frame in tables.items():
                    _excel_safe(frame).to_excel(xw, sheet_name=name, index=False)
                mark_text_cells(xw.book)
        elif fmt == "geojson":
            target = work / "out"
            target.mkdir()
            desc = f"{note['attribution']} | demo_data={note['demo_data']} {note['demo_note']}"
            for name, frame in tables.items():
                pyogrio.write_dataframe(_geo(frame), target / f"{name}.geojson",
                                        driver="GeoJSON", layer_options={"DESCRIPTION": desc})
            _write_csv(about_frame, target / "about.csv")
            (target / "README.txt").write_text(_readme(note), encoding="utf-8")
        else:
            target = work / "out.gpkg"
            for name, frame in tables.items():
                pyogrio.write_dataframe(_geo(frame), target, layer=name, driver="GPKG",
                                        metadata=dict(note))
            pyogrio.write_dataframe(about_frame, target, layer="about", driver="GPKG")
        if path.is_dir():
            path.rmdir()  # empty folder (checked above)
        os.replace(target, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return path


def export_database(repo: Repository, fmt: str, out: Path | str) -> Path:
    """Export everything in ``fmt`` to ``out`` (see the module docstring)."""
    _check_target(fmt, out)
    return write_export(export_tables(repo), about(repo), fmt, out)


def labelled_tables(tables: Mapping[str, pd.DataFrame], headers: Mapping[str, str]
                    ) -> dict[str, pd.DataFrame]:
    """``tables`` with people's headers (``headers[column]``, e.g. Chinese) plus a ``columns``
    sheet that maps each header back to its machine column name (sheet, header, column)."""
    out: dict[str, pd.DataFrame] = {}
    rows: list[dict[str, str]] = []
    for name, frame in tables.items():
        out[name] = frame.rename(columns=lambda c: headers.get(str(c), str(c)))
        rows += [{"sheet": name, "header": headers.get(str(c), str(c)), "column": str(c)}
                 for c in frame.columns]
    out["columns"] = pd.DataFrame(rows, columns=["sheet", "header", "column"])
    return out


def export_plan_xlsx(selected: pd.DataFrame, summary: pd.DataFrame, note: Mapping[str, str],
                     out: Path | str, headers: Mapping[str, str] | None = None) -> Path:
    """The retrofit plan as an Excel workbook (about, plan, summary sheets), written atomically;
    with ``headers`` the plan's columns carry those names and a ``columns`` sheet keeps the
    machine names."""
    tables = {"plan": selected, "summary": summary}
    return write_export(labelled_tables(tables, headers) if headers else tables, note, "xlsx",
                        out)


def plan_xlsx_bytes(selected: pd.DataFrame, summary: pd.DataFrame,
                    note: Mapping[str, str], headers: Mapping[str, str] | None = None) -> bytes:
    """The plan workbook as bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as tmp:
        p = export_plan_xlsx(selected, summary, note, Path(tmp) / "plan.xlsx", headers)
        return p.read_bytes()


#: file suffix and MIME type of each format as one download (folder formats are zipped)
DOWNLOADS: dict[str, tuple[str, str]] = {
    "csv": (".zip", "application/zip"),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "geojson": (".zip", "application/zip"),
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
}


def export_bytes(tables: Mapping[str, pd.DataFrame], note: Mapping[str, str], fmt: str,
                 headers: Mapping[str, str] | None = None) -> bytes:
    """``tables`` and ``note`` in ``fmt`` as one file's bytes, for a download: the same files
    as :func:`write_export` (same note, same formula-safe cells); the folder formats (csv,
    geojson) as a ZIP of that folder.

    ``headers`` (column → a person's header, e.g. Chinese) apply to the Excel workbook only,
    which then gains the ``columns`` sheet mapping each header back to its machine name
    (:func:`labelled_tables`); CSV, GeoJSON and GeoPackage keep the machine column names
    that GIS tools and scripts read."""
    import zipfile

    if fmt not in FORMATS:
        raise InputError(Problem("format", fmt, f"one of {', '.join(FORMATS)}"))
    if headers is not None and fmt == "xlsx":
        tables = labelled_tables(tables, headers)
    with tempfile.TemporaryDirectory() as tmp:
        out = write_export(tables, note, fmt, Path(tmp) / f"export.{fmt}")
        if out.is_file():
            return out.read_bytes()
        target = Path(tmp) / "export.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for member in sorted(out.iterdir()):
                zf.write(member, member.name)
        return target.read_bytes()


def view_tables(facilities: pd.DataFrame, reports: pd.DataFrame | None = None
                ) -> dict[str, pd.DataFrame]:
    """What a map shows, as export tables: its facilities (and reports, public fields) with a
    ``demo_data`` column like :func:`export_tables`."""
    out = {"facilities": facilities}
    if reports is not None:
        out["reports"] = reports
    return _demo_column(out)


__all__ = [
    "DOWNLOADS",
    "FORMATS",
    "TABLES",
    "about",
    "export_bytes",
    "export_database",
    "export_plan_xlsx",
    "export_tables",
    "labelled_tables",
    "plan_xlsx_bytes",
    "view_tables",
    "write_export",
]
