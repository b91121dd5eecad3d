"""Benchmark: peak memory (RSS) of the app started the way ``make run`` starts it, and how soon
its first map page is drawn.

Ours: ``streamlit run serve.py`` on a free port with a temporary ``DATA_DIR`` holding the
migrated demo database (``python -m audit db upgrade`` + ``demo seed``, as ``make seed``), the
compact network file built beforehand (``python -m audit network compact``, as ``make run``), and
``NETWORK_SOURCE`` set either to a synthetic ~100,000-node street network saved as GraphML (the
grid generator of :mod:`bench.bench_network`) or to ``demo``. The map page is opened once in
headless Chromium, which makes the app load the network and draw its layers. Baseline: the bare
``streamlit hello`` process, its page opened the same way, in the same run (the three are
interleaved, median of 3). The RSS of the server process and its children is sampled every
0.2 s with psutil; the figure is the peak (Chromium's own memory is not counted).

Targets (issue 15): the app with the 100k-node network and the map page loaded < 600 MiB; the demo
``make run`` < 300 MiB per server process; the first map page drawn < 5 s after the server answers
its health check. Issue 17: the landing map drawn within 2 s on a warm visit (a running server
whose map page was opened before; a new visitor in a fresh browser context), beside ``streamlit
hello`` visited the same way (median of at least 3 visits). ``size="medium"`` is the same with
a 10,000-node grid and one run (for development); ``size="smoke"`` starts neither the app nor
Chromium: a fresh process loads the cached compact network of a 400-node GraphML, against one that
only imports streamlit; it runs in seconds and its figure is not the target's.

Run alone with ``python -m bench.bench_memory [--size medium|smoke]``.
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

from bench.common import row

REPO = Path(__file__).resolve().parent.parent
SIZES = {"full": (316, True), "medium": (100, True), "smoke": (20, False)}  # grid side, Chromium
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
REPS = {"full": 3, "medium": 1, "smoke": 1}


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
    """The app's environment: the demo network unless ``network`` is given."""
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


MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
#: The map page is drawn when its iframe shows markers and the canvas of its vector layers.
MAP_DRAWN = (".leaflet-marker-icon", ".leaflet-overlay-pane canvas")


def _network(path: Path, side: int) -> int:
    import osmnx as ox

    from bench.bench_network import make_grid_network

    G = make_grid_network(side)
    ox.save_graphml(G, path)
    return G.number_of_nodes()


def _compact(env: dict[str, str]) -> None:
    """Build the compact network file the app reads, in its own process (as ``make run``)."""
    subprocess.run([sys.executable, "-m", "audit", "network", "compact"], cwd=REPO, env=env,
                   check=True, capture_output=True)


def _time_to_drawn(page: Any, url: str, drawn: tuple[str, ...] | None, timeout_ms: int) -> float:
    """Seconds from ``goto`` to ``drawn`` attached in the map iframe, or (``None``) to the
    page's first heading."""
    t0 = time.perf_counter()
    page.goto(url, timeout=timeout_ms)
    if drawn:
        frame = page.frame_locator(MAP_IFRAME)
        for selector in drawn:
            frame.locator(selector).first.wait_for(state="attached", timeout=timeout_ms)
    else:
        page.locator("h1").first.wait_for(timeout=timeout_ms)
    return time.perf_counter() - t0


def _measure(args: list[str], env: dict[str, str], log: Path, browser: bool,
             drawn: tuple[str, ...] | None) -> tuple[int, float | None]:
    """Peak RSS (bytes) of the server and its children while its page is opened once in
    headless Chromium, and the seconds from the health check answering to the page drawn:
    ``drawn`` selectors inside the map iframe, or (``None``) the first heading of the page.
    Chromium is started before the server, so its start-up is not counted."""
    if not browser:
        with _streamlit(args, env, log) as (_url, pid), PeakRSS(pid) as peak:
            time.sleep(0.5)
        return peak.peak, None
    from playwright.sync_api import sync_playwright

    timeout_ms = 600_000
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        with _streamlit(args, env, log) as (url, pid), PeakRSS(pid) as peak:
            seconds = _time_to_drawn(page, url, drawn, timeout_ms)
            page.wait_for_timeout(3000)  # let the script run finish its last reruns
        chromium.close()
    return peak.peak, seconds


def _warm_visits(args: list[str], env: dict[str, str], log: Path,
                 drawn: tuple[str, ...] | None, visits: int) -> list[float]:
    """Seconds to draw the page on ``visits`` warm visits: one server, its page opened once
    first (the cold visit, not counted), then each visit in a fresh browser context (no
    cookies, no session: a new visitor to a running server) from ``goto`` to ``drawn`` inside
    the map iframe, or (``None``) to the page's first heading."""
    from playwright.sync_api import sync_playwright

    timeout_ms = 600_000
    seconds: list[float] = []
    with sync_playwright() as pw, _streamlit(args, env, log) as (url, _pid):
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for i in range(visits + 1):
            context = chromium.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            took = _time_to_drawn(page, url, drawn, timeout_ms)
            if i:
                seconds.append(took)
            page.wait_for_timeout(1500)  # the visit's last reruns end before the next visit
            context.close()
        chromium.close()
    return seconds


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
        from geodata.compact import load_compact

        load_compact(graphml, Path(tmp))  # build the file; the process below reads it
        ours = _child_maxrss("import streamlit\nfrom geodata.compact import load_compact\n"
                             f"load_compact({str(graphml)!r}, {tmp!r})", env)
        base = _child_maxrss("import streamlit", env)
    return [{
        "figure": f"peak RSS, fresh process loading a cached {nodes:,}-node network (smoke)",
        "ours": round(ours / 2**20, 1), "baseline": round(base / 2**20, 1), "unit": "MiB",
        "ratio": round(base / ours, 3) if ours else None, "target": "—",
        "note": "smoke only: no app, no browser; baseline: a process that imports streamlit",
    }]


def _median(values: list[float]) -> float:
    import statistics

    return float(statistics.median(values))


def run(size: str = "full") -> list[dict[str, Any]]:
    side, browser = SIZES[size]
    if not browser:
        return _smoke(side)
    if not CHROMIUM.exists():
        msg = f"Chromium not found at {CHROMIUM}: the full memory benchmark loads the map in it"
        raise RuntimeError(msg)
    reps = REPS[size]
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        data = Path(tmp)
        graphml = data / "network.graphml"
        nodes = _network(graphml, side)
        big, demo = _env(data, graphml), _env(data, None)
        for cli in (["db", "upgrade"], ["demo", "seed"]):
            subprocess.run([sys.executable, "-m", "audit", *cli], cwd=REPO, env=big,
                           check=True, capture_output=True)
        _compact(big)
        _compact(demo)
        app = ["run", str(REPO / "serve.py")]
        runs = {"big": [], "demo": [], "base": []}  # type: dict[str, list[tuple[int, float]]]
        for i in range(reps):  # interleaved: load changes on the shared machine hit all three
            for key, args, env in (("big", app, big), ("demo", app, demo),
                                   ("base", ["hello"], demo)):
                rss, sec = _measure(args, env, data / f"{key}{i}.log", True,
                                    MAP_DRAWN if key != "base" else None)
                runs[key].append((rss, sec or 0.0))
        warm = {key: _warm_visits(args, demo, data / f"warm-{key}.log", drawn, max(reps, 3))
                for key, args, drawn in (("demo", app, MAP_DRAWN), ("base", ["hello"], None))}
    mib = {k: _median([r / 2**20 for r, _ in v]) for k, v in runs.items()}
    sec = {k: _median([t for _, t in v]) for k, v in runs.items()}
    base_note = (f"baseline: bare `streamlit hello` ({mib['base']:.0f} MiB), its page loaded the "
                 "same way; median of {reps} runs, the three interleaved").format(reps=reps)
    how = ("server process + children sampled every 0.2 s; page opened once in headless "
           "Chromium, 3 s to settle; demo data seeded; compact network file built beforehand by "
           "`python -m audit network compact` (as `make run` does)")
    return [
        row(f"peak RSS of the app with a {nodes:,}-node network, map page loaded",
            mib["big"], mib["base"], "MiB", "< 600 MiB" + _met(mib["big"] < 600),
            f"{how}; map drawn {sec['big']:.1f} s after the health check; {base_note}"),
        row("peak RSS per server process, demo `make run`, map page loaded", mib["demo"],
            mib["base"], "MiB", "< 300 MiB" + _met(mib["demo"] < 300), f"{how}; {base_note}"),
        row("first map page drawn after the health check, demo `make run`", sec["demo"],
            sec["base"], "s", "< 5 s" + _met(sec["demo"] < 5),
            "from the health check answering to the map iframe's markers and vector canvas "
            "attached (Chromium started before); baseline: `streamlit hello` to its first "
            f"heading; median of {reps}"),
        row("landing map drawn on a warm visit, demo `make run`", _median(warm["demo"]),
            _median(warm["base"]), "s", "< 2 s" + _met(_median(warm["demo"]) < 2),
            "a running server whose map page was opened once before; each visit in a fresh "
            "browser context, from goto to the map iframe's markers and vector canvas "
            "attached; baseline: `streamlit hello` the same way, to its first heading; median "
            f"of {len(warm['demo'])} visits ({', '.join(f'{t:.1f}' for t in warm['demo'])} s)"),
    ]


def _met(ok: bool) -> str:
    return " — met" if ok else " — MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_memory", description=__doc__)
    parser.add_argument("--size", default="full", choices=tuple(SIZES))
    args = parser.parse_args(argv)
    for r in run(args.size):
        print(f"{r['figure']}: ours {r['ours']} {r['unit']}, baseline {r['baseline']}, "
              f"ratio {r['ratio']}, target {r['target']} ({r['note']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
