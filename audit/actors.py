"""Who is acting, and what each role may do.

Role checks are enforced here, in the library, for every write: the UI hiding a button is a
convenience, not the protection. The permission table is data (one row per operation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from audit.errors import PermissionDenied

Role = Literal["anonymous", "inspector", "bureau", "admin", "system"]
ROLES: Final[tuple[Role, ...]] = ("anonymous", "inspector", "bureau", "admin", "system")
USER_ROLES: Final[tuple[Role, ...]] = ("inspector", "bureau", "admin")


@dataclass(frozen=True)
class Actor:
    """The acting party of an operation: a signed-in user, an anonymous resident or the system."""

    user_id: int | None
    username: str
    role: Role
    #: Set for a signed-in session (the account's ``session_epoch`` at sign-in): every unit of
    #: work of such an actor re-checks the account (exists, active, same role, same epoch), so a
    #: disabled or demoted account, or one signed out elsewhere, cannot act in an open session.
    #: ``None`` for in-process callers (CLI acting as system, scripts, tests).
    session_epoch: int | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return f"{self.role}:{self.username}"


ANONYMOUS: Final = Actor(None, "anonymous", "anonymous")
SYSTEM: Final = Actor(None, "system", "system")

# operation -> roles allowed. "system" is the CLI, seeding or importer acting for the operator.
PERMISSIONS: Final[dict[str, frozenset[Role]]] = {
    "facility.create": frozenset({"inspector", "admin", "system"}),
    "facility.update": frozenset({"inspector", "admin", "system"}),
    "audit.submit": frozenset({"inspector", "admin", "system"}),
    "audit.draft": frozenset({"inspector", "admin", "system"}),
    #: re-evaluate stored audits under the current ruleset (python -m audit rescore)
    "audit.rescore": frozenset({"admin", "system"}),
    "photo.add": frozenset({"inspector", "admin", "system", "anonymous", "bureau"}),
    "photo.gc": frozenset({"admin", "system"}),
    "report.create": frozenset({"anonymous", "inspector", "bureau", "admin", "system"}),
    "report.support": frozenset({"anonymous", "inspector", "bureau", "admin", "system"}),
    "report.reopen": frozenset({"anonymous", "inspector", "bureau", "admin", "system"}),
    "report.moderate": frozenset({"bureau", "admin", "system"}),
    "report.read_contact": frozenset({"bureau", "admin", "system"}),
    "workorder.manage": frozenset({"bureau", "admin", "system"}),
    "user.manage": frozenset({"admin", "system"}),
    "data.import": frozenset({"inspector", "admin", "system"}),
    #: OSM features as the inventory to audit (python -m audit inventory import)
    "inventory.import": frozenset({"bureau", "admin", "system"}),
    "data.export_private": frozenset({"bureau", "admin", "system"}),
    "meta.write": frozenset({"admin", "system"}),
    "account.own": frozenset({"inspector", "bureau", "admin"}),
    #: exchange a sign-in's one-time claim code for the cookie token, resume or end a session
    #: by its token: only the app server itself (the token is the proof, audit.sessions)
    "session.resume": frozenset({"system"}),
}


def _roles_for(operation: str) -> frozenset[Role]:
    allowed = PERMISSIONS.get(operation)
    if allowed is None:
        msg = f"unknown operation {operation!r}; known: {', '.join(sorted(PERMISSIONS))}"
        raise KeyError(msg)
    return allowed


def permitted(actor: Actor, operation: str) -> bool:
    """Whether ``actor``'s role may perform ``operation`` (what :func:`require` enforces)."""
    return actor.role in _roles_for(operation)


def require(actor: Actor, operation: str) -> None:
    """Raise :class:`PermissionDenied` unless ``actor``'s role may perform ``operation``."""
    allowed = _roles_for(operation)
    if actor.role not in allowed:
        msg = (
            f"role {actor.role!r} may not perform {operation!r} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
        raise PermissionDenied(msg)
