"""Audit form widgets generated from :data:`audit.model.SCHEMAS`, the live verdict panel, history.

- :func:`measurement_inputs` draws one widget per schema field (unit in the label, help text,
  booleans as yes / no / not checked) and returns the raw values plus the inline problems;
- :func:`evaluation_panel` shows each failing clause with the measured value, the threshold,
  the severity and a provisional mark;
- :func:`history_panel` lists the audits of a facility and a field-by-field diff of two of them;
- :func:`browser_geolocation` / :func:`parse_gps_result` read the device's GPS through the
  ``streamlit-js-eval`` component (its JavaScript ships inside the wheel; no CDN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import streamlit as st

from audit.errors import Problem
from audit.inspect import diff_audits, preview
from audit.model import SCHEMAS, MeasurementField
from ui.i18n import current_language, pick, t
from ui.map import verdict_label

BOOL_OPTIONS: tuple[str, ...] = ("not_checked", "yes", "no")
_BOOL_VALUES: dict[str, bool | None] = {"not_checked": None, "yes": True, "no": False}


def field_label(spec: MeasurementField, lang: str) -> str:
    """The field's label in ``lang`` with its unit, e.g. ``纵向坡度 (%)``."""
    label = pick(lang, spec.label_zh, spec.label_en)
    return f"{label} ({spec.unit})" if spec.unit else label


def widget_key(prefix: str, facility_type: str, name: str) -> str:
    return f"{prefix}:{facility_type}:{name}"


def _bool_label(option: str) -> str:
    return t(f"inspect.bool.{option}")


def measurement_inputs(
    facility_type: str, prefix: str, initial: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """One widget per field of ``facility_type``; returns (raw values, problems shown inline)."""
    from audit.inspect import check_fields

    lang = current_language()
    initial = initial or {}
    raw: dict[str, Any] = {}
    cols = st.columns(2)
    for i, spec in enumerate(SCHEMAS[facility_type]):
        key = widget_key(prefix, facility_type, spec.name)
        helptext = pick(lang, spec.help_zh, spec.help_en) or None
        if spec.kind != "bool" and spec.kind != "choice":
            allowed = t("inspect.range", allowed=_range(spec))
            helptext = f"{helptext} {allowed}" if helptext else allowed
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
            _, problems = check_fields(facility_type, {spec.name: raw[spec.name]})
            for p in problems:
                st.error(t("inspect.bad_value", value=p.value, allowed=_range(spec)))
    _, problems = check_fields(facility_type, raw)
    return raw, problems


def _range(spec: MeasurementField) -> str:
    unit = f" {spec.unit}" if spec.unit else ""
    lo = f"{spec.minimum:g}" if spec.minimum is not None else "?"
    hi = f"{spec.maximum:g}" if spec.maximum is not None else "?"
    return f"{lo} – {hi}{unit}"


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} = {_text(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return t("inspect.bool.yes") if value else t("inspect.bool.no")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _threshold_text(threshold: dict[str, Any], lang: str) -> str:
    key = "text_zh" if lang == "zh-Hans" else "text_en"
    return str(threshold.get(key) or threshold.get("text") or _text(threshold))


def evaluation_panel(facility_type: str, raw: dict[str, Any]) -> dict[str, Any] | None:
    """The live verdict: failing clauses first, each with measured value, threshold, severity."""
    lang = current_language()
    evaluation, _problems = preview(facility_type, raw)
    st.markdown(f"#### {t('inspect.live.heading')}")
    if evaluation is None:
        st.warning(t("inspect.live.fix_inputs"))
        return None
    score = "—" if evaluation.score is None else f"{evaluation.score:.0f}"
    st.markdown(t("inspect.live.verdict", verdict=verdict_label(evaluation.verdict, lang),
                  score=score, n_fail=evaluation.n_fail))
    failing = evaluation.failing
    if not failing:
        st.success(t("inspect.live.no_fail"))
    for f in failing:
        mark = f" · {t('inspect.live.provisional')}" if f.provisional else ""
        st.error(
            f"**{f.standard} {f.clause}** {f.title(lang)}  \n"
            f"{t('inspect.live.measured')}: {_text(f.measured or {})} · "
            f"{t('inspect.live.threshold')}: {_threshold_text(f.threshold, lang)} · "
            f"{t('inspect.live.severity')}: {t(f'inspect.severity.{f.severity}')}{mark}"
        )
    passing = [f for f in evaluation.findings if f.status == "pass"]
    if passing:
        with st.expander(t("inspect.live.passing", n=len(passing))):
            for f in passing:
                mark = f" · {t('inspect.live.provisional')}" if f.provisional else ""
                st.markdown(f"✓ **{f.clause}** {f.title(lang)}{mark}")
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
            t("inspect.history.date"): a["submitted_at"],
            t("inspect.history.inspector"): a["inspector_name"],
            t("inspect.history.verdict"): verdict_label(str(a["verdict"]), lang),
            t("inspect.history.source"): a["source"],
        }
        for a in audits
    ]
    st.dataframe(rows, hide_index=True, use_container_width=True)
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
