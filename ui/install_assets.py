"""Copy the browser assets the map needs from ``node_modules`` into ``static/vendor``.

Run after ``npm ci``: ``python -m ui.install_assets``. Exit code 1 (with the missing paths
listed) when ``node_modules`` lacks a file, so ``make setup`` fails loudly instead of leaving a
map that would try to reach a CDN.
"""

from __future__ import annotations

import shutil
import sys

from ui.assets import NODE_MODULES, VENDOR_DIR, VENDOR_FILES


def install() -> list[str]:
    """Copy every vendored file; return the list of missing sources (empty on success)."""
    missing = [str(f.source) for f in VENDOR_FILES if not f.source.exists()]
    if missing:
        return missing
    if VENDOR_DIR.exists():
        shutil.rmtree(VENDOR_DIR)
    for vendored in VENDOR_FILES:
        vendored.target.parent.mkdir(parents=True, exist_ok=True)
        if vendored.source.is_dir():
            shutil.copytree(vendored.source, vendored.target)
        else:
            shutil.copy2(vendored.source, vendored.target)
        for name in ("LICENSE", "LICENSE.txt", "LICENSE.md", "MIT-LICENCE.txt"):
            licence = NODE_MODULES / vendored.package / name
            if licence.exists():
                shutil.copy2(licence, VENDOR_DIR / vendored.package / name)
    return []


def main() -> int:
    """Entry point for ``python -m ui.install_assets``."""
    missing = install()
    if missing:
        sys.stderr.write(
            "missing in node_modules (run `npm ci` first):\n  " + "\n  ".join(missing) + "\n"
        )
        return 1
    sys.stdout.write(f"installed {len(VENDOR_FILES)} asset paths into {VENDOR_DIR}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
