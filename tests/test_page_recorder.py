"""The browser tests' console-error recorder lets through only Streamlit's base-path probes."""

from __future__ import annotations

import pytest
from browser_support import _is_base_path_probe

NOT_FOUND = "Failed to load resource: the server responded with a status of 404 (Not Found)"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8501/report/_stcore/health",
                                 "http://127.0.0.1:8501/report/_stcore/host-config"])
def test_the_probe_on_a_page_address_is_not_an_error(url: str) -> None:
    assert _is_base_path_probe(NOT_FOUND, url)


@pytest.mark.parametrize(("text", "url"), [
    (NOT_FOUND, "http://127.0.0.1:8501/_stcore/health"),  # the root itself must answer
    (NOT_FOUND, "http://127.0.0.1:8501/app/static/vendor/leaflet/leaflet.js"),
    (NOT_FOUND, "http://127.0.0.1:8501/report/_stcore/stream"),
    (NOT_FOUND, "http://127.0.0.1:8501/a/b/_stcore/health"),
    ("Failed to load resource: the server responded with a status of 500 (Internal Server "
     "Error)", "http://127.0.0.1:8501/report/_stcore/health"),
])
def test_every_other_failed_load_stays_an_error(text: str, url: str) -> None:
    assert not _is_base_path_probe(text, url)
