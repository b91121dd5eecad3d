"""The map legend (verdict glyphs with counts, work-order badge, report statuses, lines,
choropleth) and the element that puts raw HTML such as the legend into the map container."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from ui.i18n import translate
from ui.map.labels import escape, report_status_label, verdict_label
from ui.map.styles import (
    DISTRICT_COLOUR,
    GAPS_COLOUR,
    NETWORK_COLOUR,
    OTHER_REPORT_STYLE,
    REPORT_STATUS_STYLES,
    VERDICT_STYLES,
    VERDICTS,
    MarkerStyle,
)


class MapHtml(MacroElement):
    """Raw HTML added to the map container (legend, marker CSS).

    Each element is kept out of Leaflet's map events, as Leaflet's own controls are: otherwise a
    mouse press on the legend reaches the map, whose keyboard handler focuses the map container,
    so the browser scrolls the page to show it, the release lands on another element and the
    click never toggles the legend; the click would also count as a tap on the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function(){
                var box = document.createElement('div');
                box.innerHTML = {{ this.content|tojson }};
                while (box.firstChild) {
                    var el = box.firstChild;
                    if (el.nodeType === 1) {
                        L.DomEvent.disableClickPropagation(el);
                        L.DomEvent.disableScrollPropagation(el);
                    }
                    {{ this._parent.get_name() }}.getContainer().appendChild(el);
                }
            })();
        {% endmacro %}"""
    )

    def __init__(self, content: str) -> None:
        super().__init__()
        self._name = "Html"
        self.content = content


def _legend_item(style: MarkerStyle, label: str) -> str:
    return (
        f'<li><span class="a11y-mk {style.shape}" style="background:{style.colour}">'
        f'<span aria-hidden="true">{escape(style.glyph)}</span></span>{escape(label)}</li>'
    )


def legend_html(
    lang: str,
    *,
    verdict_counts: dict[str, int],
    report_statuses: Sequence[str],
    network_label: str | None,
    show_gaps: bool,
    gaps_label: str | None = None,
    work_orders: int = 0,
    choropleth_label: str | None = None,
) -> str:
    """The map legend: verdict glyphs with counts, work-order badge, report statuses, lines,
    the district choropleth; all text escaped. Folded by default (a tap opens it), so it never
    covers the map on a phone."""
    items = [
        _legend_item(
            VERDICT_STYLES[v],
            translate(lang, "map.legend.count", label=verdict_label(v, lang),
                      count=verdict_counts.get(v, 0)),
        )
        for v in VERDICTS
    ]
    title = escape(translate(lang, "map.legend.title"))
    if work_orders:
        items.append(
            f'<li><span class="a11y-wo">{escape(translate(lang, "map.workorder.badge"))}</span>'
            f"{escape(translate(lang, 'map.legend.work_orders', count=work_orders))}</li>"
        )
    parts = [
        f'<details class="a11y-legend"><summary>{title}</summary>',
        f"<h2>{escape(translate(lang, 'map.legend.facilities'))}</h2><ul>{''.join(items)}</ul>",
    ]
    if report_statuses:
        report_items = [
            _legend_item(
                REPORT_STATUS_STYLES.get(s, OTHER_REPORT_STYLE), report_status_label(s, lang)
            )
            for s in report_statuses
        ]
        heading = escape(translate(lang, "map.legend.reports"))
        parts.append(f"<h2>{heading}</h2><ul>{''.join(report_items)}</ul>")
    lines = [
        f'<li><span class="line" style="border-color:{DISTRICT_COLOUR}"></span>'
        f"{escape(translate(lang, 'map.layer.districts'))}</li>"
    ]
    if network_label is not None:
        lines.append(
            f'<li><span class="line" style="border-color:{NETWORK_COLOUR};'
            f'border-top-width:2px"></span>'
            f"{escape(network_label)}</li>"
        )
    if show_gaps:
        lines.append(
            f'<li><span class="line" style="border-color:{GAPS_COLOUR};'
            f'border-top-style:dashed"></span>'
            f"{escape(gaps_label or translate(lang, 'map.layer.gaps'))}</li>"
        )
    if choropleth_label:
        lines.append(
            '<li><span class="swatch" style="background:linear-gradient(90deg,#fff5f0,#67000d)">'
            f"</span>{escape(choropleth_label)}</li>"
            '<li><span class="swatch" style="background:#999999;opacity:.5;border-style:dashed">'
            f"</span>{escape(translate(lang, 'map.choropleth.thin'))}</li>"
        )
    parts.append(f"<ul>{''.join(lines)}</ul></details>")
    return "".join(parts)


def count_flagged(facilities: pd.DataFrame, work_orders: Mapping[int, str] | None) -> int:
    """How many of the shown facilities carry a work-order flag."""
    if not work_orders or facilities.empty:
        return 0
    return int(facilities["facility_id"].astype(int).isin(list(work_orders)).sum())
