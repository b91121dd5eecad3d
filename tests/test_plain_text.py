"""User text is shown as plain text, never Markdown/HTML (issue 16 item 9).

A facility named ``![x](http://evil/img)`` (a tracking image) with the address
``[link](http://phish)`` used to appear as an image and a link on the public detail panel. The
escaping is checked against a CommonMark parser (markdown-it-py, installed with the dev tools)
and through the real app in AppTest.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import empty_app_db
from hypothesis import given
from hypothesis import strategies as st_
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from audit.actors import SYSTEM
from audit.storage import Database
from ui import state
from ui.plaintext import md_table, md_text

IMAGE = "![x](http://evil/img)"
LINK = "[link](http://phish)"
HOSTILE = [IMAGE, LINK, "<img src=x onerror=alert(1)>", "<http://evil>", "**bold** _em_",
           ":red[alarm] :material/warning: $x^2$", "# heading", "> quote", "1. list",
           "| a | b |", "`code`", "\\[escaped\\](x)", "line one\nline two"]
APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _rendered(source: str) -> str:
    return MD.render(source)


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_the_text_itself(text: str) -> None:
    out = _rendered(md_text(text))
    assert "<a " not in out and "<img" not in out and "<h1" not in out
    assert "<strong" not in out and "<em" not in out and "<code" not in out
    assert out.startswith("<p>") and out.count("<p>") == 1
    assert html.unescape(out[3:-5]) == text.replace("\n", " ")


def test_unescaped_text_would_have_been_a_link_and_an_image() -> None:
    """The attack is real: the same strings, not escaped, become an image and a link."""
    assert '<img src="http://evil/img"' in _rendered(IMAGE)
    assert '<a href="http://phish"' in _rendered(LINK)


@given(st_.text(max_size=60))
def test_any_text_renders_literally(text: str) -> None:
    out = _rendered(md_text(text))
    assert "<a " not in out and "<img" not in out
    expected = text.replace("\n", " ").replace("\r", " ").replace("\t", " ")
    body = html.unescape(out.removeprefix("<p>").removesuffix("</p>\n"))
    if expected.strip():  # CommonMark trims outer whitespace of a paragraph
        assert body.strip() == expected.strip().replace("\x00", "\ufffd")


def test_table_cells_are_escaped_numbers_kept() -> None:
    import pandas as pd

    frame = pd.DataFrame({"名称": [IMAGE, None], "n": [1, 2]})
    out = md_table(frame)
    assert out["名称"][0] == md_text(IMAGE) and pd.isna(out["名称"][1])
    assert list(out["n"]) == [1, 2] and list(out.columns) == ["名称", "n"]


@pytest.fixture
def hostile_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Database, int]]:
    with empty_app_db(tmp_path, monkeypatch) as db:
        with db.unit_of_work(SYSTEM, write=True) as repo:
            rec = repo.create_facility("ramp", 111.95, 21.86, name=IMAGE, address=LINK,
                                       district_code="441702")
        yield db, rec.id


def test_public_detail_panel_shows_name_and_address_as_text(hostile_app) -> None:
    _db, facility_id = hostile_app
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    # the selection a map tap or the picker keeps (the map page restores it on each run)
    at.session_state[state.KEPT_FACILITY] = facility_id
    at.run()
    assert not at.exception
    assert [h.value for h in at.subheader] == [md_text(IMAGE)]
    sources = [m.value for m in at.markdown] + [h.value for h in at.subheader]
    for source in sources:
        out = _rendered(source)
        assert '<img src="http' not in out and '<a href="http' not in out, source
    assert any(html.unescape(_rendered(s)).count(LINK) for s in sources)
    assert any(IMAGE in html.unescape(_rendered(s)) for s in sources)
