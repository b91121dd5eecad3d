"""Reusable helpers for app and browser tests.

- :func:`seed_database` migrates a fresh database under ``data_dir`` and fills it with the
  project's synthetic demo data (``python -m audit demo seed``).
- :func:`run_app` starts ``streamlit run serve.py`` on a free localhost port with that
  data directory and yields the URL once ``/_stcore/health`` answers; :func:`run_apps` starts
  several side by side (tests/test_browser_multiproc.py).
- Fixtures (registered for every test module by ``pytest_plugins`` in tests/conftest.py):
  ``app_url`` (session), ``chromium_browser`` (session), ``page`` (function; 1024×768 unless
  parametrised indirectly with ``viewport``), ``console_errors``.

Chromium is ``CHROMIUM_PATH`` (default /usr/bin/chromium, Debian's). Without it the browser tests
skip with a reason, except when ``CI=true``, where they fail (tests/skips.py). Every non-localhost
request is aborted and recorded.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from skips import chromium_path, in_ci, require_chromium, skip_or_fail

__all__ = ["in_ci", "skip_or_fail"]  # re-exported: older tests import them from here

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = chromium_path()
#: true when no part of an element (a button and its label's boxes) is cut short
LABEL_FITS_JS = ("b => [b, ...b.querySelectorAll('*')]"
                 ".every(e => e.scrollWidth <= e.clientWidth + 1)")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS: dict[str, dict[str, int]] = {
    "desktop": {"width": 1024, "height": 768},
    "tablet": {"width": 768, "height": 1024},
    "phone": {"width": 390, "height": 844},
}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: Seconds to wait for the app's health endpoint.
STARTUP_TIMEOUT_S = 60.0
#: Demo facilities seeded by the fallback (when `audit demo seed` is not available).


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for the CLI and the app: isolated data dir, no tiles, demo network."""
    env = dict(os.environ)
    env.update(
        {
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": "",
            "TILES": "none",
            "NETWORK_SOURCE": "demo",
            "LANGUAGE": "zh-Hans",
            "A11Y_SETTINGS_FILE": str(data_dir / "no-settings.toml"),
            "PYTHONPATH": str(REPO_ROOT),
        }
    )
    env.update(extra)
    return env


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
    )


def _seed_fresh(data_dir: Path) -> None:
    """Run ``audit db upgrade`` and ``audit demo seed`` with ``data_dir`` as DATA_DIR."""
    env = app_env(data_dir)
    done = _cli(["db", "upgrade"], env)
    if done.returncode != 0:
        raise RuntimeError(f"db upgrade failed:\n{done.stdout}\n{done.stderr}")
    demo = _cli(["demo", "seed"], env)
    if demo.returncode != 0:
        raise RuntimeError(f"demo seed failed:\n{demo.stdout}\n{demo.stderr}")


#: Set by the pytest process that starts the run (the xdist controller, or the only process) to a
#: directory every worker shares: the demo seed is made there once for the whole run.
SEED_SHARE_ENV = "A11Y_TEST_SEED_SHARE"
_SEED_SHARE = pytest.StashKey[str]()
#: This process's seeded template, once found or made; every seeded dir starts as a copy of it.
_SEEDED_TEMPLATE: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    """The run's shared seed directory, made by the first pytest process (workers inherit it)."""
    if not hasattr(config, "workerinput") and SEED_SHARE_ENV not in os.environ:
        share = tempfile.mkdtemp(prefix="a11y-seed-share-")
        os.environ[SEED_SHARE_ENV] = share
        config.stash[_SEED_SHARE] = share


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the shared seed directory (the process that made it, after every worker ended)."""
    share = config.stash.get(_SEED_SHARE, None)
    if share is not None:
        shutil.rmtree(share, ignore_errors=True)
        os.environ.pop(SEED_SHARE_ENV, None)


def _seeded_template() -> Path:
    """The seeded template directory: the demo seed runs once per test run, by whichever pytest
    process needs it first, while the others wait on a file lock (it is about 20 s of CPU);
    outside pytest (no shared directory), once per process."""
    import fcntl

    share = os.environ.get(SEED_SHARE_ENV)
    if not share or not Path(share).is_dir():
        template = Path(tempfile.mkdtemp(prefix="a11y-seed-template-"))
        atexit.register(shutil.rmtree, template, ignore_errors=True)
        _seed_fresh(template)
        return template
    template, done = Path(share) / "template", Path(share) / "template.done"
    with (Path(share) / "template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            shutil.rmtree(template, ignore_errors=True)  # a seed that failed half-way
            template.mkdir()
            _seed_fresh(template)
            done.touch()
    return template


def seed_database(data_dir: Path) -> str:
    """Give ``data_dir`` a migrated database holding the demo seed; return which seeding was used.

    The CLI seeds once per test run (about 20 s of CPU) into a template directory; each caller
    gets its own copy of that directory, so tests still never share a database.
    """
    global _SEEDED_TEMPLATE
    if _SEEDED_TEMPLATE is None:
        _SEEDED_TEMPLATE = _seeded_template()
    shutil.copytree(_SEEDED_TEMPLATE, data_dir, dirs_exist_ok=True)
    return "demo seed"


@contextlib.contextmanager
def seeded_tmp_dir(prefix: str) -> Iterator[Path]:
    """A temporary data directory holding a freshly seeded demo database; removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        seed_database(tmp)
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def empty_app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> Iterator[Any]:
    """A fresh, migrated SQLite database under ``tmp_path`` that AppTests of the app will use.

    Settings come from the environment (``env`` adds or overrides variables); settings and the
    app's Streamlit caches are cleared before and after, so no other test's data leaks in.
    """
    import streamlit as st

    from audit.settings import get_settings
    from audit.storage import open_database, upgrade_to_head

    defaults = {"DATA_DIR": str(tmp_path), "DATABASE_URL": "", "NETWORK_SOURCE": "demo",
                "TILES": "none", "A11Y_SETTINGS_FILE": str(tmp_path / "none.toml")}
    for key, value in {**defaults, **env}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    db = open_database(get_settings().effective_database_url)
    upgrade_to_head(db)
    try:
        yield db
    finally:
        db.engine.dispose()
        st.cache_resource.clear()
        get_settings.cache_clear()


@contextlib.contextmanager
def app_test(data_dir: Path, monkeypatch: pytest.MonkeyPatch, timeout_s: float) -> Iterator[Any]:
    """An AppTest of streamlit_app.py whose settings point at ``data_dir`` (fresh caches)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from audit.settings import get_settings

    for key, value in app_env(data_dir).items():
        if key != "PYTHONPATH" and os.environ.get(key) != value:
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        yield AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=timeout_s)
    finally:
        get_settings.cache_clear()
        st.cache_data.clear()
        st.cache_resource.clear()


def _start_app(data_dir: Path, **env_extra: str) -> tuple[subprocess.Popen[bytes], str, Any]:
    """Start ``streamlit run serve.py`` (the app and its session routes) on a free port (not
    waiting for it)."""
    port = free_port()
    log = (data_dir / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "serve.py"),
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ],
        cwd=REPO_ROOT, env=app_env(data_dir, **env_extra), stdout=log, stderr=subprocess.STDOUT,
    )
    return proc, f"http://127.0.0.1:{port}", log


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, data_dir: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"streamlit exited ({proc.returncode}):\n"
                + (data_dir / "streamlit.log").read_text()
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("streamlit did not become healthy in time")
        time.sleep(0.3)


def _stop_app(proc: subprocess.Popen[bytes], log: Any) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@contextlib.contextmanager
def run_apps(data_dirs: list[Path], **env_extra: str) -> Iterator[list[str]]:
    """Run one app per data directory, all started at once (they start side by side); yield
    their base URLs once every ``/_stcore/health`` answers; stop them all afterwards."""
    started: list[tuple[subprocess.Popen[bytes], str, Any]] = []
    try:
        for data_dir in data_dirs:
            started.append(_start_app(data_dir, **env_extra))
        for (proc, url, _log), data_dir in zip(started, data_dirs, strict=True):
            _wait_healthy(proc, url, data_dir)
        yield [url for _proc, url, _log in started]
    finally:
        for proc, _url, log in started:
            _stop_app(proc, log)


@contextlib.contextmanager
def run_app(data_dir: Path, **env_extra: str) -> Iterator[str]:
    """Run the Streamlit app on a free port; yield its base URL; stop it afterwards."""
    with run_apps([data_dir], **env_extra) as urls:
        yield urls[0]


@pytest.fixture(scope="session")
def seeded_data_dir() -> Iterator[Path]:
    """A temporary DATA_DIR holding a migrated, demo-seeded SQLite database."""
    tmp = Path(tempfile.mkdtemp(prefix="a11y-app-"))
    try:
        seed_database(tmp)
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def app_url(seeded_data_dir: Path) -> Iterator[str]:
    """Base URL of the app started once per test session with demo data."""
    from ui.assets import missing_vendor_files

    missing = missing_vendor_files()
    if missing:
        skip_or_fail(f"map assets not installed ({missing[0]}); run `python -m ui.install_assets`",
                     needs="assets")
    with run_app(seeded_data_dir) as url:
        yield url


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """Debian Chromium driven by Playwright (skips without Chromium unless CI=true)."""
    chromium = require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright (python) is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class PageRecorder:
    """Console errors, page errors and aborted external requests seen by a page."""

    console_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about"):
        return True
    return parsed.hostname in LOCAL_HOSTS


#: Streamlit's frontend, (re)connecting on a page's own address (``/report``), asks for its
#: health and host config under that address first and then under the server's root: the first
#: two answers are 404s a person never sees (the connection is made at the root). Only these are
#: let through; every other failed load is an error of the page.
_BASE_PATH_PROBE = re.compile(r"^https?://[^/]+/[^/_][^/]*/_stcore/(health|host-config)$")


def _is_base_path_probe(text: str, url: str) -> bool:
    return "status of 404" in text and bool(_BASE_PATH_PROBE.match(url))


#: Pages opened by :func:`open_page` and not yet closed: what a failing test was looking at.
_OPEN_PAGES: list[Any] = []
FAILURE_DIR = Path(tempfile.gettempdir()) / "a11y-browser-failures"


def _describe_open_pages(nodeid: str) -> str:
    """Each open page's address and visible text, for the failure report (CI's log is all a
    reader of a failed run has), and a screenshot beside it."""
    FAILURE_DIR.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-120:]
    parts = []
    for i, pg in enumerate(list(_OPEN_PAGES)):
        try:
            text = " ".join(pg.inner_text("body", timeout=5_000).split())
            shot = FAILURE_DIR / f"{stem}-{i}.png"
            pg.screenshot(path=str(shot), full_page=True, timeout=10_000)
            parts.append(f"{pg.url} (screenshot {shot})\n{text[:3000]}")
        except Exception as exc:  # a report must not hide the test's own error
            parts.append(f"{pg.url}: could not read the page ({type(exc).__name__})")
    return "\n\n".join(parts)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call" and report.failed and _OPEN_PAGES:
        report.sections.append(("browser pages at the failure",
                                _describe_open_pages(item.nodeid)))


#: A browser test that times out waiting for the page runs once more (pytest-rerunfailures):
#: the machines CI runs on are shared, and a walk through a real browser and a real server can
#: miss a deadline under someone else's load. A failure of any other kind, or a second timeout,
#: fails the run; every re-run is listed with what the page showed (:func:`_rerun_summary`).
BROWSER_RERUNS = 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.flaky(reruns=BROWSER_RERUNS,
                                              only_rerun=["TimeoutError"]))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    _rerun_summary(terminalreporter)


def _rerun_summary(terminalreporter: Any) -> None:
    """Each browser test that timed out once and was re-run: its error and the pages it saw."""
    reruns = terminalreporter.stats.get("rerun", [])
    if not reruns:
        return
    terminalreporter.section(f"browser tests re-run after a timeout: {len(reruns)}")
    for report in reruns:
        lines = str(getattr(report, "longreprtext", "")).splitlines()
        error = [line[1:].strip() for line in lines if line.startswith("E ")][:4]
        terminalreporter.write_line(f"{report.nodeid}: {' / '.join(error)}")
        for title, content in report.sections:
            if title.endswith("browser pages at the failure"):
                terminalreporter.write_line(content[:1500])


def open_page(browser: Any, viewport: dict[str, int]) -> tuple[Any, Any, PageRecorder]:
    """A new context+page with external requests aborted and errors recorded."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    recorder = PageRecorder()

    def _route(route: Any) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            recorder.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", _route)
    page = context.new_page()
    _OPEN_PAGES.append(page)
    page.on("close", lambda closed: _OPEN_PAGES.remove(closed) if closed in _OPEN_PAGES else None)

    def _console(msg: Any) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        if _is_base_path_probe(msg.text, where):
            return
        # "Failed to load resource" alone does not say which: the address makes a failure
        # readable in CI's log
        recorder.console_errors.append(f"{msg.text} [{where}]" if where else msg.text)

    page.on("console", _console)
    page.on("pageerror", lambda exc: recorder.console_errors.append(str(exc)))
    return context, page, recorder


@pytest.fixture
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    """The viewport of ``page`` (override with indirect parametrisation by name)."""
    name = getattr(request, "param", "desktop")
    return VIEWPORTS[name]


@pytest.fixture
def page(chromium_browser: Any, viewport: dict[str, int]) -> Iterator[tuple[Any, PageRecorder]]:
    """(Playwright page, recorder) in a fresh context at ``viewport``."""
    context, pg, recorder = open_page(chromium_browser, viewport)
    try:
        yield pg, recorder
    finally:
        context.close()


def map_frame(pg: Any, timeout_ms: float = 30_000) -> Any:
    """The streamlit-folium iframe's Frame, once its Leaflet map has drawn markers."""
    selector = 'iframe[title="streamlit_folium.st_folium"]'
    pg.wait_for_selector(selector, timeout=timeout_ms)
    handle = pg.query_selector(selector)
    frame = handle.content_frame()
    frame.wait_for_selector(".leaflet-marker-icon", timeout=timeout_ms)
    return frame


AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def run_axe(frame: Any, *, exclude: list[str] | None = None) -> list[dict[str, Any]]:
    """Inject axe-core into ``frame`` (page or iframe) and return its violations."""
    if not AXE_JS.exists():
        skip_or_fail(f"axe-core not installed at {AXE_JS}; run `make setup`", needs="assets")
    frame.add_script_tag(path=str(AXE_JS))
    context = {"exclude": [[s] for s in exclude]} if exclude else None
    return frame.evaluate(
        """async (ctx) => {
            const result = await axe.run(ctx || document, {resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }""",
        context,
    )
