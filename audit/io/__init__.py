"""Input and output: exports, the offline-capture XLSForm, ODK/Kobo import, the district report.

- :mod:`audit.io.exports` — CSV / XLSX / GeoJSON / GeoPackage exports (public fields only);
- :mod:`audit.io.xlsform` — the ODK/KoboCollect XLSForm generated from the measurement schema;
- :mod:`audit.io.odk_import` — import of ODK Central / KoboToolbox submissions, all or nothing;
- :mod:`audit.io.district_report` — the printable district report (HTML from a Jinja2 template,
  PDF through headless Chromium).

Nothing is imported here eagerly (the CLI's ``--help`` reads :data:`EXPORT_FORMATS` only).
"""

from __future__ import annotations

from typing import Final

#: Export formats: a folder of CSV files, one workbook, a folder of GeoJSON files, one GeoPackage.
EXPORT_FORMATS: Final[tuple[str, ...]] = ("csv", "xlsx", "geojson", "gpkg")

__all__ = ["EXPORT_FORMATS"]
