"""SQL of the photo store in the database (``PHOTO_STORE=database``): the checked functions are
in :mod:`audit.photos`, which alone calls these."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from audit.storage.orm import Photo, PhotoContent


class PhotoContentStore:
    """Photo and thumbnail bytes keyed by their relative path (``photos.path``/``thumb_path``)."""

    def __init__(self, session: so.Session) -> None:
        self.session = session

    def get(self, path: str) -> bytes | None:
        row = self.session.get(PhotoContent, path)
        return None if row is None else bytes(row.data)

    def add(self, path: str, data: bytes) -> bool:
        """Store ``data`` under ``path`` unless it is there (content-addressed); True if added."""
        if self.session.get(PhotoContent, path) is not None:
            return False
        self.session.add(PhotoContent(path=path, data=data, size_bytes=len(data)))
        self.session.flush()
        return True

    def named_paths(self) -> set[str]:
        """Every path a ``photos`` row names (photo or thumbnail)."""
        rows = self.session.execute(sa.select(Photo.path, Photo.thumb_path)).all()
        return {p for row in rows for p in row if p}

    def unnamed(self, named: set[str], older_than: datetime) -> list[tuple[str, int]]:
        """(path, size) of stored contents no ``photos`` row names, stored before
        ``older_than``."""
        rows = self.session.execute(
            sa.select(PhotoContent.path, PhotoContent.size_bytes)
            .where(PhotoContent.created_at < older_than).order_by(PhotoContent.path)
        ).all()
        return [(path, int(size)) for path, size in rows if path not in named]

    def delete(self, paths: Iterable[str]) -> None:
        wanted = list(paths)
        if wanted:
            self.session.execute(sa.delete(PhotoContent).where(PhotoContent.path.in_(wanted)))
