"""Library errors, times and internal codes as words for a person (issue 17, items 6–8, 10):
unit tests of ui/errors.py, ui/timefmt.py and ui/words.py (no Streamlit run needed)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from page_text import offences, visible_html_text

from audit.actors import SYSTEM, Actor
from audit.auth import create_user
from audit.errors import ConflictError, InputError, PermissionDenied, Problem
from audit.priority import optimise_plan
from audit.storage import Database
from audit.workorders import create_work_order, set_status
from ui.errors import error_lines, field_label, problem_sentence, show_error
from ui.i18n import catalogue, translate
from ui.timefmt import local_clock, local_time
from ui.words import action_label, actor_label, audit_status_label, days, whole_points

ZH, EN = "zh-Hans", "en"
BUREAU = Actor(None, "chen", "bureau")
ADMIN = Actor(None, "root", "admin")


def _raised(call: object, *args: object, **kw: object) -> InputError:
    with pytest.raises(InputError) as info:
        call(*args, **kw)  # type: ignore[operator]
    return info.value


def test_a_negative_budget_names_the_field_and_value_in_both_languages() -> None:
    exc = _raised(optimise_plan, pd.DataFrame({"cost_yuan": [1.0], "priority": [1.0]}), -5.0)
    assert "`budget_yuan` = -5.0" in str(exc)  # the developer text stays precise (log, CLI)
    zh, en = error_lines(exc, ZH), error_lines(exc, EN)
    assert zh == ["“预算（元）”须为不小于 0 的数字（填写的是 \\-5），请修改后重试。"]
    assert "Budget (yuan)" in en[0] and "-5" in en[0] and "at least 0" in en[0]
    assert not offences(zh[0])


def test_a_forbidden_status_change_is_said_with_status_words(sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work(SYSTEM, write=True) as repo:
        fid = repo.create_facility("ramp", 111.98, 21.86, name="坡道").id
    with sqlite_db.unit_of_work(BUREAU, write=True) as repo:
        order = create_work_order(repo, facility_id=fid, responsible_unit="住建局",
                                  due_date=date(2030, 1, 1))
        set_status(repo, order.id, "in_progress")
        set_status(repo, order.id, "done")
        exc = _raised(set_status, repo, order.id, "planned")
    assert "from 'done' only" in str(exc)
    [zh] = error_lines(exc, ZH)
    assert zh == "该工单当前为“已完工”，只能改为：施工中、已验收。"
    assert not offences(zh)
    [en] = error_lines(exc, EN)
    assert "done" not in en.replace("Done", "") or "“" in en
    assert translate(EN, "bureau.wo.status.done") in en


def test_work_order_and_user_problems_are_sentences_with_limits(sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work(BUREAU, write=True) as repo:
        wo = _raised(create_work_order, repo, facility_id=None, responsible_unit=" ",
                     due_date="2030-01-01", cost_yuan=-1)
    lines = error_lines(wo, ZH)
    assert lines[0] == "请选择一个设施或一条群众反映（或两者都选）。"
    assert any("责任单位" in s and "1 至 200" in s for s in lines), lines
    assert any("整改期限" in s and "日期" in s for s in lines)
    assert any("费用（元）" in s and "-1" in s for s in lines)
    with sqlite_db.unit_of_work(ADMIN, write=True) as repo:
        user = _raised(create_user, repo, "Bad Name!", "short", "boss")
    lines = error_lines(user, ZH)
    assert any(s.startswith("“用户名”须为 2 至 64 个字符") for s in lines), lines
    assert any("密码" in s and "8 至" in s for s in lines)
    assert "short" not in " ".join(lines)  # a password is never quoted back
    assert any("督导员、城管局、管理员" in s for s in lines)  # roles in words
    for line in (*error_lines(wo, ZH), *lines):
        assert not offences(line), line


def test_every_problem_message_renders_without_developer_text() -> None:
    sample = {"min": 1, "max": 80, "choices": ("planned",), "current": "done",
              "kind": "work_order_status"}
    for lang in (ZH, EN):
        codes = [k.removeprefix("words.problem.") for k in catalogue(lang)
                 if k.startswith("words.problem.")]
        assert len(codes) >= 20
        for code in codes:
            text = problem_sentence(Problem("budget_yuan", 7, "dev", code=code,
                                            params=dict(sample)), lang)
            assert "{" not in text and "budget_yuan" not in text, (code, text)
            if lang == ZH:
                assert not offences(text), (code, text)


def test_other_errors_get_a_sentence_and_the_log_the_details(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    assert error_lines(ConflictError("version 3 vs 2"), ZH)[0].startswith("这条记录刚被其他人修改")
    assert "权" in error_lines(PermissionDenied("role bureau may not x.y"), ZH)[0]
    secret = "/srv/a11y/var/streets.graphml"
    [line] = error_lines(FileNotFoundError(2, "No such file", secret), ZH)
    assert "streets" in line and "/srv" not in line
    [generic] = error_lines(ValueError("frame_rows: column work_order_id missing"), ZH)
    assert not offences(generic) and "work_order_id" not in generic
    shown: list[str] = []
    import streamlit as st

    monkeypatch.setattr(st, "error", lambda body, **_: shown.append(body))
    with caplog.at_level(logging.INFO, logger="yangjiang_a11y.ui"):
        show_error(ValueError("frame_rows: column work_order_id missing"))
    assert "work_order_id" in caplog.text  # the developer keeps the precise message
    assert shown and "work_order_id" not in shown[0]


def test_field_labels_drop_indexes_and_fall_back_to_words() -> None:
    assert field_label("budget_yuan[441702]", ZH) == "预算（元）"
    assert field_label("location.lon", ZH) == "经度"
    assert field_label("running_slope_pct", ZH) != "running_slope_pct"
    assert field_label("no_such_field_x", ZH) == "该项"


def test_times_are_shanghai_minutes_without_seconds_or_zone() -> None:
    moment = datetime(2026, 11, 30, 13, 47, 59, 123456, tzinfo=UTC)
    assert local_time(moment) == "2026-11-30 21:47"
    assert local_time(moment.replace(tzinfo=None)) == "2026-11-30 21:47"  # naive = UTC
    assert local_time(pd.Timestamp(moment)) == "2026-11-30 21:47"
    assert local_time("2026-11-30T16:05:00Z") == "2026-12-01 00:05"  # crosses midnight
    assert local_time(None) == local_time(float("nan")) == local_time(pd.NaT) == "—"
    assert local_clock(moment + timedelta(minutes=15)) == "22:02"
    assert not re.search(r"UTC|:\d\d:\d\d|\.\d{3}", local_time(moment))


def test_codes_scores_and_durations_in_words() -> None:
    assert audit_status_label("submitted", ZH) == "已提交"
    assert audit_status_label("weird_state", ZH) == "其他"
    assert actor_label("bureau:demo-bureau", ZH) == "城管局 demo-bureau"
    assert actor_label("anonymous:abc", ZH) == "居民"
    assert action_label("read_contact", ZH) == "查看了联系方式"
    assert action_label("verify", ZH) == translate(ZH, "reports.action.verify")
    assert whole_points(52.63157894736842) == "53" and whole_points(None) == "—"
    assert days(3.6, ZH) == "4 天" and days(float("inf"), ZH) == "—"


def test_district_report_and_ui_use_the_same_verdict_words() -> None:
    from audit.io.district_report import VERDICT_ZH

    for verdict, word in VERDICT_ZH.items():
        assert word == translate(ZH, f"verdict.{verdict}")
    assert VERDICT_ZH["incomplete"] == "资料不全"


def test_plan_workbook_has_chinese_headers_and_a_machine_column_sheet() -> None:
    import io

    import openpyxl

    from audit.io.exports import plan_xlsx_bytes

    plan = pd.DataFrame({"candidate_id": ["F1"], "district_code": ["441702"],
                         "cost_yuan": [1200.0], "priority": [3.5]})
    summary = pd.DataFrame({"district_code": ["441702"], "fixes": [1]})
    headers = {c: translate(ZH, f"words.col.{c}") for c in
               ("candidate_id", "district_code", "cost_yuan", "priority", "fixes")}
    book = openpyxl.load_workbook(io.BytesIO(plan_xlsx_bytes(plan, summary, {"n": "x"}, headers)))
    first = [c.value for c in next(book["plan"].iter_rows(max_row=1))]
    assert first == ["候选编号", "区县代码", "估算费用（元）", "优先级"]
    mapping = {(r[0], r[1]): r[2] for r in book["columns"].iter_rows(min_row=2, values_only=True)}
    assert mapping[("plan", "估算费用（元）")] == "cost_yuan"
    assert mapping[("summary", "整改项数")] == "fixes"


def test_rejected_import_rows_are_sentences_not_importer_text() -> None:
    from audit.io.odk_import import RowProblem
    from ui.inspect_form import rejected_rows

    rows = [RowProblem(3, "uuid:1", "running_slope_pct", "abc", "a number between 0 and 100"),
            RowProblem(4, "uuid:2", "photo_1", "25.0 MB", "at most 15.0 MB", code="photo_size",
                       params={"max": "15.0"}),
            RowProblem(5, "uuid:3", "gps_accuracy_m", None, "at most 30 m")]
    table = rejected_rows(rows, ZH)
    assert [r["行"] if "行" in r else next(iter(r.values())) for r in table] == ["3", "4", "5"]
    cells = [str(v) for r in table for v in r.values()] + [str(k) for k in table[0]]
    for cell in cells:
        assert not offences(cell) or cell == "abc", (cell, offences(cell))
    assert any("15.0 MB" in c for c in cells) and "—" in cells


def test_html_on_a_page_is_checked_for_what_a_person_reads() -> None:
    """Markdown drawn with HTML allowed: its tags and <style> are not read (Chromium's
    innerText leaves them out), its text and aria-label are, and are still checked."""
    css = "<style>.a11y-live-line{position:sticky;top:3rem}@media (min-width:640px){}</style>"
    line = f'{css}<div class="a11y-live-line ok" role="status">实时结论：合格</div>'
    assert visible_html_text(line) == "实时结论：合格"
    assert offences(line) and not offences(visible_html_text(line))
    leaked = '<div aria-label="status = done">value = 10, unit = %</div>'
    assert visible_html_text(leaked) == "status = done value = 10, unit = %"
    assert offences(visible_html_text(leaked))


def test_tables_that_name_districts_say_district_not_district_code() -> None:
    """The work-order tables show 江城区, not 441702: their header is 区县 / District (区县代码
    is kept for the exports, which carry the codes)."""
    from ui.words import display_table

    frame = pd.DataFrame({"district_code": ["441702"], "cost_yuan": [1200.0]})
    zh = display_table(frame, ["district_code", "cost_yuan"], "zh-Hans")
    assert list(zh.columns) == ["区县", "估算费用（元）"] and zh.iloc[0, 0] == "江城区"
    en = display_table(frame, ["district_code"], "en")
    assert list(en.columns) == ["District"] and en.iloc[0, 0] == "Jiangcheng District"
