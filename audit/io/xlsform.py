"""XLSForm generation from the measurement schema, for offline capture with ODK Collect/KoboCollect.

One source of truth: the same :data:`audit.model.SCHEMAS` drive the app's form, this XLSForm and
the importer (:mod:`audit.io.odk_import`). The form has

- bilingual labels, hints and constraint messages (``label::中文 (zh)`` / ``label::English (en)``);
- a facility-type choice with one group per type (``relevant`` on the choice), or — with
  ``per_type=True`` — one workbook per facility type;
- a ``geopoint`` with ``capture-accuracy`` set to ``settings.gps_accuracy_limit_m`` (Collect
  keeps averaging until the fix is that good) and a constraint on the accuracy;
- numeric constraints equal to the schema's allowed ranges, with messages naming the range and
  unit, and the plausible range in the hint; a ``confirmed_values`` question, shown only when a
  value lies outside its plausible range, where the inspector ticks the values re-measured (the
  importer reports the others as suspect); booleans as ``yes`` / ``no`` / ``not_checked`` (not
  checked is not "no");
- up to :data:`PHOTO_QUESTIONS` photo questions and free-text notes.

Group names are the facility types and question names are the schema's field names, so an export
column ``ramp-running_slope_pct`` (ODK Central) or ``ramp/running_slope_pct`` (Kobo) maps straight
back to a field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook

from audit.io.cells import mark_text_cells
from audit.model import CONFIRM_KEY, FACILITY_LABELS, FACILITY_TYPES, SCHEMAS, MeasurementField
from audit.settings import Settings, get_settings

ZH: Final = "中文 (zh)"
EN: Final = "English (en)"
LANGS: Final = (ZH, EN)
FORM_ID_PREFIX: Final = "yj_a11y_audit"
FORM_VERSION: Final = "2025.1"
PHOTO_QUESTIONS: Final = 3
TYPE_LIST: Final = "facility_type"
STOP_LIST: Final = "worklist_stop"
STOP_FIELD: Final = "inventory_item"
STOP_NOT_LISTED: Final = "not_listed"
BOOL_LIST: Final = "yes_no_unchecked"
BOOL_YES: Final = "yes"
BOOL_NO: Final = "no"
BOOL_NOT_CHECKED: Final = "not_checked"
LOCATION_FIELD: Final = "location"
META_FIELDS: Final = ("facility_type", "facility_name", "address", LOCATION_FIELD, "notes")
PHOTO_FIELDS: Final = tuple(f"photo_{i}" for i in range(1, PHOTO_QUESTIONS + 1))

SURVEY_COLUMNS: Final = (
    "type", "name",
    f"label::{ZH}", f"label::{EN}", f"hint::{ZH}", f"hint::{EN}",
    "required", "relevant", "constraint",
    f"constraint_message::{ZH}", f"constraint_message::{EN}",
    "appearance", "parameters", "calculation",
)
CHOICE_COLUMNS: Final = ("list_name", "name", f"label::{ZH}", f"label::{EN}")


@dataclass(frozen=True)
class WorklistStop:
    """One stop of an inspector's worklist as a form choice (``name``: a choice name without
    spaces; labels: plain text)."""

    name: str
    label_zh: str
    label_en: str


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _row(**values: Any) -> dict[str, Any]:
    return values


def _field_rows(spec: MeasurementField, facility_type: str) -> tuple[dict[str, Any], list[Any]]:
    """One survey row for a measurement field, plus its choice rows."""
    unit = f" ({spec.unit})" if spec.unit else ""
    row = _row(
        name=spec.name,
        **{f"label::{ZH}": spec.label_zh + unit, f"label::{EN}": spec.label_en + unit,
           f"hint::{ZH}": spec.help_zh, f"hint::{EN}": spec.help_en},
    )
    choices: list[Any] = []
    if spec.kind == "bool":
        row["type"] = f"select_one {BOOL_LIST}"
        row["appearance"] = "horizontal"
        if spec.default is not None:
            row[f"hint::{ZH}"] = (spec.help_zh + " 未勾选按“否”处理。").strip()
            row[f"hint::{EN}"] = (spec.help_en + " Not checked counts as no.").strip()
    elif spec.kind == "choice":
        list_name = f"{facility_type}_{spec.name}"
        row["type"] = f"select_one {list_name}"
        choices = [
            (list_name, key, zh, en)
            for key, (zh, en) in zip(spec.choices, spec.choice_labels, strict=True)
        ]
    else:
        row["type"] = "integer" if spec.kind == "integer" else "decimal"
        lo, hi = _fmt(spec.minimum), _fmt(spec.maximum)
        row["constraint"] = f". >= {lo} and . <= {hi}"
        row[f"constraint_message::{ZH}"] = f"应在 {lo} 到 {hi}{unit} 之间：请检查数值和单位。"
        row[f"constraint_message::{EN}"] = (
            f"Must be from {lo} to {hi}{unit}: check the value and the unit."
        )
        if spec.plausible is not None:
            plo, phi = _fmt(spec.plausible[0]), _fmt(spec.plausible[1])
            row[f"hint::{ZH}"] = f"{spec.help_zh} 通常在 {plo}–{phi}{unit} 之间。".strip()
            row[f"hint::{EN}"] = f"{spec.help_en} Usually {plo}–{phi}{unit}.".strip()
    return row, choices


def _confirm_rows(facility_type: str) -> tuple[dict[str, Any], list[Any]]:
    """The ``confirmed_values`` question of one type: shown when a value is implausible."""
    numeric = [f for f in SCHEMAS[facility_type] if f.is_numeric and f.plausible is not None]
    list_name = f"{facility_type}_{CONFIRM_KEY}"
    outside = []
    for f in numeric:  # sibling paths: the same field name occurs in several groups
        ref = f"../{f.name}"
        lo, hi = f.plausible or (f.minimum, f.maximum)
        test = f"{ref} < {_fmt(lo)} or {ref} > {_fmt(hi)}"
        if f.zero_plausible:
            test = f"{ref} != 0 and ({test})"
        outside.append(f"({ref} != '' and ({test}))")
    row = _row(type=f"select_multiple {list_name}", name=CONFIRM_KEY,
               relevant=" or ".join(outside),
               **{f"label::{ZH}": "以下数值超出通常范围：请核对单位并重新测量，确认无误的请勾选",
                  f"label::{EN}": "Some values are outside the usual range: check the unit and "
                  "re-measure; tick those you have confirmed",
                  f"hint::{ZH}": "未勾选的数值导入后标为“可疑”，不参与评定。",
                  f"hint::{EN}": "Values not ticked are imported as suspect and not scored."})
    choices = [(list_name, f.name, f"{f.label_zh} ({f.unit or '个'})",
                f"{f.label_en} ({f.unit or 'count'})") for f in numeric]
    return row, choices


def form_rows(
    facility_types: Iterable[str] | None = None, *, settings: Settings | None = None,
    stops: Sequence[WorklistStop] | None = None,
) -> tuple[list[dict[str, Any]], list[tuple[str, str, str, str]], dict[str, str]]:
    """(survey rows, choice rows, settings row) of a form covering ``facility_types``.

    With one type the type question is a fixed ``calculate``; with several it is a choice and
    each type's questions sit in a group shown only for that type. With ``stops`` (an
    inspector's worklist) the form starts with a required choice of the stop audited, the stops
    pre-filled as choices in walking order, plus "not on the list".
    """
    cfg = settings or get_settings()
    types = list(facility_types) if facility_types is not None else list(FACILITY_TYPES)
    single = len(types) == 1
    limit = _fmt(cfg.gps_accuracy_limit_m)
    survey: list[dict[str, Any]] = [_row(type="start", name="start"), _row(type="end", name="end")]
    choices: list[tuple[str, str, str, str]] = [
        (BOOL_LIST, BOOL_YES, "是", "Yes"),
        (BOOL_LIST, BOOL_NO, "否", "No"),
        (BOOL_LIST, BOOL_NOT_CHECKED, "未检查", "Not checked"),
    ]
    if stops is not None:
        survey.append(_row(type=f"select_one {STOP_LIST}", name=STOP_FIELD, required="yes",
                           **{f"label::{ZH}": "清单点位（按巡查顺序）",
                              f"label::{EN}": "Worklist stop (in walking order)"}))
        choices.extend((STOP_LIST, s.name, s.label_zh, s.label_en) for s in stops)
        choices.append((STOP_LIST, STOP_NOT_LISTED, "不在清单上", "Not on the list"))
    if single:
        survey.append(_row(type="calculate", name="facility_type", calculation=f"'{types[0]}'"))
    else:
        survey.append(_row(type=f"select_one {TYPE_LIST}", name="facility_type", required="yes",
                           **{f"label::{ZH}": "设施类型", f"label::{EN}": "Facility type"}))
        choices.extend((TYPE_LIST, t, FACILITY_LABELS[t][0], FACILITY_LABELS[t][1])
                       for t in types)
    survey += [
        _row(type="text", name="facility_name",
             **{f"label::{ZH}": "设施名称（可选）", f"label::{EN}": "Facility name (optional)"}),
        _row(type="text", name="address",
             **{f"label::{ZH}": "地址或位置描述（可选）",
                f"label::{EN}": "Address or place description (optional)"}),
        _row(type="geopoint", name=LOCATION_FIELD, required="yes",
             parameters=f"capture-accuracy={limit} warning-accuracy={limit}",
             constraint=f"selected-at(., 3) <= {limit}",
             **{f"label::{ZH}": "位置（GPS）", f"label::{EN}": "Location (GPS)",
                f"hint::{ZH}": f"请在开阔处等待精度优于 {limit} 米。",
                f"hint::{EN}": f"Wait in the open until the accuracy is better than {limit} m.",
                f"constraint_message::{ZH}": f"GPS 精度须优于 {limit} 米，请稍候重试。",
                f"constraint_message::{EN}": f"GPS accuracy must be within {limit} m; "
                "wait and try again."}),
    ]
    for ftype in types:
        zh, en = FACILITY_LABELS[ftype]
        survey.append(_row(type="begin_group", name=ftype,
                           relevant="" if single else f"${{facility_type}} = '{ftype}'",
                           **{f"label::{ZH}": f"{zh}：测量",
                              f"label::{EN}": f"{en}: measurements"}))
        for spec in SCHEMAS[ftype]:
            row, extra = _field_rows(spec, ftype)
            survey.append(row)
            choices.extend(extra)
        row, extra = _confirm_rows(ftype)
        survey.append(row)
        choices.extend(extra)
        survey.append(_row(type="end_group", name=ftype))
    for i, name in enumerate(PHOTO_FIELDS, start=1):
        survey.append(_row(type="image", name=name, parameters="max-pixels=2048",
                           **{f"label::{ZH}": f"照片 {i}", f"label::{EN}": f"Photo {i}"}))
    survey.append(_row(type="text", name="notes", appearance="multiline",
                       **{f"label::{ZH}": "备注", f"label::{EN}": "Notes"}))
    form_id = f"{FORM_ID_PREFIX}_{types[0]}" if single else FORM_ID_PREFIX
    title_zh = (f"无障碍设施督导：{FACILITY_LABELS[types[0]][0]}" if single
                else "阳江无障碍设施督导")
    if stops is not None:
        form_id, title_zh = f"{form_id}_worklist", f"{title_zh}（巡查清单）"
    settings_row = {"form_title": title_zh, "form_id": form_id, "version": FORM_VERSION,
                    "default_language": ZH, "instance_name": "concat(${facility_type}, ' ', "
                    "${facility_name})"}
    return survey, choices, settings_row


def write_xlsform(
    path: Path | str,
    facility_types: Iterable[str] | None = None,
    *,
    settings: Settings | None = None,
    stops: Sequence[WorklistStop] | None = None,
) -> Path:
    """Write one XLSForm workbook to ``path`` and return it (with ``stops``: a worklist form)."""
    survey, choices, settings_row = form_rows(facility_types, settings=settings, stops=stops)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(list(SURVEY_COLUMNS))
    for row in survey:
        sheet.append([row.get(c, "") or None for c in SURVEY_COLUMNS])
    sheet = book.create_sheet("choices")
    sheet.append(list(CHOICE_COLUMNS))
    for choice in choices:
        sheet.append(list(choice))
    sheet = book.create_sheet("settings")
    sheet.append(list(settings_row))
    sheet.append(list(settings_row.values()))
    mark_text_cells(book)  # labels/hints are text, never formulas
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out


def xlsform_bytes(
    facility_types: Iterable[str] | None = None, *, settings: Settings | None = None
) -> bytes:
    """The XLSForm workbook (:func:`write_xlsform`) as bytes, for a download button."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return write_xlsform(Path(tmp) / "form.xlsx", facility_types,
                             settings=settings).read_bytes()


def write_xlsforms(
    out: Path | str, *, per_type: bool = False, settings: Settings | None = None
) -> list[Path]:
    """One form for all types at ``out``, or (``per_type``) one per type beside it."""
    target = Path(out)
    if not per_type:
        return [write_xlsform(target, settings=settings)]
    return [
        write_xlsform(target.with_name(f"{target.stem}_{ftype}{target.suffix}"), [ftype],
                      settings=settings)
        for ftype in FACILITY_TYPES
    ]
