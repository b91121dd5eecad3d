"""Map payload size and time-to-markers in Chromium: our map vs one folium.Marker per point.

Both maps are written as standalone HTML files using the locally installed assets
(``static/vendor``) and loaded from a localhost HTTP server; every non-localhost request is
aborted. Time is measured from navigation start (``performance.now()`` in the page) until the
first marker element is in the DOM and the map's marker layers are populated.

Data: synthetic facilities and reports spread over the Yangjiang district boundaries (bench
data only; nothing is stored).
"""

from __future__ import annotations

import functools
import http.server
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ui.assets import STATIC_DIR, localise  # noqa: E402
from ui.map import VERDICTS, build_map  # noqa: E402

SIZES: dict[str, tuple[int, int, int]] = {
    # facilities, reports, repeats
    "smoke": (500, 100, 1),
    "full": (20_000, 5_000, 3),
}
PAYLOAD_TARGET_MB = 3.0
#: Share of bench facilities with an open work order, and of those, overdue (bench data only).
WORK_ORDER_SHARE = 0.1
OVERDUE_SHARE = 0.3
TIME_TARGET_S = 3.0
LOAD_TIMEOUT_MS = 180_000
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
#: what the machine must have to run this benchmark at smoke size (see bench/common.py)
NEEDS = ("chromium",)
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def synthetic_frames(n_fac: int, n_rep: int, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random facilities and reports inside Yangjiang's bounding box (bench data only)."""
    rng = np.random.default_rng(seed)
    lon0, lat0, lon1, lat1 = 111.3, 21.5, 112.4, 22.7
    fac = pd.DataFrame(
        {
            "facility_id": np.arange(1, n_fac + 1),
            "facility_type": rng.choice(["curb_ramp", "toilet", "parking", "entrance"], n_fac),
            "name": [f"Bench facility {i}" for i in range(1, n_fac + 1)],
            "lon": rng.uniform(lon0, lon1, n_fac),
            "lat": rng.uniform(lat0, lat1, n_fac),
            "district_code": "441702",
            "address": "",
            "verdict": rng.choice(list(VERDICTS), n_fac),
            "score": rng.uniform(0, 100, n_fac),
            "n_fail": rng.integers(0, 5, n_fac),
            "audited_at": pd.Timestamp("2024-01-01", tz="UTC"),
            "is_demo": True,
        }
    )
    rep = pd.DataFrame(
        {
            "report_id": np.arange(1, n_rep + 1),
            "code": [f"R{i:05d}" for i in range(1, n_rep + 1)],
            "category": "blocked_tactile",
            "lon": rng.uniform(lon0, lon1, n_rep),
            "lat": rng.uniform(lat0, lat1, n_rep),
            "district_code": "441702",
            "status": rng.choice(["new", "in_progress", "fixed"], n_rep),
            "support_count": rng.integers(0, 20, n_rep),
            "created_at": pd.Timestamp("2024-01-01", tz="UTC"),
            "description": "Bench report text of typical length for a blocked tactile path",
            "is_demo": True,
        }
    )
    return fac, rep


def synthetic_work_orders(fac: pd.DataFrame, seed: int = 7) -> dict[int, str]:
    """Open work orders on a share of the facilities (some overdue), as the map page passes."""
    rng = np.random.default_rng(seed)
    ids = fac["facility_id"].to_numpy()
    chosen = rng.choice(ids, int(len(ids) * WORK_ORDER_SHARE), replace=False)
    return {int(i): ("overdue" if rng.random() < OVERDUE_SHARE else "open") for i in chosen}


def naive_map(fac: pd.DataFrame, rep: pd.DataFrame, base_url: str) -> folium.Map:
    """Baseline: one folium.Marker (with tooltip) per facility and report, no clustering."""
    fmap = folium.Map(location=(21.86, 111.98), zoom_start=9, tiles=None, maxZoom=19)
    for row in fac.itertuples(index=False):
        folium.Marker((row.lat, row.lon), tooltip=f"{row.name} {row.verdict}").add_to(fmap)
    for row in rep.itertuples(index=False):
        folium.Marker((row.lat, row.lon), tooltip=f"{row.code} {row.status}").add_to(fmap)
    return localise(fmap, base_url)


class _Server:
    """A quiet localhost HTTP server for a directory, in a background thread."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def _time_to_markers(browser: Any, url: str) -> float:
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    context.route(
        "**/*",
        lambda route: route.continue_()
        if route.request.url.startswith("http://127.0.0.1")
        else route.abort(),
    )
    page = context.new_page()
    try:
        page.goto(url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_selector(".leaflet-marker-icon", state="attached",
                               timeout=LOAD_TIMEOUT_MS)
        return float(page.evaluate("performance.now()")) / 1000.0
    finally:
        context.close()


def run(size: str = "full") -> list[dict[str, Any]]:
    """Payload size (MB) and time to markers (s), ours vs naive, for ``size`` (smoke|full)."""
    from playwright.sync_api import sync_playwright

    import geodata

    n_fac, n_rep, repeats = SIZES[size]
    fac, rep = synthetic_frames(n_fac, n_rep)
    districts = geodata.load_districts()
    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp:
        root = Path(tmp)
        (root / "static").symlink_to(STATIC_DIR)
        with _Server(root) as server:
            base = f"{server.url}/static"
            ours = build_map(fac, lang="zh-Hans", districts=districts, reports=rep,
                             work_orders=synthetic_work_orders(fac), asset_base_url=base)
            ours.save(str(root / "ours.html"))
            naive_map(fac, rep, base).save(str(root / "naive.html"))
            sizes = {name: (root / f"{name}.html").stat().st_size / 1e6
                     for name in ("ours", "naive")}
            times: dict[str, list[float]] = {"ours": [], "naive": []}
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for _ in range(repeats):
                    for name in ("ours", "naive"):
                        times[name].append(
                            _time_to_markers(browser, f"{server.url}/{name}.html")
                        )
                browser.close()
    t_ours, t_naive = statistics.median(times["ours"]), statistics.median(times["naive"])
    note = (f"{n_fac} facilities ({WORK_ORDER_SHARE:.0%} with an open work order) + {n_rep} "
            f"reports, synthetic; median of {repeats}")
    return [
        {
            "figure": "map HTML payload",
            "ours": round(sizes["ours"], 3),
            "baseline": round(sizes["naive"], 3),
            "unit": "MB",
            "ratio": round(sizes["naive"] / sizes["ours"], 2),
            "target": f"< {PAYLOAD_TARGET_MB} MB for 20,000 facilities + 5,000 reports",
            "note": note + "; baseline: one folium.Marker per point",
        },
        {
            "figure": "navigation to markers drawn (headless Chromium)",
            "ours": round(t_ours, 3),
            "baseline": round(t_naive, 3),
            "unit": "s",
            "ratio": round(t_naive / t_ours, 2),
            "target": f"< {TIME_TARGET_S} s on the 2-core machine",
            "note": note + "; localhost HTTP server, local assets, 1024x768",
        },
    ]


if __name__ == "__main__":
    for row in run(sys.argv[1] if len(sys.argv) > 1 else "full"):
        print(row)
