"""SQL of user accounts (the domain rules are in :mod:`audit.auth`)."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from audit.storage.orm import User


class UserStore:
    """Queries of the ``users`` table within one unit of work."""

    def __init__(self, session: so.Session) -> None:
        self.session = session

    def by_name(self, username: str) -> User | None:
        """The account with this (normalised) username, or ``None``."""
        return self.session.scalar(sa.select(User).where(User.username == username))

    def name_taken(self, username: str) -> bool:
        return self.session.scalar(sa.select(User.id).where(User.username == username)) is not None

    def all(self) -> list[User]:
        """Every account, by username."""
        return list(self.session.scalars(sa.select(User).order_by(User.username)))

    def add(self, row: User) -> User:
        """Insert an account and give it its id."""
        self.session.add(row)
        self.session.flush()
        return row
