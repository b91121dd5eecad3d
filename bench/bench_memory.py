"""Benchmark: peak memory (RSS) of the app started the way ``make run`` starts it.

Ours: ``streamlit run serve.py`` on a free port with a temporary ``DATA_DIR`` holding the
migrated demo database (``python -m audit db upgrade`` + ``demo seed``, as ``make seed``) and
``NETWORK_SOURCE`` set to a synthetic ~100,000-node street network saved as GraphML (the grid
generator of :mod:`bench.bench_network`); the map page is then loaded once in headless Chromium,
which makes the app load the network and draw its layers. Baseline: the bare ``streamlit hello``
process, its page loaded the same way. The RSS of the server process and its children is sampled
every 0.2 s with psutil; the figure is the peak (Chromium's own memory is not counted).

Target (issue 9, issue 4): peak memory of ``make run`` with the 100k-node network loaded
< 1.5 GB. ``size="smoke"`` starts neither the app nor Chromium: a fresh process loads a
400-node GraphML, against one that only imports streamlit; it runs in seconds and its figure is
not the target's.

Run alone with ``python -m bench.bench_memory [--size smoke]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
SIZES = {"full": (316, True), "smoke": (20, False)}  # grid side (side² nodes), use Chromium
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
TARGET_BYTES = 1.5 * 2**30


class PeakRSS:
    """Samples the RSS of a process tree in a thread; ``peak`` in bytes."""

    def __init__(self, pid: int, interval_s: float = 0.2) -> None:
        self.proc = psutil.Process(pid)
        self.interval_s = interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path, network: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATA_DIR": str(data_dir), "DATABASE_URL": "", "TILES": "none",
                "NETWORK_SOURCE": str(network) if network else "demo",
                "A11Y_SETTINGS_FILE": str(data_dir / "no-settings.toml"),
                "PYTHONPATH": str(REPO)})
    return env


@contextlib.contextmanager
def _streamlit(args: list[str], env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    port = _free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", *args, "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited: {log.read_text()[-2000:]}")
                with contextlib.suppress(OSError), urllib.request.urlopen(
                        f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not become healthy in 120 s")
                time.sleep(0.3)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _load_page(url: str, selector: str | None, timeout_s: float = 600) -> float:
    """Open ``url`` in headless Chromium; wait for ``selector`` (or idle); return seconds."""
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url, timeout=timeout_s * 1000)
        if selector:
            page.wait_for_selector(selector, timeout=timeout_s * 1000)
        page.wait_for_timeout(3000)  # let the script run finish its last reruns
        browser.close()
    return time.perf_counter() - t0


def _network(path: Path, side: int) -> int:
    import osmnx as ox

    from bench.bench_network import make_grid_network

    G = make_grid_network(side)
    ox.save_graphml(G, path)
    return G.number_of_nodes()


def _measure(args: list[str], env: dict[str, str], log: Path, browser: bool,
             selector: str | None) -> tuple[int, float | None]:
    with _streamlit(args, env, log) as (url, pid), PeakRSS(pid) as peak:
        seconds = _load_page(url, selector) if browser else None
        time.sleep(0.5)
    return peak.peak, seconds


def _child_maxrss(code: str, env: dict[str, str]) -> int:
    """Peak RSS in bytes of a fresh Python process running ``code`` (getrusage)."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport resource\n"
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
        cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return int(done.stdout.split()[-1]) * 1024


def _smoke(side: int) -> list[dict[str, Any]]:
    """Seconds, not minutes: the network loader's peak RSS in a fresh process, no app."""
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        graphml = Path(tmp) / "network.graphml"
        nodes = _network(graphml, side)
        env = _env(Path(tmp), graphml)
        ours = _child_maxrss("import streamlit\nfrom geodata.network import load_network\n"
                             f"load_network({str(graphml)!r})", env)
        base = _child_maxrss("import streamlit", env)
    return [{
        "figure": f"peak RSS, fresh process loading a {nodes:,}-node GraphML (smoke)",
        "ours": round(ours / 2**20, 1), "baseline": round(base / 2**20, 1), "unit": "MiB",
        "ratio": round(base / ours, 3) if ours else None, "target": "—",
        "note": "smoke only: no app, no browser; baseline: a process that imports streamlit",
    }]


def run(size: str = "full") -> list[dict[str, Any]]:
    side, browser = SIZES[size]
    if not browser:
        return _smoke(side)
    if not CHROMIUM.exists():
        msg = f"Chromium not found at {CHROMIUM}: the full memory benchmark loads the map in it"
        raise RuntimeError(msg)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        data = Path(tmp)
        graphml = data / "network.graphml"
        nodes = _network(graphml, side)
        env = _env(data, graphml)
        for cli in (["db", "upgrade"], ["demo", "seed"]):
            subprocess.run([sys.executable, "-m", "audit", *cli], cwd=REPO, env=env,
                           check=True, capture_output=True)
        ours, seconds = _measure(["run", str(REPO / "serve.py")], env,
                                 data / "app.log", browser,
                                 'iframe[title="streamlit_folium.st_folium"]')
        base, _ = _measure(["hello"], _env(data, None), data / "hello.log", browser, None)
    how = (f"map page loaded once in headless Chromium ({seconds:.0f} s)" if seconds is not None
           else "health check only, no browser (smoke)")
    return [{
        "figure": f"peak RSS of the app (make run) with a {nodes:,}-node network",
        "ours": round(ours / 2**20, 1), "baseline": round(base / 2**20, 1), "unit": "MiB",
        "ratio": round(base / ours, 3) if ours else None,
        "target": "< 1.5 GB (1,536 MiB)" + (" — met" if ours < TARGET_BYTES else " — MISSED"),
        "note": f"server process + children, sampled every 0.2 s; {how}; demo data seeded; "
                "baseline: bare `streamlit hello` loaded the same way",
    }]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_memory", description=__doc__)
    parser.add_argument("--size", default="full", choices=tuple(SIZES))
    args = parser.parse_args(argv)
    for row in run(args.size):
        print(f"{row['figure']}: ours {row['ours']} {row['unit']}, baseline {row['baseline']}, "
              f"target {row['target']} ({row['note']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
