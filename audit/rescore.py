"""Re-evaluate stored audits under the current ruleset (``python -m audit rescore``).

An audit keeps the ruleset version it was scored with: a new ruleset never changes a stored
verdict silently. Rescoring is an explicit, logged step taken by an administrator:

- every audit (draft or submitted) not yet scored with the current ruleset is evaluated again
  from its own stored measurements (``everything=True``: every audit);
- the new evaluation replaces the audit's verdict, score, ruleset id and version and its
  findings rows (:meth:`Repository.rescore_audit`); the measurements stay as recorded, and the
  change log keeps each audit's verdict, score and ruleset before and after, plus one summary
  entry for the run;
- audits are read and written in batches, **one transaction per batch**: a batch is stored
  whole or not at all, and a run that stops half-way leaves whole batches rescored (each audit
  records its own ruleset version, so running again picks up exactly the rest);
- stored measurements that the current ruleset rejects (a field it no longer knows, a
  contradiction it now detects) are left as they are and listed, never guessed;
- ``dry_run`` evaluates and counts the same way and writes nothing.

This is an engine-level batch operation: it takes the :class:`Database` and opens its own units
of work, one per batch, acting for ``actor`` (role ``admin`` or ``system``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from audit.actors import Actor, require
from audit.errors import InputError, Problem
from audit.scoring import VERDICTS, evaluate

if TYPE_CHECKING:
    from audit.rules import Ruleset
    from audit.storage import Database

MAX_BATCH = 10_000
DEFAULT_BATCH = 500


@dataclass(frozen=True)
class RejectedAudit:
    """An audit whose stored measurements the current ruleset does not accept."""

    audit_id: int
    problems: tuple[str, ...]


@dataclass
class RescoreReport:
    """What a rescore did (or, with ``dry_run``, would do)."""

    ruleset_id: str
    ruleset_version: str
    dry_run: bool
    #: audits already scored with the current ruleset, left alone (0 with ``everything``)
    up_to_date: int = 0
    #: audits evaluated under the current ruleset
    evaluated: int = 0
    #: audits whose stored evaluation was replaced (0 in a dry run)
    written: int = 0
    batches: int = 0
    #: (verdict before, verdict after) → audits, for every evaluated audit
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: (audit id, verdict before, verdict after) of every audit whose verdict changed, by id
    changes: list[tuple[int, str, str]] = field(default_factory=list)
    rejected: list[RejectedAudit] = field(default_factory=list)

    @property
    def changed(self) -> int:
        """Audits whose verdict differs under the current ruleset."""
        return sum(n for (old, new), n in self.transitions.items() if old != new)

    def verdict_counts(self) -> dict[str, tuple[int, int]]:
        """verdict → (audits with it before, after), over the evaluated audits."""
        before: Counter[str] = Counter()
        after: Counter[str] = Counter()
        for (old, new), n in self.transitions.items():
            before[old] += n
            after[new] += n
        names = [*VERDICTS, *sorted((set(before) | set(after)) - set(VERDICTS))]
        return {v: (before[v], after[v]) for v in names}

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset_id": self.ruleset_id, "ruleset_version": self.ruleset_version,
            "dry_run": self.dry_run, "up_to_date": self.up_to_date,
            "evaluated": self.evaluated, "written": self.written, "changed": self.changed,
            "batches": self.batches,
            "transitions": [{"before": old, "after": new, "audits": n}
                            for (old, new), n in sorted(self.transitions.items())],
            "verdicts": {v: {"before": b, "after": a}
                         for v, (b, a) in self.verdict_counts().items()},
            "changes": [{"audit_id": i, "before": old, "after": new}
                        for i, old, new in self.changes],
            "rejected": [{"audit_id": r.audit_id, "problems": list(r.problems)}
                         for r in self.rejected],
        }

    def lines(self, *, each: bool = False) -> list[str]:
        """The report as the command prints it; ``each`` lists every audit whose verdict
        changed."""
        head = (f"rescore under {self.ruleset_id} {self.ruleset_version}"
                + (" (dry run: nothing written)" if self.dry_run else ""))
        out = [head,
               f"audits already scored with {self.ruleset_version}: {self.up_to_date}",
               f"audits re-evaluated: {self.evaluated}"
               + ("" if self.dry_run else f" (stored: {self.written}, in {self.batches} "
                  f"batch{'es' if self.batches != 1 else ''})"),
               f"audits whose verdict changed: {self.changed}"]
        if self.evaluated:
            out.append("verdicts before → after:")
            out += [f"  {v}: {b} → {a}" for v, (b, a) in self.verdict_counts().items()
                    if b or a]
        moves = sorted((k, n) for k, n in self.transitions.items() if k[0] != k[1])
        if moves:
            out.append("changes:")
            out += [f"  {old} → {new}: {n}" for (old, new), n in moves]
        if each and self.changes:
            out.append("audits whose verdict changed:")
            out += [f"  audit {i}: {old} → {new}" for i, old, new in self.changes]
        if self.rejected:
            out.append(f"not re-evaluated, stored measurements rejected by "
                       f"{self.ruleset_version} (kept as they were): {len(self.rejected)}")
            out += [f"  audit {r.audit_id}: {'; '.join(r.problems)}" for r in self.rejected]
        return out


def check_batch_size(value: Any) -> int:
    """``value`` as a batch size, or :class:`InputError` naming the field and what is allowed."""
    allowed = f"a whole number from 1 to {MAX_BATCH:,}"
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(Problem("batch_size", value, allowed))
    try:
        n = int(value)
    except ValueError:
        raise InputError(Problem("batch_size", value, allowed)) from None
    if not 1 <= n <= MAX_BATCH:
        raise InputError(Problem("batch_size", value, allowed))
    return n


def rescore(
    db: Database,
    actor: Actor,
    *,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH,
    everything: bool = False,
    ruleset: Ruleset | None = None,
    progress: Callable[[RescoreReport], None] | None = None,
) -> RescoreReport:
    """Re-evaluate stored audits under ``ruleset`` (default: the current one); see the module
    docstring. Raises :class:`PermissionDenied` unless ``actor`` may ``audit.rescore`` (checked
    before anything is read) and :class:`InputError` for a bad ``batch_size``."""
    from audit.rules.loader import default_ruleset

    require(actor, "audit.rescore")
    size = check_batch_size(batch_size)
    rs = ruleset if ruleset is not None else default_ruleset()
    report = RescoreReport(rs.id, rs.version, dry_run)
    skip = None if everything else (rs.id, rs.version)
    with db.unit_of_work(actor) as repo:
        if skip is not None:
            report.up_to_date = repo.audit_counts_by_ruleset().get(skip, 0)
    after = 0
    while True:
        with db.unit_of_work(actor, write=not dry_run) as repo:
            batch = repo.audits_to_rescore(after_id=after, limit=size, skip_ruleset=skip)
            if not batch:
                break
            written = 0
            moves: Counter[tuple[str, str]] = Counter()
            changes: list[tuple[int, str, str]] = []
            rejected: list[RejectedAudit] = []
            for stored in batch:
                try:
                    evaluation = evaluate(stored.facility_type, stored.measurements, ruleset=rs)
                except InputError as exc:
                    rejected.append(RejectedAudit(stored.id, tuple(
                        f"{p.field} = {p.value!r}: expected {p.allowed}" for p in exc.problems)))
                    continue
                moves[(stored.verdict, evaluation.verdict)] += 1
                if evaluation.verdict != stored.verdict:
                    changes.append((stored.id, stored.verdict, evaluation.verdict))
                if not dry_run and repo.rescore_audit(stored.id, evaluation):
                    written += 1
            after = batch[-1].id
        # counted once the batch's transaction has committed
        report.batches += 1
        report.evaluated += sum(moves.values())
        report.written += written
        report.transitions.update(moves)
        report.changes.extend(changes)
        report.rejected.extend(rejected)
        if progress is not None:
            progress(report)
    if not dry_run and report.written:
        with db.unit_of_work(actor, write=True) as repo:
            summary = report.to_dict()
            summary["rejected"] = [r["audit_id"] for r in summary["rejected"]]
            summary["changes"] = [[i, old, new] for i, old, new in report.changes]
            repo.log("ruleset", None, "rescore", None, summary)
    return report


__all__ = ["DEFAULT_BATCH", "MAX_BATCH", "RejectedAudit", "RescoreReport", "check_batch_size",
           "rescore"]
