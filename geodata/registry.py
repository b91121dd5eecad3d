"""Dataset registry of the bundled geodata: name, file, CRS, licence, attribution, source, sha256.

The registry is data (``geodata/data/registry.toml``); this module reads it, resolves file paths,
verifies checksums and builds the attribution text that must accompany every map or export.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import tomli

from geodata.errors import InputError, Problem

DATA_DIR = Path(__file__).resolve().parent / "data"
REGISTRY_FILE = DATA_DIR / "registry.toml"

AttributionLang = Literal["zh-Hans", "en", "both"]


@dataclass(frozen=True)
class Dataset:
    """One registry entry. ``file`` is empty for sources without a bundled file (networks)."""

    name: str
    title: str
    file: str
    crs: str
    licence: str
    attribution_zh: str
    attribution_en: str
    source: str
    sha256: str

    @property
    def path(self) -> Path | None:
        """Absolute path of the bundled file, or ``None`` for a source without a file."""
        return DATA_DIR / self.file if self.file else None

    def actual_sha256(self) -> str | None:
        """The sha256 of the bundled file as it is on disk now (``None`` without a file)."""
        if self.path is None:
            return None
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def datasets() -> dict[str, Dataset]:
    """All registry entries by name, in file order."""
    with REGISTRY_FILE.open("rb") as fh:
        raw = tomli.load(fh)
    return {row["name"]: Dataset(**row) for row in raw["dataset"]}


def get(name: str) -> Dataset:
    """The registry entry called ``name``; an unknown name raises :class:`InputError`."""
    table = datasets()
    if name not in table:
        raise InputError(Problem("dataset", name, f"one of {sorted(table)}"))
    return table[name]


def path_of(name: str) -> Path:
    """Path of the bundled file of dataset ``name`` (which must have a file)."""
    ds = get(name)
    if ds.path is None:
        raise InputError(Problem("dataset", name, "a dataset with a bundled file"))
    return ds.path


def verify() -> list[str]:
    """Checksum mismatches or missing files, as readable lines (empty list when all is well)."""
    problems: list[str] = []
    for ds in datasets().values():
        if ds.path is None:
            continue
        if not ds.path.is_file():
            problems.append(f"{ds.name}: file {ds.path} is missing")
            continue
        actual = ds.actual_sha256()
        if actual != ds.sha256:
            problems.append(f"{ds.name}: sha256 {actual} != registry {ds.sha256}")
    return problems


def attribution(*names: str, lang: AttributionLang = "both") -> str:
    """Attribution text for the named datasets, to show wherever they are drawn or exported.

    Without names: the bundled boundary and town data. ``lang="both"`` gives "中文 / English" when
    the two texts differ. Duplicate texts are shown once; entries are joined with " · ".
    """
    chosen = names or ("districts", "towns")
    parts: list[str] = []
    for name in chosen:
        ds = get(name)
        if lang == "zh-Hans":
            text = ds.attribution_zh
        elif lang == "en":
            text = ds.attribution_en
        else:
            text = ds.attribution_zh
            if ds.attribution_en and ds.attribution_en != ds.attribution_zh:
                text = f"{ds.attribution_zh} / {ds.attribution_en}"
        if text and text not in parts:
            parts.append(text)
    return " · ".join(parts)
