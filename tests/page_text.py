"""What a person reads on a page, and the patterns that must never be in it (issue 17, items 6,
7, 8, 10): developer text, internal identifiers, raw numbers and times, server paths.

:func:`page_texts` collects every text an AppTest run shows (titles, alerts, captions, widget
labels and options, table headers and cells); :func:`offences` lists what a Chinese page must not
show. "Developer text" means: an ``=`` between words, a snake_case or dotted identifier, a Python
literal (``None``, ``True``, ``nan``, ``'quoted'``), or a run of three or more Latin words that
is not an allowed proper name (GB 55019, OSM, Excel, CSV ... and the bilingual labels the app
shows on purpose, such as the synthetic-data banner).

The same checks serve an English page (``lang="en"``): there English sentences are the point,
and any Chinese character outside the allowed proper names (the language switch's 中文, the
bilingual banner, data sources' names, and the data values the caller passes) is an offence; of
the internal codes only the snake_case ones are checked (``done`` or ``new`` are English words).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from typing import Any

import pandas as pd

from audit.model import FACILITY_TYPES, SCHEMAS
from audit.reports import REPORT_CATEGORIES

#: Text the app shows in Latin script on purpose (proper names, units, bilingual labels).
ALLOWED_PHRASES: tuple[str, ...] = (
    "Demo data (synthetic)", "Language", "GB 55019", "GB 50763", "OpenStreetMap", "OSM",
    "Excel", "CSV", "XLSX", "GeoJSON", "GeoPackage", "GPKG", "ODK", "KoboCollect", "XLSForm",
    "JPEG", "PNG", "HEIC", "GeoNames", "Leaflet", "WGS84", "GCJ-02", "BD-09", "GPS", "English",
)
#: Internal codes that must never be shown as they are.
STATES: frozenset[str] = frozenset({
    "submitted", "draft", "planned", "in_progress", "done", "verified", "new", "rejected",
    "duplicate", "fixed", "compliant", "non_compliant", "unaudited", "incomplete", "anonymous",
})
_CODES: frozenset[str] = frozenset(
    {*FACILITY_TYPES, *REPORT_CATEGORIES, *STATES,
     *(f.name for fields in SCHEMAS.values() for f in fields)})

PATTERNS: dict[str, re.Pattern[str]] = {
    "assignment (x = y)": re.compile(r"[A-Za-z_]\w*\s*=\s*\S"),
    "snake_case identifier": re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])"),
    "dotted field path": re.compile(r"(?<![\w/-])[a-z_]{2,}\.[a-z_]{2,}(?:\.[a-z_]+)*(?![\w(])"),
    "Python literal": re.compile(r"\b(?:None|True|False|nan|NaN|NaT)\b|'[a-z_]+'"),
    "district code": re.compile(r"(?<!\d)4417\d\d(?!\d)"),
    "unrounded number": re.compile(r"(?<![\d.])\d+\.\d{3,}(?!\d)"),
    "seconds or microseconds": re.compile(r"\d\d:\d\d:\d\d"),
    "UTC": re.compile(r"\bUTC\b|[+-]00:00"),
    "log actor": re.compile(r"\b(?:anonymous|inspector|bureau|admin|system):[\w-]+"),
    "server path": re.compile(r"(?<![\w.])/(?:srv|home|tmp|work|var|usr|opt|root)/"),
    "English sentence": re.compile(r"[A-Za-z]{2,}(?:[ ,:;'()-]+[A-Za-z]{2,}){2,}"),
}
#: Chinese text (Han characters and CJK/full-width punctuation), an offence on an English page.
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff01-\uff60]+")
#: Chinese an English page shows on purpose: the language switch and its bilingual label, the
#: bilingual synthetic-data banner, and the names of data sources in their attributions.
ALLOWED_CHINESE: tuple[str, ...] = ("演示数据（合成）", "语言", "中文", "高德地图", "天地图")


#: Allowed: a data file's name (not its path) and a WGS84 coordinate pair "lon, lat" (also
#: "longitude lon, latitude lat").
_FILE_NAME = re.compile(r"(?<![/\w])[\w-]+\.(?:csv|toml|xlsx|gpkg|geojson|json|zip|tar\.gz)\b")
_LONLAT = re.compile(r"\b1[01]\d\.\d+\s*[,，]\s*(?:latitude\s+|纬度\s*)?[12]\d\.\d+\b")


def offences(text: str, lang: str = "zh-Hans") -> list[str]:
    """What in ``text`` a person on a page in ``lang`` (zh-Hans or en) must not see (empty when
    none)."""
    found: list[str] = []
    cleaned = _LONLAT.sub(" ", _FILE_NAME.sub(" ", text))
    english = lang == "en"
    for phrase in (*ALLOWED_PHRASES, *(ALLOWED_CHINESE if english else ())):
        cleaned = cleaned.replace(phrase, " ")
    patterns = dict(PATTERNS)
    if english:
        del patterns["English sentence"]
        patterns["Chinese text"] = CHINESE
    for name, pattern in patterns.items():
        found += [f"{name}: {m.group(0)!r} in {text[:120]!r}" for m in pattern.finditer(cleaned)]
    for word in re.findall(r"[A-Za-z_]+", cleaned):
        if word in _CODES and not (english and "_" not in word):
            found.append(f"internal code: {word!r} in {text[:120]!r}")
    return found


def text_offences(texts: Iterable[str], lang: str = "zh-Hans",
                  data: Iterable[str] = ()) -> list[str]:
    """Every offence in ``texts``; ``data`` are values people typed or named (facility names,
    addresses, report texts), shown as they are and so taken out of each text first."""
    values = sorted({d for d in data if d and len(d) > 3}, key=len, reverse=True)
    found: list[str] = []
    for text in texts:
        for value in values:
            if value in text:
                text = text.replace(value, " ")
        found += offences(text, lang)
    return found


def _frame_texts(frame: Any) -> Iterator[str]:
    if not isinstance(frame, pd.DataFrame):
        return
    yield from (str(c) for c in frame.columns)
    for column in frame.columns:
        for value in frame[column].head(200):
            if value is None or (isinstance(value, float) and pd.isna(value)):
                yield "None"  # an empty cell is drawn as "None" by Streamlit's table
            elif not isinstance(value, bool):
                yield str(value)


#: Attributes whose values a person meets (screen readers read them; browsers show title/alt).
_READ_ATTRS = frozenset({"aria-label", "alt", "title", "placeholder"})


class _VisibleText(HTMLParser):
    """The text of an HTML fragment as Chromium shows it: element text and the attributes read
    aloud, never tag names, other attributes or <style>/<script> content (checked in Chromium:
    ``innerText`` of a block holding ``<style>`` and ``<div class=…>`` is only the div's text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._hidden += 1
        self.parts += [v for k, v in attrs if k in _READ_ATTRS and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_html_text(source: str) -> str:
    """What a person reads of ``source``, a Markdown/HTML element drawn with HTML allowed."""
    parser = _VisibleText()
    parser.feed(source)
    parser.close()
    return " ".join(p for p in parser.parts if p.strip())


def page_texts(at: Any) -> list[str]:
    """Every text the AppTest run shows (main area and sidebar)."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error",
                 "warning", "info", "success", "exception", "metric", "latex", "code"):
        for el in getattr(at, kind):
            value = str(getattr(el, "value", "") or "")
            # Markdown drawn with HTML allowed shows the HTML's text, not its tags
            out.append(visible_html_text(value) if getattr(el, "allow_html", False) else value)
            if kind == "metric":
                out.append(str(el.label))
    for kind in ("button", "text_input", "text_area", "number_input", "selectbox",
                 "multiselect", "radio", "checkbox", "toggle", "date_input", "expander",
                 "tabs", "slider", "select_slider", "time_input"):
        for el in getattr(at, kind):
            out.append(str(getattr(el, "label", "") or ""))
            out.append(str(getattr(el, "placeholder", "") or ""))
            out.append(str(getattr(el, "help", "") or ""))
            out.extend(str(o) for o in getattr(el, "options", []) or [])
    for el in (*at.dataframe, *at.table):
        out.extend(_frame_texts(el.value))
    for kind in ("download_button", "file_uploader", "link_button", "page_link"):
        for el in at.get(kind):
            proto = getattr(el, "proto", None)
            out.extend(str(getattr(proto, f, "") or "") for f in ("label", "help"))
    return [s for s in out if s.strip()]


def page_offences(at: Any, data: Iterable[str] = ()) -> list[str]:
    """Every offence on the page; ``data`` are values people typed (facility names, addresses,
    report texts), shown as they are and so taken out of each text first."""
    return text_offences(page_texts(at), "zh-Hans", data)
