"""A long operation's progress bar goes when the operation ends, refused or done (the ODK import
on the inspector's page used to leave it half full above the refusal)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script(fail: bool) -> None:
    import streamlit as st

    from ui.widgets import progress_while

    try:
        with progress_while("导入中") as progress:
            progress(1, 4)
            if fail:
                raise ValueError("refused")
            progress(4, 4)
        st.success("done")
    except ValueError:
        st.error("refused")


def _bars(app: AppTest) -> list[object]:
    return list(app.get("progress"))


def test_the_bar_is_gone_after_a_refusal() -> None:
    app = AppTest.from_function(_script, kwargs={"fail": True}).run()
    assert [e.value for e in app.error] == ["refused"]
    assert _bars(app) == []


def test_the_bar_is_gone_after_success() -> None:
    app = AppTest.from_function(_script, kwargs={"fail": False}).run()
    assert [e.value for e in app.success] == ["done"]
    assert _bars(app) == []


def test_without_the_helper_the_bar_would_stay() -> None:
    """The check above can fail: a bar left in place is seen."""
    def leaves_it() -> None:
        import streamlit as st

        st.progress(0.25, text="导入中")

    app = AppTest.from_function(leaves_it).run()
    assert len(_bars(app)) == 1
