"""The CJK font of the printable report, from a package registry, never from the system.

A machine without system CJK fonts would otherwise draw the report's Chinese as empty boxes:
matplotlib falls back to DejaVu Sans, and so does Chromium when it prints the PDF. The font is
Noto Sans SC (SIL Open Font License 1.1), carried by the PyPI package ``pylopdf-fonts-zh-cn``
(a wheel holding only the OTF files and their licence). It is used twice:

- matplotlib measures and lays out the charts with it (:func:`use_in_matplotlib`); the charts
  are SVG with ``svg.fonttype = "none"``, so their text stays text, in this font family;
- the HTML embeds it as a web font (:func:`embed_font`): a subset holding exactly the characters
  the page uses, as a WOFF data URI (about 50–150 KB), so the HTML stays self-contained and the
  PDF that Chromium prints from it shows the Chinese in this font, with or without system fonts.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

#: The font family name inside the packaged font (and in the report's CSS and SVG).
FONT_FAMILY = "Noto Sans SC"
FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"


@lru_cache(maxsize=1)
def font_path() -> Path:
    """Path of the packaged Noto Sans SC OTF (a dependency in pyproject.toml)."""
    try:
        path = Path(str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE)))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        msg = (f"the report font {FONT_FILE} is missing: install the project's dependencies "
               f"(`make setup`; package `{FONT_PACKAGE.replace('_', '-')}`)")
        raise RuntimeError(msg)
    return path


def use_in_matplotlib(plt: Any) -> str:
    """Register the packaged font with matplotlib and make it the first family; return it."""
    from matplotlib import font_manager

    path = str(font_path())
    if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    plt.rcParams["font.family"] = [FONT_FAMILY, "DejaVu Sans"]
    return FONT_FAMILY


def subset_woff(text: str) -> bytes:
    """The packaged font cut down to the characters of ``text``, as WOFF bytes."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"  # zlib-compressed; WOFF2 would need the brotli package
    options.layout_features = ["*"]  # keep vertical/CJK forms and kerning
    font = TTFont(str(font_path()))
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule for :data:`FONT_FAMILY` holding the glyphs ``text`` needs."""
    data = base64.b64encode(subset_woff(text)).decode("ascii")
    return (f'@font-face {{ font-family: "{FONT_FAMILY}"; font-style: normal; font-weight: 400; '
            f'src: url(data:font/woff;base64,{data}) format("woff"); }}')


def embed_font(html_text: str) -> str:
    """``html_text`` with the subset web font added to its ``<head>`` (before ``</head>``)."""
    marker = "</head>"
    if marker not in html_text:
        raise ValueError("the report HTML has no </head> to add its font to")
    style = f"<style>{font_face_css(html_text)}</style>\n"
    return html_text.replace(marker, style + marker, 1)


__all__ = [
    "FONT_FAMILY",
    "embed_font",
    "font_face_css",
    "font_path",
    "subset_woff",
    "use_in_matplotlib",
]
