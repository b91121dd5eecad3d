"""Findings as rows: one row per audit × rule, written with the audit in one transaction.

The caller evaluates the measurements once (:func:`audit.scoring.evaluate`) and hands the
evaluation to :meth:`Repository.submit_audit`; this module checks that evaluation (without
re-evaluating it: storage never imports the scoring engine or the rules), turns its findings
into rows of the ``findings`` table and keeps the "current audit" marker: the latest submitted
audit of a facility and its findings carry ``is_current = true``, every earlier one ``false``,
and the facility holds that audit's verdict and time (``current_verdict``,
``current_submitted_at``).

The same :func:`finding_row` converts a stored evaluation's JSON in migration 0002 (backfill).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeGuard

import sqlalchemy as sa
import sqlalchemy.orm as so

from audit.errors import Problem
from audit.storage.orm import Audit, AuditFinding, Facility

#: Statuses a finding row may hold (those of :data:`audit.checks.STATUS_NAMES`). A plain string
#: column checked here, not a database enum, so adding one is a change to this tuple, not a
#: migration. ``advice``: a clause worded 宜 that is not followed — never a failure.
FINDING_STATUSES: tuple[str, ...] = ("pass", "fail", "not_applicable", "not_measured", "advice")
#: ``requirement`` clauses decide the verdict; ``advice`` clauses (宜) never do (SCORING.md §4).
OBLIGATIONS: tuple[str, ...] = ("requirement", "advice")
#: Verdicts of an evaluation (``unaudited`` is a map label for "no audit", never stored).
EVALUATION_VERDICTS: tuple[str, ...] = ("compliant", "non_compliant", "incomplete")
MAX_RULE_ID_LEN = 64
MAX_RULESET_LEN = 64
MAX_SEVERITY_LEN = 16
MAX_CLAUSE_LEN = 32
MAX_REFERENCE_LEN = 80
MAX_MEASURED_TEXT_LEN = 200
MAX_UNIT_LEN = 16


class EvaluationLike(Protocol):
    """What the repository needs of an evaluation: its JSON-safe form.

    :class:`audit.scoring.Evaluation` is one; the repository reads ``facility_type``,
    ``verdict``, ``score``, ``ruleset_id``, ``ruleset_version``, ``measurements`` and
    ``findings`` (each with ``rule_id``, ``status``, ``severity``, and optionally ``measured``,
    ``threshold``, ``clause``, ``reference``, ``provisional``) from :meth:`to_dict`.
    """

    def to_dict(self) -> dict[str, Any]: ...


def derived_verdict(statuses: Iterable[str], *, unconfirmed: bool = False) -> str:
    """The verdict the statuses of the requirement findings imply (docs/SCORING.md §3).

    A fail outranks a gap; a suspect value waiting for confirmation (``unconfirmed``) keeps the
    audit incomplete. Pass only the statuses of requirements: advice never changes the verdict.
    """
    seen = set(statuses)
    if "fail" in seen:
        return "non_compliant"
    if "not_measured" in seen or unconfirmed:
        return "incomplete"
    return "compliant"


def _unconfirmed(suspects: Any) -> bool:
    """Whether the evaluation's ``suspects`` list holds a value not confirmed by the inspector."""
    if not isinstance(suspects, list):
        return False
    return any(isinstance(s, Mapping) and not s.get("confirmed") for s in suspects)


def _is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    """``isinstance(value, Mapping)``, a plain dict (nearly always) known without the ABC."""
    return type(value) is dict or isinstance(value, Mapping)


def _short_text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def check_evaluation(data: Mapping[str, Any], facility_type: str) -> list[Problem]:
    """Every reason the evaluation cannot be stored for a facility of ``facility_type``.

    The guard that the evaluation is what it claims to be, without evaluating again: it is of
    this facility's type, names its ruleset (id and version, recorded on the audit and on every
    finding row), has one finding per rule with a known status, and its verdict is the one its
    findings imply.
    """
    problems: list[Problem] = []
    if data.get("facility_type") != facility_type:
        problems.append(Problem("evaluation.facility_type", data.get("facility_type"),
                                f"`{facility_type}` (the facility's type)"))
    for key in ("ruleset_id", "ruleset_version"):
        if not _short_text(data.get(key), MAX_RULESET_LEN):
            problems.append(Problem(f"evaluation.{key}", data.get(key),
                                    f"the ruleset's {key.removeprefix('ruleset_')}, "
                                    f"1 to {MAX_RULESET_LEN} characters"))
    score = data.get("score")
    if score is not None and not (
        isinstance(score, int | float) and not isinstance(score, bool)
        and math.isfinite(score) and 0 <= score <= 100
    ):
        problems.append(Problem("evaluation.score", score, "empty or a number from 0 to 100"))
    if not isinstance(data.get("measurements"), Mapping):
        problems.append(Problem("evaluation.measurements", data.get("measurements"),
                                "the validated measurements the evaluation used"))
    findings = data.get("findings")
    if not isinstance(findings, list):
        problems.append(Problem("evaluation.findings", findings, "a list of findings"))
        return problems
    seen: set[str] = set()
    statuses: list[str] = []  # of the requirement findings: advice never enters the verdict
    checked = 0
    for i, f in enumerate(findings):
        where = f"evaluation.findings[{i}]"
        if not _is_mapping(f):
            problems.append(Problem(where, f, "a finding"))
            continue
        rule_id = f.get("rule_id")
        if not isinstance(rule_id, str) or not _short_text(rule_id, MAX_RULE_ID_LEN):
            problems.append(Problem(f"{where}.rule_id", rule_id,
                                    f"a rule id of 1 to {MAX_RULE_ID_LEN} characters"))
        elif rule_id in seen:
            problems.append(Problem(f"{where}.rule_id", rule_id, "each rule once"))
        else:
            seen.add(rule_id)
        status = f.get("status")
        obligation = f.get("obligation", "requirement")
        if obligation not in OBLIGATIONS:
            problems.append(Problem(f"{where}.obligation", obligation,
                                    f"one of {', '.join(OBLIGATIONS)}"))
        if status not in FINDING_STATUSES:
            problems.append(Problem(f"{where}.status", status,
                                    f"one of {', '.join(FINDING_STATUSES)}"))
        elif status == "fail" and obligation == "advice":
            problems.append(Problem(f"{where}.status", status,
                                    "`advice` for an advice clause (宜), never `fail`"))
        elif status == "advice" and obligation != "advice":
            problems.append(Problem(f"{where}.status", status,
                                    "`advice` only on a finding whose obligation is `advice`"))
        else:
            checked += 1
            if obligation == "requirement":
                statuses.append(status)
        if not _short_text(f.get("severity"), MAX_SEVERITY_LEN):
            problems.append(Problem(f"{where}.severity", f.get("severity"),
                                    f"a severity name of 1 to {MAX_SEVERITY_LEN} characters"))
    verdict = data.get("verdict")
    if verdict not in EVALUATION_VERDICTS:
        problems.append(Problem("evaluation.verdict", verdict,
                                f"one of {', '.join(EVALUATION_VERDICTS)}"))
    elif checked == len(findings):
        implied = derived_verdict(statuses, unconfirmed=_unconfirmed(data.get("suspects")))
        if verdict != implied:
            problems.append(Problem("evaluation.verdict", verdict,
                                    f"`{implied}`, as its findings imply"))
    return problems


def check_measured_from(measured_from: Mapping[str, Any], measurements: Any) -> list[Problem]:
    """Every reason a re-audit's ``measured_from`` (field → the earlier audit and time its
    carried value came from) cannot be stored with these measurements."""
    problems: list[Problem] = []
    known = measurements if isinstance(measurements, Mapping) else {}
    for name, source in measured_from.items():
        where = f"measured_from.{name}"
        if name not in known:
            problems.append(Problem(where, name, "a field of the audit's measurements"))
            continue
        ok = (isinstance(source, Mapping)
              and isinstance(source.get("audit_id"), int)
              and not isinstance(source.get("audit_id"), bool)
              and isinstance(source.get("sequence"), int)
              and isinstance(source.get("at"), str) and _is_time(source["at"]))
        if not ok:
            problems.append(Problem(where, source, "{audit_id, sequence, at (ISO time)} of the "
                                    "earlier audit that measured it"))
    return problems


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _clip(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def finding_row(
    finding: Mapping[str, Any],
    *,
    audit_id: int,
    facility_id: int,
    district_code: str | None,
    facility_type: str,
    ruleset_id: str,
    ruleset_version: str,
    is_current: bool,
) -> dict[str, Any]:
    """The ``findings`` row of one finding as :meth:`audit.scoring.Finding.to_dict` gives it.

    ``measured_value`` holds a number (``None`` for yes/no and choice readings, whose reading is
    in ``measured_text``); absent keys (an older or hand-made evaluation) become empty values.
    ``district_code`` and ``facility_type`` are the facility's, copied so that aggregates need
    no join (they never change after the facility is created).
    """
    measured = finding.get("measured")
    value = text = unit = None
    if _is_mapping(measured):
        raw = measured.get("value")
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            value = float(raw)
        shown = measured.get("text")
        text = _clip(shown if shown is not None else raw, MAX_MEASURED_TEXT_LEN)
        unit = _clip(measured.get("unit"), MAX_UNIT_LEN)
    threshold = finding.get("threshold")
    threshold_text = threshold.get("text", "") if _is_mapping(threshold) else ""
    return {
        "audit_id": audit_id,
        "facility_id": facility_id,
        "district_code": district_code,
        "facility_type": facility_type,
        "rule_id": str(finding["rule_id"]),
        "status": str(finding["status"]),
        "severity": str(finding["severity"]),
        "measured_value": value,
        "measured_text": text,
        "measured_unit": unit,
        "threshold_text": str(threshold_text or ""),
        "clause": _clip(finding.get("clause") or "", MAX_CLAUSE_LEN) or "",
        "reference": _clip(finding.get("reference") or "", MAX_REFERENCE_LEN) or "",
        "provisional": bool(finding.get("provisional", False)),
        "obligation": str(finding.get("obligation") or "requirement"),
        "ruleset_id": ruleset_id,
        "ruleset_version": ruleset_version,
        "is_current": is_current,
    }


def write_findings(
    session: so.Session, audit: Audit, facility: Facility, data: Mapping[str, Any]
) -> None:
    """Replace the finding rows of ``audit`` with those of the (checked) evaluation ``data``."""
    session.execute(sa.delete(AuditFinding).where(AuditFinding.audit_id == audit.id))
    rows = [
        finding_row(f, audit_id=audit.id, facility_id=facility.id,
                    district_code=facility.district_code, facility_type=facility.facility_type,
                    ruleset_id=audit.ruleset_id, ruleset_version=audit.ruleset_version,
                    is_current=audit.is_current)
        for f in data["findings"]
    ]
    if rows:
        session.execute(sa.insert(AuditFinding), rows)


def move_current(
    session: so.Session, facility_id: int, *, verdict: str, submitted_at: datetime
) -> None:
    """Make way for a newly submitted audit of the facility as its current one.

    Takes the "current" mark off the previous current audit and its findings, and records the
    new audit's verdict and time on the facility; the caller then stores the new audit and its
    findings with the mark, in the same transaction. The caller holds the facility's row lock,
    and a unique partial index allows one current audit per facility, so two writers can never
    both leave theirs current.
    """
    previous = list(session.scalars(
        sa.select(Audit.id).where(Audit.facility_id == facility_id, Audit.is_current)
    ))
    if previous:
        session.execute(
            sa.update(AuditFinding).where(AuditFinding.audit_id.in_(previous))
            .values(is_current=False)
        )
        session.execute(sa.update(Audit).where(Audit.id.in_(previous)).values(is_current=False))
    session.execute(
        sa.update(Facility).where(Facility.id == facility_id)
        .values(current_verdict=verdict, current_submitted_at=submitted_at)
        .execution_options(synchronize_session="fetch")
    )


__all__ = [
    "EVALUATION_VERDICTS",
    "FINDING_STATUSES",
    "OBLIGATIONS",
    "EvaluationLike",
    "check_evaluation",
    "check_measured_from",
    "derived_verdict",
    "finding_row",
    "move_current",
    "write_findings",
]
