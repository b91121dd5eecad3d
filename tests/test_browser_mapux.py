"""Issue 17 items 1-3, 13-15 walked in Chromium: find a place, see what a tap did, keep the
selection across pages, the phone layout, the rankings charts and the live verdict.

Few, long journeys (a browser test costs seconds each); they reuse the session's app server.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_support import VIEWPORTS, map_frame, open_page

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
#: The first map of a session can take long on a busy CI machine (network, labels, search).
FIRST_MAP_MS = 180_000
FOLIUM = 'iframe[title="streamlit_folium.st_folium"]'


def _poll(pg: Any, probe: Any, what: str) -> Any:
    """Call ``probe()`` until it returns a truthy value (the map iframe may be re-created
    while Streamlit reruns); fail naming ``what``."""
    for _ in range(int(TIMEOUT_MS / 250)):
        try:
            value = probe()
        except Exception:  # the old iframe was detached while we read it
            value = None
        if value:
            return value
        pg.wait_for_timeout(250)
    raise AssertionError(f"timed out waiting for {what}")


def _in_view(pg: Any, selector: str) -> bool:
    return bool(pg.evaluate(
        """(sel) => { const el = document.querySelector(sel); if (!el) return false;
            const r = el.getBoundingClientRect();
            return r.top >= 0 && r.top < window.innerHeight; }""", selector))


def _click_facility(pg: Any, frame: Any, verdict_word: str) -> str:
    """Zoom through the clusters onto a facility whose tooltip ends with ``verdict_word``,
    tap it as a user would, and return its title."""
    title = frame.evaluate(
        """(word) => {
            for (const id in window.map._layers) {
                const layer = window.map._layers[id];
                if (layer.getLayers && layer._featureGroup) {
                    const m = layer.getLayers().find(
                        (x) => (x.options.title || "").endsWith("· " + word));
                    if (!m) continue;
                    window.map.setView(m.getLatLng(), 18, {animate: false});
                    return m.options.title;
                }
            }
        }""", verdict_word)
    assert title, f"demo data has a facility with verdict {verdict_word}"
    marker = frame.locator(".leaflet-marker-icon").and_(frame.locator(f'[title="{title}"]'))
    marker.wait_for(timeout=TIMEOUT_MS)
    marker.click()
    return str(title)


def test_find_a_place_and_tap_facilities_on_a_tablet(
        chromium_browser: Any, app_url: str) -> None:
    """1024x768: district names, place search by pinyin jumps to a labelled street, the
    locate-me control says the position's accuracy in words; taps after zooming through
    clusters each select the facility, whose detail opens beside the map and is in the URL;
    the selection survives a trip to another page (the inspector's "re-audit the selected
    facility" is walked in test_browser_tablet)."""
    context, pg, recorder = open_page(chromium_browser, VIEWPORTS["desktop"])
    try:
        context.grant_permissions(["geolocation"], origin=app_url)
        context.set_geolocation({"longitude": 111.9812, "latitude": 21.8634, "accuracy": 12})
        pg.goto(app_url, timeout=TIMEOUT_MS)
        frame = map_frame(pg, FIRST_MAP_MS)
        districts = frame.locator(".a11y-label.district").all_inner_texts()
        assert {"江城区", "阳东区", "阳西县", "阳春市"} <= set(districts)
        assert frame.locator(".a11y-legend[open]").count() == 0  # legend folded
        scale = frame.locator(".leaflet-control-scale-line").all_inner_texts()
        assert len(scale) == 1 and re.fullmatch(r"\d+ k?m", scale[0]), scale  # metric only

        # place search in pinyin jumps to the street, whose name is drawn on the map
        pg.get_by_role("textbox", name="查找地点").fill("yanshilu 12")
        pg.keyboard.press("Enter")
        _poll(pg, lambda: pg.query_selector(FOLIUM).content_frame().evaluate(
            "() => window.map.getZoom() >= 15 && [...document.querySelectorAll("
            "'.a11y-label.street')].some(e => e.textContent === '演示路 12')"),
            "the map to jump to 演示路 12 with its name drawn")

        # locate-me (geolocation granted and faked above, accuracy 12 m): the control, worked
        # with the keyboard, centres on the position and says its accuracy in words
        locate = map_frame(pg, TIMEOUT_MS).locator(".leaflet-control-locate a")
        assert locate.count() == 1
        locate.focus()
        locate.press("Enter")
        accuracy = map_frame(pg, TIMEOUT_MS).locator(".a11y-locate-accuracy")
        accuracy.wait_for(state="visible", timeout=TIMEOUT_MS)
        assert accuracy.inner_text() == "您的位置（精度约 ±12 米）"
        assert accuracy.get_attribute("role") == "status"

        # three taps on facilities, each after zooming through the clusters, each selects
        for word in ("不合格", "合格", "不合格"):
            frame = map_frame(pg, TIMEOUT_MS)
            title = _click_facility(pg, frame, word)
            name = re.sub(r"^\[\d+\] ", "", title).split(" · ")[0]
            _poll(pg, lambda n=name: pg.get_by_role("heading", name=n, exact=True).count() > 0,
                  f"{name}'s detail after the tap")
        # the detail opens beside the map, in view
        _poll(pg, lambda: _in_view(pg, "#a11y-facility-detail"), "the detail in view")
        map_box = pg.locator(FOLIUM).bounding_box()
        detail_box = pg.locator("#a11y-facility-detail").bounding_box()
        assert detail_box["x"] >= map_box["x"] + map_box["width"] - 1
        selected_id = re.match(r"^\[(\d+)\]", title)
        assert selected_id
        assert f"facility={selected_id.group(1)}" in pg.url

        # another page and back: the map keeps the selection
        pg.locator('[data-testid="stSidebarNav"]').get_by_text("缺口排名", exact=True).click()
        pg.get_by_text("柱的深浅").first.wait_for(timeout=TIMEOUT_MS)  # bar-shade legend
        pg.locator('[data-testid="stSidebarNav"]').get_by_text("设施地图", exact=True).click()
        _poll(pg, lambda: pg.get_by_role("heading", name=name, exact=True).count() > 0,
              "the selection kept on return")
        assert recorder.console_errors == []
        assert recorder.blocked == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_phone_menu_map_first_and_resident_tap_drops_a_named_pin(page: Any,
                                                                 app_url: str) -> None:
    """390x844: the folded menu is out of the Tab order and closes after choosing a page; the
    map comes before the folded filters; the resident's tap drops a pin named by the nearest
    street; a tap on an existing report offers "me too"."""
    pg, recorder = page
    pg.goto(app_url, timeout=TIMEOUT_MS)
    frame = map_frame(pg, FIRST_MAP_MS)
    assert pg.evaluate("() => document.querySelector('[data-testid=stSidebar]').inert")
    map_top = pg.locator(FOLIUM).bounding_box()["y"]
    filters = pg.locator('[data-testid="stExpander"]', has_text="筛选与图层").first
    assert filters.bounding_box()["y"] > map_top
    assert not filters.locator("details").first.evaluate("(d) => d.open")
    # the attribution takes one line
    attribution = frame.locator(".leaflet-control-attribution")
    assert attribution.bounding_box()["height"] < 24

    pg.locator('[data-testid="stExpandSidebarButton"]').click()
    pg.locator('[data-testid="stSidebarNav"]').get_by_text("反映无障碍问题", exact=True).click()
    pg.get_by_role("heading", name="反映无障碍问题").wait_for(timeout=TIMEOUT_MS)
    _poll(pg, lambda: pg.locator('[data-testid="stExpandSidebarButton"]').count() == 1,
          "the menu to close")
    assert pg.evaluate("() => document.querySelector('[data-testid=stSidebar]').inert")

    pg.get_by_text("在地图上点选位置（选填）").click()
    pg.get_by_role("textbox", name="查找地点").fill("演示路 12")
    pg.keyboard.press("Enter")
    frame = _poll(pg, lambda: (f := pg.query_selector(FOLIUM).content_frame()).evaluate(
        "() => window.map.getZoom() >= 15") and f, "the report map at street zoom")
    # tap the middle of the map: a street of the demo network runs within 250 m of it
    box = frame.locator(".leaflet-container").bounding_box()
    frame.locator(".leaflet-container").click(position={"x": box["width"] / 2,
                                                        "y": box["height"] / 2 + 20})
    pg.get_by_text("已在地图上选定位置").first.wait_for(timeout=TIMEOUT_MS)
    street = pg.get_by_text(re.compile(r"最近的街道：演示路 \d+（约 \d+ 米）"))
    street.first.wait_for(timeout=TIMEOUT_MS)
    frame = map_frame(pg, TIMEOUT_MS)
    pin = frame.evaluate(
        """() => { for (const id in window.map._layers) { const l = window.map._layers[id];
                   if (l.getTooltip && l.getTooltip() &&
                       String(l.getTooltip().getContent()).includes('您选的位置')) return true; }
                   return false; }""")
    assert pin, "the tap dropped a pin"

    # a tap on an existing report offers "me too" for it
    code = frame.evaluate(
        """() => { for (const id in window.map._layers) { const layer = window.map._layers[id];
            if (layer.getLayers && layer._featureGroup) {
              const m = layer.getLayers().find((x) => /人附议/.test(x.options.title || ''));
              if (!m) continue;
              window.map.setView(m.getLatLng(), 18, {animate: false});
              return m.options.title; } } }""")
    assert code
    marker = frame.locator(".leaflet-marker-icon").and_(frame.locator(f'[title="{code}"]'))
    marker.wait_for(timeout=TIMEOUT_MS)
    marker.click()
    short = code.split(" · ")[0]
    pg.get_by_role("button", name=re.compile(f"{re.escape(short)}")).first.wait_for(
        timeout=TIMEOUT_MS)
    assert recorder.console_errors == []
    assert recorder.blocked == []
