"""One validated settings object, read from environment variables and an optional TOML file.

Precedence (highest first): keyword arguments, environment variables, the TOML file named by
``A11Y_SETTINGS_FILE`` (default ``settings.toml`` in the working directory, if it exists), defaults.
Environment variables use the field name in upper case (``DATABASE_URL``, ``DATA_DIR``,
``TILES``...).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

REPO_ROOT = Path(__file__).resolve().parent.parent

TileProvider = Literal["none", "osm", "tianditu"]
PhotoStore = Literal["folder", "database"]
Language = Literal["zh-Hans", "en"]


def _settings_file() -> Path:
    return Path(os.environ.get("A11Y_SETTINGS_FILE", "settings.toml"))


class Settings(BaseSettings):
    """Runtime configuration of the app, the CLI and the library."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(
        default=REPO_ROOT / "var",
        description="Where the SQLite database, photos, caches and downloaded networks live.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL. Empty means a SQLite file `audit.sqlite3` under data_dir. "
        "Use postgresql+psycopg://user:pass@host/db for PostGIS.",
    )
    tiles: TileProvider = Field(default="none", description="Map basemap: none | osm | tianditu.")
    tianditu_key: str = Field(default="", description="天地图 key, needed when tiles = tianditu.")
    language: Language = Field(default="zh-Hans", description="Default UI language.")
    demo_mode: bool = Field(
        default=True,
        description="Seed synthetic demo data and demo accounts when the database is empty.",
    )
    boundary_file: Path | None = Field(
        default=None,
        description="Optional official district boundary file (GeoJSON/GeoPackage with an adcode "
        "and name column) replacing the bundled one.",
    )
    network_source: str = Field(
        default="auto",
        description="Street network: auto (cached download, else demo) | demo | a path to "
        ".osm/.osm.pbf/.graphml.",
    )
    dem_file: str = Field(
        default="",
        description="Optional elevation model (GeoTIFF DEM, needs the `dem` extra: rasterio) whose "
        "slopes fill the walk network's inclines where OSM has no incline tag; empty = none "
        "(incline unknown there). See docs/ROUTING.md.",
    )
    snap_limit_m: float = Field(default=100.0, gt=0, le=5000)
    reach_limit_m: float = Field(
        default=800.0, gt=0, le=20000,
        description="Reach (issue 14 §4): a node reaches a key destination within this many "
        "metres of profile cost.",
    )
    gps_accuracy_limit_m: float = Field(default=30.0, gt=0, le=1000)
    duplicate_radius_m: float = Field(default=30.0, gt=0, le=1000)
    report_duplicate_radius_m: float = Field(default=50.0, gt=0, le=1000)
    report_rate_limit: int = Field(default=5, ge=1, le=1000)
    report_rate_window_s: int = Field(default=600, ge=1, le=86400)
    report_reopen_limit: int = Field(
        default=2, ge=1, le=100,
        description="Times residents may reopen one report per report_rate_window_s.",
    )
    report_global_per_minute: int = Field(
        default=30, ge=1, le=100_000,
        description="New public (anonymous) reports accepted per minute from everyone together.",
    )
    photo_store: PhotoStore = Field(
        default="folder",
        description="Where photos live: folder (data_dir/photos, as before) | database "
        "(in the database, bytea on PostgreSQL: a second app machine needs nothing but "
        "DATABASE_URL). Photos stored before a switch stay readable.",
    )
    photo_max_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    photo_max_pixels: int = Field(default=60_000_000, ge=10_000)
    archive_max_entries: int = Field(
        default=20_000, ge=1,
        description="Most entries (files) an uploaded zip or a backup archive may hold.",
    )
    archive_max_ratio: float = Field(
        default=100.0, ge=1,
        description="Most an archive entry may expand (uncompressed / compressed size), checked "
        "for entries over 1 MiB while streaming.",
    )
    upload_max_expanded_bytes: int = Field(
        default=2 * 1024**3, ge=1024,
        description="Most an uploaded zip (ODK attachments) may expand to, in bytes.",
    )
    backup_max_expanded_bytes: int = Field(
        default=64 * 1024**3, ge=1024,
        description="Most a backup archive may expand to on restore, in bytes.",
    )
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_s: int = Field(default=900, ge=1)
    login_client_max_failures: int = Field(
        default=3, ge=1, le=100,
        description="Refused sign-ins one client may make per login_lockout_s before it is "
        "throttled; below login_max_failures, so one client alone cannot lock an account.",
    )
    session_ttl_s: int = Field(default=8 * 3600, ge=60)
    coverage_threshold: float = Field(default=0.30, ge=0, le=1)
    trusted_proxy_header: str = Field(
        default="",
        description="Behind a reverse proxy: the header carrying the client address "
        "(e.g. X-Forwarded-For) used for per-client rate limits; empty = the socket address.",
    )
    trusted_proxy_hops: int = Field(
        default=1, ge=1, le=10,
        description="How many trusted proxies append to trusted_proxy_header: the client is the "
        "address this many entries from the right (1 = the one the nearest proxy appended).",
    )
    inventory_targets_file: Path | None = Field(
        default=None,
        description="CSV of expected facility counts per district and type (coverage in "
        "rankings); default: audit/data/inventory_targets.csv (assumptions to replace).",
    )
    inventory_max_file_bytes: int = Field(
        default=512 * 1024**2, ge=1024,
        description="Largest OSM file `inventory import` reads, in bytes.",
    )
    inventory_max_items: int = Field(
        default=200_000, ge=1,
        description="Most inventory items one OSM file may yield (a larger file is refused).",
    )
    worklist_max_items: int = Field(
        default=300, ge=2, le=5000,
        description="Most unaudited inventory items ordered into one inspector's walking round.",
    )
    retrofit_params_file: Path | None = Field(
        default=None,
        description="TOML of unit costs, importance weights and report severities for the "
        "retrofit plan; default: audit/data/retrofit.toml (assumptions to replace).",
    )
    destinations_file: Path | None = Field(
        default=None,
        description="CSV of key destinations (hospitals, schools, stops, service halls) for "
        "location importance; default: audit/data/demo_destinations.csv (SYNTHETIC).",
    )

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            msg = (
                f"`DATABASE_URL` = {value!r}: only sqlite:///PATH or "
                "postgresql+psycopg://USER:PASS@HOST/DB are supported"
            )
            raise ValueError(msg)
        return value

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'audit.sqlite3').as_posix()}"

    @property
    def photo_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _settings_file()
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once. Tests build their own ``Settings(...)``."""
    return Settings()
