"""Big, rarely changing map layers served as static files instead of inline script.

The street network (~0.7 MB of GeoJSON for the demo) and the basemap's place names (~0.25 MB)
used to travel inside the map's script on every rerun: the server serialised them and compiled
them into a template each time, sent them over the websocket and the browser parsed them again
on every visit. Here such a layer is written once, as ``static/data/<kind>-<content hash>.json``,
and the map fetches it by URL (Streamlit serves ``static/`` at ``/app/static/``). The name
changes whenever the content does, so a file never changes under a page that uses it and
several app processes sharing a checkout write the same bytes to the same name.

Only public map data goes here (street geometry, district/town/street names): anything derived
from what people typed, or that depends on who is signed in, stays inline in the page.
No streamlit here.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ui.assets import STATIC_DIR

LOG = logging.getLogger("yangjiang_a11y.map")

#: Where published layers are written (served at ``<asset base URL>/data/...``).
PUBLISHED_DIR = STATIC_DIR / "data"
PUBLISHED_URL_PATH = "data"
#: A published file not used (published again) for this long is removed when another is
#: written, so variants (e.g. one network per chosen set of districts) do not pile up.
STALE_AFTER_S = 7 * 24 * 3600
#: A file in use has its modification time refreshed at most this often.
TOUCH_EVERY_S = 3600
#: Hex digits of the SHA-256 content hash in a file name (80 bits).
HASH_DIGITS = 20


@dataclass(frozen=True)
class JsonFile:
    """A JSON document to serve as ``<kind>-<hash>.json``: ``body`` is its UTF-8 bytes."""

    kind: str
    body: bytes
    name: str = field(init=False)

    def __post_init__(self) -> None:
        if not self.kind.isascii() or not self.kind.replace("_", "").isalnum():
            raise ValueError(f"kind must be ASCII letters, digits or '_', got {self.kind!r}")
        digest = hashlib.sha256(self.body).hexdigest()[:HASH_DIGITS]
        object.__setattr__(self, "name", f"{self.kind}-{digest}.json")

    def value(self) -> Any:
        """The document parsed back (for tests and checks)."""
        return json.loads(self.body)


def json_file(kind: str, value: Any) -> JsonFile:
    """``value`` as compact JSON (non-ASCII kept as UTF-8), ready to publish."""
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return JsonFile(kind, body.encode("utf-8"))


def publish(doc: JsonFile, base_url: str, directory: Path | None = None) -> str:
    """Make sure ``doc`` is served and return its URL under ``base_url`` (the static URL, as
    for :func:`ui.assets.localise`).

    The file is written atomically (a temporary file renamed into place) if it is not there
    yet; otherwise only its modification time is refreshed now and then. When the directory
    cannot be written, the document travels inline as a ``data:`` URL (the page still works,
    as slowly as before) and a warning is logged.
    """
    directory = PUBLISHED_DIR if directory is None else directory
    target = directory / doc.name
    try:
        _ensure(target, doc.body)
    except OSError as exc:
        LOG.warning("map layer %s served inline: cannot write %s (%s)", doc.kind, directory, exc)
        return "data:application/json;base64," + base64.b64encode(doc.body).decode("ascii")
    return f"{base_url.rstrip('/')}/{PUBLISHED_URL_PATH}/{doc.name}"


def _ensure(target: Path, body: bytes) -> None:
    now = time.time()
    try:
        age = now - target.stat().st_mtime
    except FileNotFoundError:
        age = None
    if age is not None:
        if age > TOUCH_EVERY_S:
            with contextlib.suppress(OSError):  # another process may be pruning it right now
                os.utime(target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)  # atomic: a reader sees no file or the whole file
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _prune(target.parent, keep=target.name, now=now)


def _prune(directory: Path, *, keep: str, now: float) -> None:
    """Remove published files (and abandoned temporary files) unused for ``STALE_AFTER_S``."""
    for path in directory.iterdir():
        if path.name == keep or not path.name.endswith((".json", ".tmp")):
            continue
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > STALE_AFTER_S:
                path.unlink()
