"""Public exception types of the audit library.

Every error names what was wrong, with which value, and what is allowed, so the UI can show it
to the user as it is. All are ``ValueError``/``RuntimeError``/... subclasses so callers may catch
the general type too.

The root of the hierarchy and the input error live in :mod:`geodata.errors` (geodata is the
lowest layer and may not import ``audit``): :class:`AuditError` *is*
:class:`geodata.errors.ProjectError`, and :class:`InputError` / :class:`Problem` are geodata's.
So ``except AuditError`` also catches what geodata raises (a point outside the city, a CRS
mismatch, :class:`~geodata.errors.NetworkUnavailable`), and ``except InputError`` catches bad
input found by either layer; the CLI maps every ``AuditError`` that is a ``ValueError`` to exit
code 2.
"""

from __future__ import annotations

from geodata.errors import GeodataError, InputError, Problem, ProjectError

#: Base class of every error raised deliberately by this project (audit and geodata).
AuditError = ProjectError


class ConflictError(AuditError):
    """Optimistic-locking conflict: someone else changed the record first."""


class PermissionDenied(AuditError, PermissionError):
    """The acting user's role may not perform this operation."""


class NotFoundError(AuditError, LookupError):
    """A record asked for by id or code does not exist."""


class StorageUnavailable(AuditError, RuntimeError):
    """The database cannot be reached; the message says which URL (without password) and why."""


class CorruptDatabase(StorageUnavailable, ValueError):
    """The SQLite database file is damaged or is not a database at all.

    The message names the file and says what to do (restore from a backup); ``path`` is the file,
    ``reason`` SQLite's own words. A ValueError too, so the CLI exits 2 (a bad input file).
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"the database file {path} is damaged or is not a database ({reason}). Restore it "
            "from a backup: stop the app, move the damaged file away, then run "
            "`python -m audit restore BACKUP.tar.gz`")


__all__ = [
    "AuditError",
    "ConflictError",
    "CorruptDatabase",
    "GeodataError",
    "InputError",
    "NotFoundError",
    "PermissionDenied",
    "Problem",
    "StorageUnavailable",
]
