"""What a rendered map fetches: the published layer files its script references."""

from __future__ import annotations

import re

from ui.map import published

#: A published file's URL under the app's static URL (``/app/static/data/<kind>-<hash>.json``).
PUBLISHED_URL = re.compile(r"/app/static/data/([a-z_]+-[0-9a-f]+\.json)")


def published_bodies(html: str) -> dict[str, bytes]:
    """File name -> bytes of every published file ``html`` refers to (each must exist)."""
    return {name: (published.PUBLISHED_DIR / name).read_bytes()
            for name in dict.fromkeys(PUBLISHED_URL.findall(html))}


def served_text(html: str) -> str:
    """``html`` followed by the text of every file it fetches: what the browser receives."""
    return "\n".join([html, *(b.decode("utf-8") for b in published_bodies(html).values())])
