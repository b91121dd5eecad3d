"""Take the README's screenshots from the demo: ``make screenshots``.

Seeds a fresh demo database in a temporary data directory (synthetic data, labelled so on every
page), starts the app with ``streamlit run`` on a free local port, walks the pages in headless
Chromium at a tablet (1024×768) and a phone (390×844) size, as a resident, an inspector and the
bureau, and writes PNG files to ``docs/screenshots/``. No request leaves the machine: anything
not on 127.0.0.1 is refused, as in the browser tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
#: the demo accounts (README); the demo database is synthetic and labelled so
ACCOUNTS = {"inspector": ("demo-inspector", "demo-inspector-pw"),
            "bureau": ("demo-bureau", "demo-bureau-pw")}


@dataclass(frozen=True)
class Shot:
    """One screenshot: file name, page address, viewport, who is signed in, what to wait for."""

    name: str
    path: str
    viewport: dict[str, int]
    role: str | None = None
    wait_for: str = "[data-testid='stMain'] h1"
    #: scrolled into view before the picture (the map, below the page's notices)
    show: str | None = None


SHOTS: tuple[Shot, ...] = (
    Shot("map-tablet", "", TABLET, wait_for="iframe", show="iframe"),
    Shot("map-phone", "", PHONE, wait_for="iframe", show="iframe"),
    Shot("report-phone", "report", PHONE),
    Shot("route-phone", "route", PHONE),
    Shot("rankings-tablet", "rankings", TABLET),
    Shot("audit-tablet", "audits", TABLET, role="inspector"),
    Shot("priorities-tablet", "priorities", TABLET, role="bureau"),
)


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "DATA_DIR": str(data_dir), "DATABASE_URL": "", "TILES": "none",
            "NETWORK_SOURCE": "demo", "LANGUAGE": "zh-Hans", "PYTHONPATH": str(ROOT),
            "A11Y_SETTINGS_FILE": str(data_dir / "no-settings.toml")}


def _seed(data_dir: Path) -> None:
    for args in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([sys.executable, "-m", "audit", *args], cwd=ROOT, env=_env(data_dir),
                       check=True, capture_output=True)


@contextmanager
def _app(data_dir: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    log = (data_dir / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=_env(data_dir), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise SystemExit((data_dir / "streamlit.log").read_text())
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the app did not answer its health check in 180 s") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


#: Streamlit is idle: no status widget, no element faded from the last run, and no skeleton (the
#: grey placeholder drawn where an element of a running script has not arrived yet: the route
#: page's form fields were photographed as skeletons while its first run was finishing).
IDLE_JS = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
           " && !document.querySelector('[data-stale=\"true\"]')"
           " && !document.querySelector('[data-testid=\"stSkeleton\"]')")


def _settle(page: Any, selector: str) -> None:
    page.wait_for_selector(selector, state="attached", timeout=120_000)
    page.wait_for_load_state("networkidle", timeout=120_000)
    # Streamlit reruns after the first paint (session state, components): wait until it is idle
    for _ in range(2):  # twice: a component's first value can start one more rerun
        page.wait_for_timeout(1500)
        page.wait_for_function(IDLE_JS, timeout=120_000)


def _sign_in(page: Any, url: str, role: str) -> None:
    user, password = ACCOUNTS[role]
    page.goto(f"{url}/sign_in")
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_timeout(2000)
    _settle(page, "[data-testid='stMain']")


def take(out: Path, chromium: str) -> list[Path]:
    """Write every screenshot of :data:`SHOTS` to ``out``; return the files."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    data_dir = Path(tempfile.mkdtemp(prefix="a11y-shots-"))
    try:
        _seed(data_dir)
        with _app(data_dir) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium,
                                         args=["--no-sandbox", "--headless", "--disable-gpu"])
            for shot in SHOTS:
                context = browser.new_context(viewport=shot.viewport, locale="zh-CN")
                context.route("**/*", lambda route: route.continue_()
                              if route.request.url.startswith(("http://127.0.0.1", "data:",
                                                               "blob:", "about:"))
                              else route.abort())
                page = context.new_page()
                if shot.role:  # signed in within this visit, then on through the menu
                    _sign_in(page, url, shot.role)
                    page.locator(f"[data-testid='stSidebarNav'] a[href$='/{shot.path}']").click()
                    page.wait_for_timeout(2000)
                else:
                    page.goto(f"{url}/{shot.path}")
                _settle(page, shot.wait_for)
                if shot.show:
                    page.locator(shot.show).first.scroll_into_view_if_needed()
                    page.wait_for_timeout(1000)
                target = out / f"{shot.name}.png"
                page.screenshot(path=str(target))
                written.append(target)
                sys.stderr.write(f"{target}\n")
                context.close()
            browser.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args(argv)
    take(args.out, args.chromium)
    return 0


if __name__ == "__main__":
    sys.exit(main())
