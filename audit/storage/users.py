"""SQL of user accounts (the domain rules are in :mod:`audit.auth`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from audit.storage.orm import Audit, Facility, SignInFailure, User


class UserStore:
    """Queries of the ``users`` table within one unit of work."""

    def __init__(self, session: so.Session) -> None:
        self.session = session

    def by_name(self, username: str) -> User | None:
        """The account with this (normalised) username, or ``None``."""
        return self.session.scalar(sa.select(User).where(User.username == username))

    def add_failure(self, client_key: str, at: datetime) -> None:
        """Record a refused sign-in from a client."""
        self.session.add(SignInFailure(client_key=client_key, at=at))

    def failure_times_since(self, client_key: str, since: datetime) -> list[datetime]:
        """When ``client_key``'s refused sign-ins at or after ``since`` happened, oldest first."""
        return list(self.session.scalars(
            sa.select(SignInFailure.at).where(
                SignInFailure.client_key == client_key, SignInFailure.at >= since)
            .order_by(SignInFailure.at)
        ))

    def by_id(self, user_id: int) -> User | None:
        """The account with this id, or ``None``."""
        return self.session.get(User, user_id)

    def name_taken(self, username: str) -> bool:
        return self.session.scalar(sa.select(User.id).where(User.username == username)) is not None

    def all(self) -> list[User]:
        """Every account, by username."""
        return list(self.session.scalars(sa.select(User).order_by(User.username)))

    def any(self) -> bool:
        """Whether any account exists (none: the first-run path applies)."""
        return self.session.scalar(sa.select(User.id).limit(1)) is not None

    def demo_names(self) -> list[str]:
        """Usernames of the demo accounts (public passwords), by name."""
        return list(self.session.scalars(
            sa.select(User.username).where(User.is_demo.is_(True)).order_by(User.username)
        ))

    def delete(self, row: User) -> None:
        """Delete an account; facilities and audits it made keep their data, without the link."""
        self.session.execute(
            sa.update(Facility).where(Facility.created_by == row.id).values(created_by=None)
        )
        self.session.execute(
            sa.update(Audit).where(Audit.inspector_id == row.id).values(inspector_id=None)
        )
        self.session.delete(row)
        self.session.flush()

    def add(self, row: User) -> User:
        """Insert an account and give it its id."""
        self.session.add(row)
        self.session.flush()
        return row
