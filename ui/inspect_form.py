"""Audit form widgets generated from :data:`audit.model.SCHEMAS`, the live verdict panel, history.

- :func:`measurement_inputs` draws one widget per schema field (unit in the label, the allowed
  and usual range in the help, booleans as yes / no / not checked) and, under each field, its
  problems in the user's language: a value that cannot be read, a contradiction (shown under both
  fields), or a value outside the usual range with "did you mean" hints and a confirmation
  checkbox. It returns the raw values (with the confirmed fields) plus the blocking problems;
- :func:`evaluation_panel` shows each failing clause with the measured value, the threshold,
  the severity, a provisional mark and how the input was read (presence inferred from a
  measurement, a split rule judged on every branch), then the open questions and, apart, the
  advice (GB 50763 宜) clauses;
- :func:`history_panel` lists the audits of a facility and a field-by-field diff of two of them;
- :func:`browser_geolocation` / :func:`parse_gps_result` read the device's GPS through the
  ``streamlit-js-eval`` component (its JavaScript ships inside the wheel; no CDN).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import streamlit as st

from audit.errors import Problem
from audit.inspect import diff_audits
from audit.model import (
    CONFIRM_KEY,
    SCHEMAS,
    MeasurementField,
    review_measurements,
    schema,
    suspect_of,
)
from audit.scoring import Finding, evaluate_partial
from ui.i18n import current_language, pick, t
from ui.map import facility_type_label, verdict_label
from ui.timefmt import local_time, zone_note
from ui.words import source_label

if TYPE_CHECKING:
    from collections.abc import Iterable

    from audit.io.odk_import import RowProblem
    from audit.reaudit import FacilityState

BOOL_OPTIONS: tuple[str, ...] = ("not_checked", "yes", "no")
_BOOL_VALUES: dict[str, bool | None] = {"not_checked": None, "yes": True, "no": False}
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Problem codes that do not block saving.
NON_BLOCKING: frozenset[str] = frozenset({"suspect_confirmed"})


def field_label(spec: MeasurementField, lang: str) -> str:
    """The field's label in ``lang`` with its unit, e.g. ``纵向坡度 (%)``."""
    label = pick(lang, spec.label_zh, spec.label_en)
    return f"{label} ({spec.unit})" if spec.unit else label


def widget_key(prefix: str, facility_type: str, name: str) -> str:
    return f"{prefix}:{facility_type}:{name}"


def _bool_label(option: str) -> str:
    return t(f"inspect.bool.{option}")


def _help(spec: MeasurementField, lang: str) -> str | None:
    helptext = pick(lang, spec.help_zh, spec.help_en)
    if spec.is_numeric:
        parts = [helptext, t("inspect.range", allowed=_range(spec))]
        if spec.plausible is not None:
            parts.append(t("inspect.usual", usual=_usual(spec)))
        helptext = " ".join(p for p in parts if p)
    return helptext or None


def measurement_inputs(
    facility_type: str, prefix: str, initial: dict[str, Any] | None = None,
    previous: dict[str, str] | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """One widget per field of ``facility_type``; returns (raw values, blocking problems).

    ``previous`` (field → text) is shown under each input of a re-audit: the last measurement
    and its date, beside the empty input — never copied into it.

    The problems are shown under their fields, translated. A value outside the usual range needs
    the inspector's confirmation (a checkbox tied to that value) before the audit can be saved;
    the confirmed fields are returned under :data:`audit.model.CONFIRM_KEY`.
    """
    lang = current_language()
    initial = initial or {}
    raw: dict[str, Any] = {}
    slots: dict[str, Any] = {}
    cols = st.columns(2)
    for i, spec in enumerate(SCHEMAS[facility_type]):
        key = widget_key(prefix, facility_type, spec.name)
        helptext = _help(spec, lang)
        with cols[i % 2]:
            if key not in st.session_state and spec.name in initial:
                value0 = initial[spec.name]
                if spec.kind == "bool":
                    st.session_state[key] = "yes" if value0 else "no"
                else:
                    st.session_state[key] = value0
            if spec.kind == "bool":
                choice = st.radio(field_label(spec, lang), BOOL_OPTIONS, key=key,
                                  format_func=_bool_label, horizontal=True, help=helptext)
                raw[spec.name] = _BOOL_VALUES[choice]
            elif spec.kind == "choice":
                raw[spec.name] = st.selectbox(
                    field_label(spec, lang), spec.choices, index=None, key=key,
                    format_func=lambda c, s=spec: s.choice_label(c, lang),
                    placeholder=t("inspect.not_measured"), help=helptext)
            else:
                raw[spec.name] = st.number_input(
                    field_label(spec, lang), value=None, step=spec.step or 1.0,
                    format="%d" if spec.kind == "integer" else "%g", key=key,
                    placeholder=t("inspect.not_measured"), help=helptext)
            if previous and spec.name in previous:
                st.caption(previous[spec.name])
            slots[spec.name] = st.container()
    issues = review_measurements(facility_type, raw)
    confirmed: list[str] = []
    initial_confirmed = set(initial.get(CONFIRM_KEY) or ())
    fields = schema(facility_type)
    for name, problems in issues.items():
        if name not in fields or name not in slots:
            continue
        spec = fields[name]
        with slots[name]:
            for p in problems:
                if p.code in ("suspect", "suspect_confirmed"):
                    st.warning(_suspect_text(spec, p, lang))
                    box = f"{widget_key(prefix, facility_type, name)}:confirm:{p.value!r}"
                    if box not in st.session_state and name in initial_confirmed:
                        st.session_state[box] = True
                    if st.checkbox(t("inspect.confirm_value", value=_num(p.value)), key=box):
                        confirmed.append(name)
                else:
                    st.error(problem_text(facility_type, p, lang))
    if confirmed:
        raw[CONFIRM_KEY] = confirmed
    blocking: list[Problem] = []
    for problems in issues.values():
        for p in problems:
            done = p.code == "suspect" and p.field in confirmed
            if p.code not in NON_BLOCKING and not done and p not in blocking:
                blocking.append(p)
    return raw, blocking


def problem_text(facility_type: str, p: Problem, lang: str) -> str:
    """A problem of one measurement as a translated sentence (never the developer message)."""
    fields = schema(facility_type)
    spec = fields.get(p.field)
    label = pick(lang, spec.label_zh, spec.label_en) if spec else p.field
    if p.code == "contradiction":
        other = fields.get(p.related[0]) if p.related else None
        other_label = pick(lang, other.label_zh, other.label_en) if other else ""
        return t("inspect.contradiction", field=label, other=other_label)
    if p.code == "count":
        other = fields[p.related[0]] if p.related else None
        return t("inspect.count_problem", field=label,
                 other=pick(lang, other.label_zh, other.label_en) if other else "")
    if p.code in ("suspect", "suspect_confirmed") and spec is not None:
        return _suspect_text(spec, p, lang)
    allowed = _range(spec) if spec is not None and spec.is_numeric else (
        spec.allowed_text() if spec is not None else "")
    text = t("inspect.bad_value", value=p.value, allowed=allowed)
    if p.code == "decimal_comma":
        text = t("inspect.decimal_comma", value=p.value)
    if p.hints:
        text += " " + t("inspect.did_you_mean", hints=_hints(p, lang))
    return text


def _suspect_text(spec: MeasurementField, p: Problem, lang: str) -> str:
    text = t("inspect.suspect", value=_num(p.value), unit=spec.unit or "", usual=_usual(spec))
    if p.hints:
        text += " " + t("inspect.did_you_mean", hints=_hints(p, lang))
    return text


def suspect_rows(rows: Iterable[RowProblem], lang: str) -> list[dict[str, str]]:
    """Imported values outside their plausible range as a table in the inspector's language:
    row, facility type, field, value and the usual range with "did you mean" hints."""
    out: list[dict[str, str]] = []
    for r in rows:
        types = [r.facility_type] if r.facility_type in SCHEMAS else list(SCHEMAS)
        spec = next((schema(ft)[r.field] for ft in types if r.field in schema(ft)), None)
        if spec is None:
            text, name = str(r.reason), r.field
        else:
            found = suspect_of(spec, r.value)
            hints = found.hints if found is not None else ()
            p = Problem(r.field, r.value, r.reason, code="suspect", hints=hints)
            text, name = _suspect_text(spec, p, lang), field_label(spec, lang)
        out.append({
            t("inspect.import.col.row"): str(r.row),
            t("inspect.import.col.type"): facility_type_label(r.facility_type, lang)
            if r.facility_type else "",
            t("inspect.import.col.field"): name,
            t("inspect.import.col.value"): _num(r.value),
            t("inspect.import.col.note"): text,
        })
    return out


def rejected_rows(rows: Iterable[RowProblem], lang: str) -> list[dict[str, str]]:
    """The rows that stopped an import, in the inspector's language: row, field, value and a
    sentence saying what to fix (never the importer's developer text)."""
    from ui.errors import field_label as problem_field
    from ui.errors import problem_sentence

    return [{
        t("inspect.import.col.row"): str(r.row),
        t("inspect.import.col.field"): problem_field(r.field, lang),
        t("inspect.import.col.value"): _num(r.value),
        t("inspect.import.col.note"): problem_sentence(
            Problem(r.field, r.value, r.reason, code=r.code, params=dict(r.params)), lang),
    } for r in rows]


def _hints(p: Problem, lang: str) -> str:
    return pick(lang, "；", "; ").join(h.text("zh" if lang == "zh-Hans" else "en")
                                       for h in p.hints)


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _range(spec: MeasurementField) -> str:
    unit = f" {spec.unit}" if spec.unit else ""
    lo = f"{spec.minimum:g}" if spec.minimum is not None else "?"
    hi = f"{spec.maximum:g}" if spec.maximum is not None else "?"
    return f"{lo} – {hi}{unit}"


def _usual(spec: MeasurementField) -> str:
    if spec.plausible is None:
        return _range(spec)
    unit = f" {spec.unit}" if spec.unit else ""
    text = f"{spec.plausible[0]:g} – {spec.plausible[1]:g}{unit}"
    return f"{text}{t('inspect.or_zero')}" if spec.zero_plausible else text


def _text(value: Any) -> str:
    """A value as a person reads it: ``10 %``, ``是``; never ``value = 10, unit = %``."""
    if isinstance(value, dict):
        lang = current_language()
        text = value.get("text_zh" if lang == "zh-Hans" else "text_en") or value.get("text")
        if isinstance(text, str) and text:
            return text
        if "value" in value:
            unit = value.get("unit")
            return f"{_text(value['value'])} {unit}" if unit else _text(value["value"])
        return pick(lang, "、", ", ").join(_text(v) for v in value.values())
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("inspect.bool.yes") if value else t("inspect.bool.no")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _measured_text(measured: dict[str, Any] | None, lang: str) -> str:
    if not measured:
        return "—"
    key = "text_zh" if lang == "zh-Hans" else "text_en"
    return str(measured.get(key) or _text(measured))


def _threshold_text(threshold: dict[str, Any], lang: str) -> str:
    key = "text_zh" if lang == "zh-Hans" else "text_en"
    return str(threshold.get(key) or _text(threshold))


def finding_notes(facility_type: str, f: Finding, lang: str) -> list[str]:
    """How the input behind one finding was read, as translated sentences."""
    fields = schema(facility_type)

    def label(name: str) -> str:
        spec = fields.get(name)
        return pick(lang, spec.label_zh, spec.label_en) if spec else name

    notes = [t("inspect.live.inferred", flag=label(flag), field=label(source))
             for flag, source in f.inferred.items()]
    if f.split:
        notes.append(pick(lang, str(f.split.get("text_zh", "")), str(f.split.get("text_en", ""))))
    if f.suspect:
        notes.append(t("inspect.live.suspect_rule", fields="、".join(label(n) for n in f.suspect)
                       if lang == "zh-Hans" else ", ".join(label(n) for n in f.suspect)))
    if f.confirmed:
        notes.append(t("inspect.live.confirmed", fields=", ".join(label(n) for n in f.confirmed)))
    return notes


def _finding_line(facility_type: str, f: Finding, lang: str) -> str:
    mark = f" · {t('inspect.live.provisional')}" if f.provisional else ""
    notes = finding_notes(facility_type, f, lang)
    extra = "".join(f"  \n{n}" for n in notes)
    return (
        f"**{f.standard} {f.clause}** {f.title(lang)}  \n"
        f"{t('inspect.live.measured')}: {_measured_text(f.measured, lang)} · "
        f"{t('inspect.live.threshold')}: {_threshold_text(f.threshold, lang)} · "
        f"{t('inspect.live.severity')}: {t(f'inspect.severity.{f.severity}')}{mark}{extra}"
    )


def previous_texts(state: FacilityState | None) -> dict[str, str]:
    """field → "last measured: value · date (Asia/Shanghai)" for the re-audit form."""
    if state is None:
        return {}
    fields = schema(state.facility_type)
    out: dict[str, str] = {}
    for name, fs in state.fields.items():
        spec = fields.get(name)
        if spec is None:
            continue
        value = (spec.choice_label(str(fs.value), current_language())
                 if spec.kind == "choice" else _text(fs.value))
        unit = f" {spec.unit}" if spec.unit and spec.kind not in ("bool", "choice") else ""
        out[name] = t("work.reaudit.previous", value=f"{value}{unit}",
                      date=local_time(fs.measured_at), version=fs.sequence)
    return out


#: CSS of the compact live verdict: on a phone it stays in view at the top while the inspector
#: scrolls through the inputs (its element container is made sticky); wider screens show the
#: full panel beside the inputs instead.
LIVE_LINE_CSS = (
    "<style>"
    '[data-testid="stElementContainer"]:has(.a11y-live-line){position:sticky;top:3.75rem;'
    "z-index:99}"
    ".a11y-live-line{background:#fff;border:2px solid #1a1a1a;border-radius:6px;"
    "padding:6px 10px;font-weight:600;box-shadow:0 2px 6px rgba(0,0,0,.15)}"
    ".a11y-live-line.fail{border-color:#b3261e;color:#8c1d18}"
    "@media (min-width:640px){"
    '[data-testid="stElementContainer"]:has(.a11y-live-line){display:none}}'
    "</style>"
)


def compact_verdict(evaluation: Any, lang: str) -> str:
    """One line: verdict, failing count and the first failure's measured value vs threshold."""
    line = t("mapux.live.line", verdict=verdict_label(evaluation.verdict, lang),
             n_fail=evaluation.n_fail)
    failing = evaluation.failing
    if failing:
        f = failing[0]
        line += " · " + t("mapux.live.first", title=f.title(lang),
                          measured=_measured_text(f.measured, lang),
                          threshold=_threshold_text(f.threshold, lang))
    return line


def evaluation_panel(facility_type: str, raw: dict[str, Any],
                     compact: Any | None = None) -> dict[str, Any] | None:
    """The live verdict: failing clauses first, each with measured value, threshold, severity,
    then the questions that decide open clauses, then passing clauses and, apart, advice.

    ``compact`` (an ``st.empty()`` above the inputs) gets the one-line verdict that stays in
    view on a phone."""
    lang = current_language()
    evaluation, _problems = evaluate_partial(facility_type, raw)
    st.markdown(f"#### {t('inspect.live.heading')}")
    if evaluation is None:
        st.warning(t("inspect.live.fix_inputs"))
        return None
    if compact is not None:
        kind = "fail" if evaluation.n_fail else "ok"
        # style-only HTML goes to Streamlit's event container: styles the page, is not page text
        st.html(LIVE_LINE_CSS)
        compact.markdown(
            f'<div class="a11y-live-line {kind}" role="status">'
            f"{html.escape(compact_verdict(evaluation, lang))}</div>",
            unsafe_allow_html=True)
    score = "—" if evaluation.score is None else f"{evaluation.score:.0f}"
    st.markdown(t("inspect.live.verdict", verdict=verdict_label(evaluation.verdict, lang),
                  score=score, n_fail=evaluation.n_fail))
    if evaluation.unconfirmed:
        fields = schema(facility_type)
        names = [pick(lang, fields[n].label_zh, fields[n].label_en) for n in evaluation.unconfirmed]
        st.warning(t("inspect.live.suspect", fields=pick(lang, "、", ", ").join(names)))
    failing = evaluation.failing
    if not failing:
        st.success(t("inspect.live.no_fail"))
    for f in failing:
        st.error(_finding_line(facility_type, f, lang))
    for f in evaluation.findings:
        if f.question:
            st.info(t("inspect.live.question", clause=f"{f.standard} {f.clause}",
                      title=f.title(lang),
                      question=pick(lang, f.question["text_zh"], f.question["text_en"])))
    passing = [f for f in evaluation.findings if f.status == "pass" and not f.is_advice]
    if passing:
        with st.expander(t("inspect.live.passing", n=len(passing))):
            for f in passing:
                mark = f" · {t('inspect.live.provisional')}" if f.provisional else ""
                notes = "".join(f"  \n{n}" for n in finding_notes(facility_type, f, lang))
                st.markdown(f"✓ **{f.clause}** {f.title(lang)}{mark}{notes}")
    advice = [f for f in evaluation.findings if f.is_advice and f.status in ("advice", "pass")]
    if advice:
        with st.expander(t("inspect.live.advice", n=len(evaluation.advice))):
            st.caption(t("inspect.live.advice_help"))
            for f in advice:
                sign = "ℹ" if f.status == "advice" else "✓"
                st.markdown(f"{sign} **{f.standard} {f.clause}** {f.title(lang)} · "
                            f"{t('inspect.live.measured')}: {_measured_text(f.measured, lang)} · "
                            f"{_threshold_text(f.threshold, lang)}")
    return evaluation.to_dict()


def history_panel(facility_type: str, audits: list[dict[str, Any]]) -> None:
    """Audit versions of one facility (newest first) and a field-by-field diff of two."""
    lang = current_language()
    st.markdown(f"#### {t('inspect.history.heading')}")
    if not audits:
        st.caption(t("inspect.history.none"))
        return
    rows = [
        {
            t("inspect.history.version"): a["sequence"],
            t("inspect.history.date"): local_time(a["submitted_at"]),
            t("inspect.history.inspector"): a["inspector_name"],
            t("inspect.history.verdict"): verdict_label(str(a["verdict"]), lang),
            t("inspect.history.source"): source_label(str(a["source"])),
        }
        for a in audits
    ]
    st.dataframe(rows, hide_index=True, use_container_width=True)
    st.caption(zone_note())
    if len(audits) < 2:
        return
    versions = [a["sequence"] for a in audits]
    cols = st.columns(2)
    old_v = cols[0].selectbox(t("inspect.history.from"), versions, index=1, key="diff_from")
    new_v = cols[1].selectbox(t("inspect.history.to"), versions, index=0, key="diff_to")
    before = next(a for a in audits if a["sequence"] == old_v)
    after = next(a for a in audits if a["sequence"] == new_v)
    diff = diff_audits(facility_type, before, after)
    if not diff["fields"] and diff["notes"] is None:
        st.caption(t("inspect.history.same"))
    table = [
        {
            t("inspect.history.field"): pick(lang, c.label_zh, c.label_en)
            + (f" ({c.unit})" if c.unit else ""),
            t("inspect.history.before"): "—" if c.before is None else _text(c.before),
            t("inspect.history.after"): "—" if c.after is None else _text(c.after),
            t("inspect.history.change"): t(f"inspect.history.kind.{c.change}"),
        }
        for c in diff["fields"]
    ]
    if table:
        st.dataframe(table, hide_index=True, use_container_width=True)
    b, a = diff["verdict"]
    st.markdown(t("inspect.history.verdict_change", before=verdict_label(str(b), lang),
                  after=verdict_label(str(a), lang)))
    if diff["fixed"]:
        st.markdown(t("inspect.history.fixed", rules=", ".join(diff["fixed"])))
    if diff["newly_failing"]:
        st.markdown(t("inspect.history.new_fail", rules=", ".join(diff["newly_failing"])))


# ----------------------------------------------------------------------------- browser GPS

#: Browser geolocation error codes (W3C Geolocation API ``GeolocationPositionError.code``).
GPS_ERROR_KEYS: dict[int, str] = {1: "denied", 2: "unavailable", 3: "timeout"}


@dataclass(frozen=True)
class GpsFix:
    """One browser GPS reading (WGS84, as ``navigator.geolocation`` returns it)."""

    lon: float
    lat: float
    accuracy_m: float | None


def geolocation_available() -> bool:
    """Whether the geolocation component (``streamlit-js-eval``) is installed."""
    try:
        import streamlit_js_eval  # noqa: F401
    except ImportError:
        return False
    return True


def browser_geolocation(request: int) -> Any:
    """Ask the browser for ``navigator.geolocation.getCurrentPosition`` (one reading per
    ``request`` number): ``None`` while the browser has not answered, then its result
    (``{"coords": {...}}`` or ``{"error": {"code", "message"}}``)."""
    import streamlit_js_eval

    return streamlit_js_eval.get_geolocation(component_key=f"insp_gps_request:{request}")


def parse_gps_result(value: Any) -> GpsFix | str:
    """A :class:`GpsFix` from the component's answer, else the catalogue key of the problem."""
    if not isinstance(value, dict):
        return "inspect.gps.error.unavailable"
    if "error" in value:
        code = (value.get("error") or {}).get("code")
        key = GPS_ERROR_KEYS.get(code, "unavailable") if isinstance(code, int) else "unavailable"
        return f"inspect.gps.error.{key}"
    coords = value.get("coords") or {}
    try:
        lon, lat = float(coords["longitude"]), float(coords["latitude"])
    except (KeyError, TypeError, ValueError):
        return "inspect.gps.error.unavailable"
    raw_acc = coords.get("accuracy")
    try:
        accuracy = None if raw_acc is None else float(raw_acc)
    except (TypeError, ValueError):
        accuracy = None
    if not (math.isfinite(lon) and math.isfinite(lat)) or (
            accuracy is not None and not math.isfinite(accuracy)):
        return "inspect.gps.error.unavailable"
    return GpsFix(lon, lat, accuracy)
