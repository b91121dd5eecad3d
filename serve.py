"""Entry point of the app server: ``streamlit run serve.py``.

The Streamlit app itself is :mod:`streamlit_app` (navigation and pages). This file adds the
session routes that set and clear the HttpOnly sign-in cookie (:mod:`ui.session_routes`), which
a Streamlit page cannot do; Streamlit finds ``app`` and serves both.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.starlette import App

from ui.session_routes import routes

app = App(str(Path(__file__).resolve().parent / "streamlit_app.py"), routes=routes())
