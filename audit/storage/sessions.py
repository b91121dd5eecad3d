"""SQL of sign-in sessions and audit drafts (the rules are in :mod:`audit.sessions` and
:mod:`audit.drafts`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from audit.storage.orm import AuditDraft, SignInSession


class SessionStore:
    """Queries of the ``sign_in_sessions`` table within one unit of work."""

    def __init__(self, session: so.Session) -> None:
        self.session = session

    def add(self, row: SignInSession) -> SignInSession:
        self.session.add(row)
        self.session.flush()
        return row

    def by_claim(self, claim_hash: str) -> SignInSession | None:
        return self.session.scalar(
            sa.select(SignInSession).where(SignInSession.claim_hash == claim_hash))

    def by_token(self, token_hash: str) -> SignInSession | None:
        return self.session.scalar(
            sa.select(SignInSession).where(SignInSession.token_hash == token_hash))

    def delete(self, row: SignInSession) -> None:
        self.session.delete(row)
        self.session.flush()

    def delete_of_user(self, user_id: int) -> int:
        """End every session of an account; returns how many there were."""
        result = self.session.execute(
            sa.delete(SignInSession).where(SignInSession.user_id == user_id))
        return int(getattr(result, "rowcount", 0) or 0)

    def delete_expired(self, now: datetime) -> None:
        """Forget sessions past their expiry (housekeeping at each new sign-in)."""
        self.session.execute(sa.delete(SignInSession).where(SignInSession.expires_at <= now))


class DraftStore:
    """Queries of the ``audit_drafts`` table within one unit of work (always for one owner)."""

    def __init__(self, session: so.Session) -> None:
        self.session = session

    def of_user(self, user_id: int) -> list[AuditDraft]:
        return list(self.session.scalars(
            sa.select(AuditDraft).where(AuditDraft.user_id == user_id)
            .order_by(AuditDraft.updated_at.desc(), AuditDraft.id.desc())))

    def get(self, user_id: int, form_key: str) -> AuditDraft | None:
        return self.session.scalar(sa.select(AuditDraft).where(
            AuditDraft.user_id == user_id, AuditDraft.form_key == form_key))

    def count_of_user(self, user_id: int) -> int:
        return int(self.session.scalar(
            sa.select(sa.func.count()).select_from(AuditDraft)
            .where(AuditDraft.user_id == user_id)) or 0)

    def add(self, row: AuditDraft) -> AuditDraft:
        self.session.add(row)
        self.session.flush()
        return row

    def delete(self, row: AuditDraft) -> None:
        self.session.delete(row)
        self.session.flush()
