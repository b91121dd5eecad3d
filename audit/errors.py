"""Public exception types of the audit library.

Every error names what was wrong, with which value, and what is allowed, so the UI can show it
to the user as it is. All are ``ValueError``/``RuntimeError`` subclasses so callers may catch the
general type too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class AuditError(Exception):
    """Base class of every error raised deliberately by this project."""


@dataclass(frozen=True)
class Problem:
    """One problem with one input field: the field, the value given and what is allowed.

    ``code`` says what kind of problem it is, so a page can show a translated sentence instead of
    ``allowed`` (e.g. ``"contradiction"``, ``"suspect"``, ``"decimal_comma"``, ``"range"``);
    ``related`` names the other fields involved (the flag a measurement contradicts) and
    ``hints`` carries "did you mean" suggestions (:class:`audit.model.Hint`).
    """

    field: str
    value: Any
    allowed: str
    code: str = ""
    related: tuple[str, ...] = ()
    hints: tuple[Any, ...] = ()

    def __str__(self) -> str:
        return f"`{self.field}` = {self.value!r}: {self.allowed}"


class InputError(AuditError, ValueError):
    """Bad input: carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem, context: str = "") -> None:
        self.problems: list[Problem] = problems if isinstance(problems, list) else [problems]
        self.context = context
        lines = "; ".join(str(p) for p in self.problems)
        super().__init__(f"{context}: {lines}" if context else lines)


class ConflictError(AuditError):
    """Optimistic-locking conflict: someone else changed the record first."""


class PermissionDenied(AuditError, PermissionError):
    """The acting user's role may not perform this operation."""


class NotFoundError(AuditError, LookupError):
    """A record asked for by id or code does not exist."""


class StorageUnavailable(AuditError, RuntimeError):
    """The database cannot be reached; the message says which URL (without password) and why."""
