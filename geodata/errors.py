"""Exception types of geodata, the lowest layer of the project (it imports nothing of ``audit``).

Every error names what was wrong, with which value, and what is allowed, so a caller can show it
to a user as it is. :class:`InputError` is a ``ValueError`` and :class:`NetworkUnavailable` a
``RuntimeError``, so callers may catch the general type too.

The hierarchy is rooted here because geodata may not import ``audit``: ``audit.errors`` builds on
it (its ``AuditError`` is :class:`ProjectError`, and it re-exports :class:`InputError` and
:class:`Problem`), so one ``except AuditError`` or ``except InputError`` in the audit library, the
CLI or the UI also catches a bad coordinate, a CRS mismatch or an unreachable download service
reported by geodata.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


class ProjectError(Exception):
    """Base class of every error raised deliberately by this project (geodata and audit)."""


class GeodataError(ProjectError):
    """Base class of every error raised deliberately by geodata."""


@dataclass(frozen=True)
class Problem:
    """One problem with one input field: the field, the value given and what is allowed.

    ``code`` says what kind of problem it is, so a page can show a translated sentence instead of
    ``allowed`` (e.g. ``"contradiction"``, ``"suspect"``, ``"decimal_comma"``, ``"range"``);
    ``related`` names the other fields involved (the flag a measurement contradicts) and
    ``hints`` carries "did you mean" suggestions (:class:`audit.model.Hint`).

    ``code`` with ``params`` is the message key and its parameters for a person: the UI renders
    ``words.problem.<code>`` from its catalogue with the field's label and ``params`` (``min``,
    ``max``, ``choices`` with ``kind`` ...), so ``allowed`` — the precise developer text for the
    log and the CLI — never reaches a page.
    """

    field: str
    value: Any
    allowed: str
    code: str = ""
    related: tuple[str, ...] = ()
    hints: tuple[Any, ...] = ()
    params: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return f"`{self.field}` = {self.value!r}: {self.allowed}"


class InputError(GeodataError, ValueError):
    """Bad input: carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem, context: str = "") -> None:
        self.problems: list[Problem] = problems if isinstance(problems, list) else [problems]
        self.context = context
        lines = "; ".join(str(p) for p in self.problems)
        super().__init__(f"{context}: {lines}" if context else lines)


class NetworkUnavailable(GeodataError, RuntimeError):
    """The OSM download service cannot be reached (no internet, DNS failure, refused, timeout)."""


__all__ = ["GeodataError", "InputError", "NetworkUnavailable", "Problem", "ProjectError"]
