"""Streamlit pages, one script each, run by path from streamlit_app.py.

A package so that the import contracts (pyproject.toml) see them.
"""
