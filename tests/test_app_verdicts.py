"""AppTest of the audit form for issue 12: units beside inputs, translated inline problems,
the confirmation step for a suspect value, contradictions under both fields, inferred presence,
the question that decides a split rule, and advice shown apart."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_app_audits import AUDIT_PAGE, _counts, _locate_typed, _open, _sign_in, _text, app_db

from audit.actors import SYSTEM
from audit.model import CONFIRM_KEY, SCHEMAS
from audit.storage import Database
from ui import state

__all__ = ["app_db"]  # the fixture, imported for these tests


def _form(at: AppTest) -> str:
    return str(at.session_state["insp_form_id"])


def _number(at: AppTest, ftype: str, name: str) -> object:
    return at.number_input(key=f"{_form(at)}:{ftype}:{name}")


def _submit(at: AppTest) -> object:
    return next(b for b in at.button if b.key and b.key.startswith("insp_submit_btn"))


def _type(at: AppTest, ftype: str) -> AppTest:
    at.selectbox(key="insp_type").set_value(ftype)
    return at.run()


def test_every_numeric_input_shows_its_unit(app_db: Database) -> None:
    at = _locate_typed(_sign_in(_open(AUDIT_PAGE)))
    for ftype, fields in SCHEMAS.items():
        at = _type(at, ftype)
        for spec in fields:
            if spec.kind == "number":
                widget = _number(at, ftype, spec.name)
                assert widget.label.endswith(f"({spec.unit})"), widget.label  # type: ignore[attr-defined]
                assert "通常在" in str(widget.help)  # type: ignore[attr-defined]


def test_suspect_value_needs_confirmation_before_saving(app_db: Database) -> None:
    at = _locate_typed(_sign_in(_open(AUDIT_PAGE)))
    _number(at, "ramp", "running_slope_pct").set_value(9.5)  # type: ignore[attr-defined]
    _number(at, "ramp", "rise_mm").set_value(0.8)  # type: ignore[attr-defined]
    at.run()
    warnings = "\n".join(str(w.value) for w in at.warning)
    assert "0.8 mm 超出通常范围" in warnings and "0.8 m = 800 mm" in warnings
    assert "确认或更正之前不参与判定" in warnings  # the live verdict says why it waits
    assert _submit(at).disabled  # type: ignore[attr-defined]
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "勾选“无误”确认后再保存" in captions and "红色" not in captions  # tick, not "fix red"
    box = at.checkbox(key=f"{_form(at)}:ramp:rise_mm:confirm:0.8")
    assert box.label == "0.8 无误（已复核测量）"
    box.check()
    at.run()
    assert not _submit(at).disabled  # type: ignore[attr-defined]
    _submit(at).click()  # type: ignore[attr-defined]
    at.run()
    assert not at.exception, at.exception
    assert _counts(app_db) == (1, 1)
    with app_db.unit_of_work(SYSTEM) as repo:
        audit = repo.latest_audit(1)
    assert audit is not None and audit.measurements[CONFIRM_KEY] == ["rise_mm"]


def test_changing_a_confirmed_value_asks_again(app_db: Database) -> None:
    at = _locate_typed(_sign_in(_open(AUDIT_PAGE)))
    _number(at, "ramp", "rise_mm").set_value(0.8)  # type: ignore[attr-defined]
    at.run()
    at.checkbox(key=f"{_form(at)}:ramp:rise_mm:confirm:0.8").check()
    at.run()
    assert not _submit(at).disabled  # type: ignore[attr-defined]
    _number(at, "ramp", "rise_mm").set_value(0.7)  # type: ignore[attr-defined]
    at.run()
    assert _submit(at).disabled  # type: ignore[attr-defined]


def test_contradiction_is_shown_under_both_fields_in_both_languages(app_db: Database) -> None:
    at = _locate_typed(_sign_in(_open(AUDIT_PAGE)))
    at.radio(key=f"{_form(at)}:ramp:handrail_present").set_value("no")
    _number(at, "ramp", "handrail_height_mm").set_value(870.0)  # type: ignore[attr-defined]
    at.run()
    errors = [str(e.value) for e in at.error if "相矛盾" in str(e.value)]
    assert len(errors) == 2 and "扶手高度" in errors[0] and "设有扶手" in errors[0]
    assert "handrail_present" not in "\n".join(errors)  # no internal ids
    assert _submit(at).disabled  # type: ignore[attr-defined]
    assert "输入的数值相互矛盾" in _text(at)
    at.radio(key=state.LANG).set_value("en").run()
    errors = [str(e.value) for e in at.error if "contradicts" in str(e.value)]
    assert len(errors) == 2 and "Handrail height" in errors[0]


def test_inferred_presence_question_and_advice_are_shown(app_db: Database) -> None:
    at = _locate_typed(_sign_in(_open(AUDIT_PAGE)))
    _number(at, "ramp", "handrail_height_mm").set_value(950.0)  # type: ignore[attr-defined]
    at.run()
    failing = "\n".join(str(e.value) for e in at.error)
    assert "2.8.1" in failing and "由“扶手高度（单层或上层）”的测量值推定" in failing
    at = _type(at, "entrance")
    _number(at, "entrance", "door_clear_width_mm").set_value(850.0)  # type: ignore[attr-defined]
    at.radio(key=f"{_form(at)}:entrance:automatic_door").set_value("no")
    at.run()
    info = "\n".join(str(i.value) for i in at.info)
    assert "2.5.4" in info and "这是新建或扩建建筑" in info
    at = _type(at, "tactile_paving")
    _number(at, "tactile_paving", "width_mm").set_value(600.0)  # type: ignore[attr-defined]
    at.run()
    assert any("建议项" in e.label for e in at.expander)
    assert not any("3.2.2" in str(e.value) for e in at.error)  # advice is not a failure
