"""Evaluate one facility's measurements against a ruleset: findings, verdict and a 0–100 score.

Pure functions: no I/O beyond loading the (cached) default ruleset. See docs/SCORING.md for the
meaning of statuses, verdicts, the score and the provisional flag.

- A **finding** per rule of the facility type: ``pass``, ``fail``, ``not_applicable`` (its
  condition does not hold, e.g. handrails on a ramp rising 200 mm) or ``not_measured`` (a field
  the rule or its condition needs was left empty).
- **Verdict**: ``non_compliant`` if any finding fails; else ``incomplete`` if any applicable
  rule is not measured; else ``compliant``.
- **Score**: severity-weighted share of the applicable, measured rules that pass, 0–100; ``None``
  when no applicable rule was measured (an empty audit is not a zero).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from audit.checks import (
    CHECKS,
    FAIL,
    NOT_APPLICABLE,
    NOT_MEASURED,
    PASS,
    STATUS_NAMES,
    conditions_scalar,
)
from audit.model import MeasurementField, schema, validate_measurements
from audit.rules.loader import Rule, Ruleset, default_ruleset

Status = Literal["pass", "fail", "not_applicable", "not_measured"]
Verdict = Literal["compliant", "non_compliant", "incomplete"]
Severity = Literal["critical", "major", "minor"]

VERDICTS: tuple[str, ...] = ("compliant", "non_compliant", "incomplete")
STATUS_ORDER: dict[str, int] = {"fail": 0, "not_measured": 1, "pass": 2, "not_applicable": 3}
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "major": 1, "minor": 2}


@dataclass(frozen=True)
class Finding:
    """The result of one rule for one facility."""

    rule_id: str
    standard: str
    edition: str
    clause: str
    item: int | None
    reference: str
    status: Status
    severity: Severity
    measured: dict[str, Any] | None
    threshold: dict[str, Any]
    verification: str
    provisional: bool
    title_zh: str
    title_en: str
    fields: tuple[str, ...] = ()
    applies_when: str = ""
    via_exception: bool = False
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["fields"] = list(self.fields)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        d = dict(data)
        d["fields"] = tuple(d.get("fields", ()))
        return cls(**d)

    def title(self, language: str = "zh") -> str:
        return self.title_zh if language.startswith("zh") else self.title_en


@dataclass(frozen=True)
class Evaluation:
    """All findings for one facility, its verdict and score, and the ruleset that produced them."""

    facility_type: str
    verdict: Verdict
    score: float | None
    findings: list[Finding]
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str = ""
    measurements: dict[str, Any] = field(default_factory=dict)

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fail"]

    @property
    def n_fail(self) -> int:
        return sum(f.status == "fail" for f in self.findings)

    @property
    def counts(self) -> dict[str, int]:
        """How many findings have each status."""
        out = dict.fromkeys(STATUS_NAMES, 0)
        for f in self.findings:
            out[f.status] += 1
        return out

    @property
    def has_provisional(self) -> bool:
        """True when a pass or fail rests on a secondary or unverified threshold."""
        return any(f.provisional and f.status in ("pass", "fail") for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (``json.dumps(..., ensure_ascii=False)`` works on it)."""
        return {
            "facility_type": self.facility_type,
            "verdict": self.verdict,
            "score": self.score,
            "counts": self.counts,
            "ruleset_id": self.ruleset_id,
            "ruleset_version": self.ruleset_version,
            "ruleset_sha256": self.ruleset_sha256,
            "measurements": dict(self.measurements),
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evaluation:
        return cls(
            facility_type=data["facility_type"],
            verdict=data["verdict"],
            score=data["score"],
            findings=[Finding.from_dict(f) for f in data["findings"]],
            ruleset_id=data["ruleset_id"],
            ruleset_version=data["ruleset_version"],
            ruleset_sha256=data.get("ruleset_sha256", ""),
            measurements=dict(data.get("measurements", {})),
        )


def evaluate(
    facility_type: str, measurements: Mapping[str, object], *, ruleset: Ruleset | None = None
) -> Evaluation:
    """Validate ``measurements`` (see :func:`audit.model.validate_measurements`) and score them.

    Raises :class:`audit.errors.InputError` listing every bad field.
    """
    rs = ruleset if ruleset is not None else default_ruleset()
    m = validate_measurements(facility_type, measurements)
    fields = schema(facility_type)
    weights = rs.weights
    findings: list[tuple[tuple[int, int, int], Finding]] = []
    passed = total = 0
    for order, rule in enumerate(rs.for_facility(facility_type)):
        f = evaluate_rule(rule, m, fields)
        if f.status in ("pass", "fail"):
            w = weights[rule.severity]
            total += w
            if f.status == "pass":
                passed += w
        findings.append(((STATUS_ORDER[f.status], SEVERITY_ORDER[f.severity], order), f))
    findings.sort(key=lambda kf: kf[0])
    statuses = {f.status for _, f in findings}
    verdict: Verdict
    if "fail" in statuses:
        verdict = "non_compliant"
    elif "not_measured" in statuses:
        verdict = "incomplete"
    else:
        verdict = "compliant"
    return Evaluation(
        facility_type=facility_type,
        verdict=verdict,
        score=score_from_weights(passed, total),
        findings=[f for _, f in findings],
        ruleset_id=rs.id,
        ruleset_version=rs.version,
        ruleset_sha256=rs.sha256,
        measurements=m,
    )


def score_from_weights(passed: int, total: int) -> float | None:
    """``passed / total × 100``; ``None`` when nothing applicable was measured."""
    return passed / total * 100 if total else None


def evaluate_rule(
    rule: Rule, m: Mapping[str, Any], fields: Mapping[str, MeasurementField]
) -> Finding:
    """One rule against validated measurements."""
    check = CHECKS[rule.check]
    applies = conditions_scalar(rule.when, m)
    outcome = check.scalar(m, rule.params, fields)
    threshold = dict(outcome.threshold)
    status = outcome.status
    via_exception = False
    exc = rule.exception
    if exc is not None:
        relaxed = check.scalar(m, exc.params, fields)
        when = " and ".join(c.text() for c in exc.when)
        threshold["exception"] = {**relaxed.threshold, "when": when,
                                  "verification": exc.verification,
                                  "provisional": exc.provisional,
                                  "note_zh": exc.note_zh, "note_en": exc.note_en}
        for key, word in (("text", "when"), ("text_en", "when"), ("text_zh", "当")):
            threshold[key] = f"{threshold[key]}; {relaxed.threshold[key]} {word} {when}"
        if applies and status == FAIL and relaxed.status == PASS:
            ex_applies = conditions_scalar(exc.when, m)
            if ex_applies is not False:
                status = PASS if ex_applies else NOT_MEASURED
                via_exception = bool(ex_applies)
    if applies is False:
        status = NOT_APPLICABLE
    elif applies is None:
        status = NOT_MEASURED
    verification = exc.verification if via_exception and exc else rule.verification
    provisional = rule.provisional or bool(via_exception and exc and exc.provisional)
    return Finding(
        rule_id=rule.rule_id,
        standard=rule.standard,
        edition=rule.edition,
        clause=rule.clause,
        item=rule.item,
        reference=rule.reference,
        status=STATUS_NAMES[status],  # type: ignore[arg-type]
        severity=rule.severity,  # type: ignore[arg-type]
        measured=outcome.measured,
        threshold=threshold,
        verification=verification,
        provisional=provisional,
        title_zh=rule.title_zh,
        title_en=rule.title_en,
        fields=rule.fields,
        applies_when=rule.applies_text,
        via_exception=via_exception,
        source=rule.source,
    )


__all__ = [
    "FAIL",
    "NOT_APPLICABLE",
    "NOT_MEASURED",
    "PASS",
    "VERDICTS",
    "Evaluation",
    "Finding",
    "evaluate",
    "evaluate_rule",
    "score_from_weights",
]
