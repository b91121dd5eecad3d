"""Evaluate one facility's measurements against a ruleset: findings, verdict and a 0–100 score.

Pure functions: no I/O beyond loading the (cached) default ruleset. See docs/SCORING.md for the
meaning of statuses, verdicts, the score and the provisional flag.

- The measurements are read by :func:`audit.model.check_measurements`: contradictions are input
  errors; presence is inferred from measurements of a feature; values outside their plausible range
  are *suspect* and left unread until confirmed (``strict`` rejects them).
- A **finding** per rule of the facility type: ``pass``, ``fail``, ``not_applicable`` (its
  condition does not hold, e.g. handrails on a ramp rising 200 mm), ``not_measured`` (a field the
  rule or its condition needs was left empty, or a suspect value is not confirmed) or ``advice``
  (a clause worded 宜 that is not followed).
- **Split rules** (``split`` in the ruleset): when the context flag that chooses the branch was not
  recorded, every branch is judged. A value that fails every branch fails (on the most lenient
  one), a value that passes every branch passes (on the strictest), and a value in between is
  ``not_measured`` with the question to answer.
- **Verdict**: ``non_compliant`` if any requirement fails; else ``incomplete`` if any applicable
  requirement is not measured or a suspect value waits for confirmation; else ``compliant``.
  Advice never changes it.
- **Score**: severity-weighted share of the applicable, measured requirements that pass, 0–100;
  ``None`` when none was measured (an empty audit is not a zero). Advice counts on neither side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, Literal

from audit.checks import (
    ADVICE,
    CHECKS,
    FAIL,
    NOT_APPLICABLE,
    NOT_MEASURED,
    PASS,
    STATUS_NAMES,
    Outcome,
    conditions_scalar,
)
from audit.errors import InputError, Problem
from audit.model import (
    CheckedMeasurements,
    MeasurementField,
    check_measurements,
    review_measurements,
    schema,
)
from audit.rules.loader import Rule, Ruleset, default_ruleset, split_fields, split_worlds

Status = Literal["pass", "fail", "not_applicable", "not_measured", "advice"]
Verdict = Literal["compliant", "non_compliant", "incomplete"]
Severity = Literal["critical", "major", "minor"]

VERDICTS: tuple[str, ...] = ("compliant", "non_compliant", "incomplete")
STATUS_ORDER: dict[str, int] = {"fail": 0, "not_measured": 1, "advice": 2, "pass": 3,
                                "not_applicable": 4}
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "major": 1, "minor": 2}
#: A world of a split in which no branch applies (the requirement does not arise).
FREE = -1
_TUPLES = ("fields", "suspect", "confirmed")


@dataclass(frozen=True)
class Finding:
    """The result of one rule for one facility.

    Besides the verdict of the clause it says how the input was read: ``inferred`` maps each
    presence flag the rule read that was not recorded to the measurement it was inferred from;
    ``suspect`` lists the fields the rule would read whose value is outside its plausible range
    and not confirmed (so the rule could not be judged), ``confirmed`` those confirmed by the
    inspector. ``split`` explains how a rule split by an unrecorded flag was judged, and
    ``question`` (``fields``, ``text_zh``, ``text_en``) what to record to decide it.
    """

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
    obligation: str = "requirement"
    inferred: dict[str, str] = field(default_factory=dict)
    suspect: tuple[str, ...] = ()
    confirmed: tuple[str, ...] = ()
    split: dict[str, Any] | None = None
    question: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain data: what ``dataclasses.asdict`` gives, with the tuple fields
        as lists; copied by :func:`_plain`, which is ~4x faster than ``asdict`` on findings
        (their values are JSON scalars, dicts, lists and tuples)."""
        values = vars(self)  # the fields, in their order (a frozen dataclass without slots)
        d = {name: _plain(v) if type(v := values[name]) in _NESTED else v
             for name in _FINDING_FIELDS}
        for key in _TUPLES:
            d[key] = list(values[key])
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        d = dict(data)
        for key in _TUPLES:
            d[key] = tuple(d.get(key, ()))
        return cls(**d)

    def title(self, language: str = "zh") -> str:
        return self.title_zh if language.startswith("zh") else self.title_en

    @property
    def is_advice(self) -> bool:
        """A GB 50763 clause worded 宜: shown apart, never part of the verdict or score."""
        return self.obligation == "advice"


_FINDING_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Finding))


_NESTED = frozenset({dict, list, tuple})


def _plain(value: Any) -> Any:
    """A copy of nested dicts, lists and tuples; other values (immutable scalars) as they are.
    (Scalars are not passed to a call of their own: findings hold mostly scalars.)"""
    kind = type(value)
    if kind is dict:
        return {k: _plain(v) if type(v) in _NESTED else v for k, v in value.items()}
    if kind is list:
        return [_plain(v) if type(v) in _NESTED else v for v in value]
    if kind is tuple:
        return tuple([_plain(v) if type(v) in _NESTED else v for v in value])
    return value


@dataclass(frozen=True)
class Evaluation:
    """All findings for one facility, its verdict and score, and the ruleset that produced them.

    ``measurements`` are the values as recorded (what is stored with an audit, including the
    confirmed suspect fields); ``inferred`` the presence flags implied by them; ``suspects`` every
    value outside its plausible range (``audit.model.Suspect.to_dict``).
    """

    facility_type: str
    verdict: Verdict
    score: float | None
    findings: list[Finding]
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str = ""
    measurements: dict[str, Any] = field(default_factory=dict)
    inferred: dict[str, str] = field(default_factory=dict)
    suspects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fail"]

    @property
    def advice(self) -> list[Finding]:
        """Advice (宜) clauses that are not followed."""
        return [f for f in self.findings if f.status == "advice"]

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
        """True when a requirement's pass or fail rests on a provisional threshold."""
        return any(f.provisional and f.status in ("pass", "fail") and not f.is_advice
                   for f in self.findings)

    @property
    def unconfirmed(self) -> list[str]:
        """Fields whose suspect value waits for the inspector's confirmation."""
        return [s["field"] for s in self.suspects if not s.get("confirmed")]

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
            "inferred": dict(self.inferred),
            "suspects": [dict(s) for s in self.suspects],
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
            inferred=dict(data.get("inferred", {})),
            suspects=[dict(s) for s in data.get("suspects", [])],
        )


def evaluate(
    facility_type: str,
    measurements: Mapping[str, object],
    *,
    ruleset: Ruleset | None = None,
    strict: bool = False,
) -> Evaluation:
    """Check ``measurements`` (see :func:`audit.model.check_measurements`) and score them.

    Raises :class:`audit.errors.InputError` listing every bad field, every contradiction and,
    with ``strict``, every suspect value the inspector has not confirmed.
    """
    rs = ruleset if ruleset is not None else default_ruleset()
    checked = check_measurements(facility_type, measurements, strict=strict)
    findings = evaluate_rules(rs.for_facility(facility_type), checked)
    weights = rs.weights
    keyed: list[tuple[tuple[int, int, int], Finding]] = []
    passed = total = 0
    for order, f in enumerate(findings):
        if not f.is_advice and f.status in ("pass", "fail"):
            w = weights[f.severity]
            total += w
            if f.status == "pass":
                passed += w
        keyed.append(((STATUS_ORDER[f.status], SEVERITY_ORDER[f.severity], order), f))
    keyed.sort(key=lambda kf: kf[0])
    statuses = {f.status for _, f in keyed if not f.is_advice}
    verdict: Verdict
    if "fail" in statuses:
        verdict = "non_compliant"
    elif "not_measured" in statuses or checked.unconfirmed:
        verdict = "incomplete"  # a value waiting for confirmation never lets it read compliant
    else:
        verdict = "compliant"
    return Evaluation(
        facility_type=facility_type,
        verdict=verdict,
        score=score_from_weights(passed, total),
        findings=[f for _, f in keyed],
        ruleset_id=rs.id,
        ruleset_version=rs.version,
        ruleset_sha256=rs.sha256,
        measurements=checked.recorded,
        inferred=dict(checked.inferred),
        suspects=[s.to_dict() for s in checked.suspects],
    )


def evaluate_partial(
    facility_type: str, raw: Mapping[str, object], *, ruleset: Ruleset | None = None
) -> tuple[Evaluation | None, dict[str, list[Problem]]]:
    """A live verdict for a partly filled form: (evaluation or None, problems per field).

    Values that cannot be read are left out (shown beside their field instead); suspect values
    stay unread until confirmed, as in :func:`evaluate`. Contradictory input gives no evaluation.
    """
    issues = review_measurements(facility_type, raw)
    unreadable = {n for n, ps in issues.items()
                  if any(p.code not in _NOT_FIELD_ERRORS for p in ps)}
    usable = {k: v for k, v in raw.items() if k not in unreadable}
    try:
        return evaluate(facility_type, usable, ruleset=ruleset), issues
    except InputError:
        return None, issues


_NOT_FIELD_ERRORS = frozenset({"contradiction", "count", "suspect", "suspect_confirmed"})


def score_from_weights(passed: int, total: int) -> float | None:
    """``passed / total × 100``; ``None`` when nothing applicable was measured."""
    return passed / total * 100 if total else None


# ---------------------------------------------------------------------------------------------
# rules


@dataclass(frozen=True)
class _Base:
    """A rule's check before applicability: outcome for display, status, exception rescue."""

    outcome: Outcome
    status: int
    via: bool
    threshold: dict[str, Any]


def _base(rule: Rule, m: Mapping[str, Any], fields: Mapping[str, MeasurementField]) -> _Base:
    check = CHECKS[rule.check]
    outcome = check.scalar(m, rule.params, fields)
    threshold = dict(outcome.threshold)
    status = outcome.status
    via = False
    exc = rule.exception
    if exc is not None:
        relaxed = check.scalar(m, exc.params, fields)
        when = " and ".join(c.text() for c in exc.when)  # machine names: exports, logs
        threshold["exception"] = {**relaxed.threshold, "when": when,
                                  "verification": exc.verification,
                                  "provisional": exc.provisional,
                                  "note_zh": exc.note_zh, "note_en": exc.note_en}
        said = {"text": when,  # what a person reads names the fields by their labels
                "text_en": " and ".join(c.words("en", fields) for c in exc.when),
                "text_zh": "，且".join(c.words("zh", fields) for c in exc.when)}
        for key, word in (("text", "when"), ("text_en", "when"), ("text_zh", "当")):
            threshold[key] = f"{threshold[key]}; {relaxed.threshold[key]} {word} {said[key]}"
        if status == FAIL and relaxed.status == PASS:
            ex_applies = conditions_scalar(exc.when, m)
            if ex_applies is not False:
                status = PASS if ex_applies else NOT_MEASURED
                via = bool(ex_applies)
    return _Base(outcome, status, via, threshold)


def applicability(rule: Rule, m: Mapping[str, Any]) -> bool | None:
    """``when`` and not all of ``unless``, three-valued (None: a field it needs is missing)."""
    applies = conditions_scalar(rule.when, m)
    if applies is False or not rule.unless:
        return applies
    unless = conditions_scalar(rule.unless, m)
    if unless is True:
        return False
    return None if unless is None else applies


def resolve_split(
    members: Sequence[Rule], statuses: Mapping[str, int], m: Mapping[str, Any], facility: str
) -> dict[str, tuple[int, dict[str, Any] | None, dict[str, Any] | None]]:
    """Judge the branches of a split group: ``{rule_id: (status, split note, question)}``.

    Every world (combination of the unrecorded context flags) consistent with ``m`` picks the
    branch that applies in it (or none: the requirement does not arise, a "free" pass). With one
    branch in every world that branch is judged as usual. Otherwise the group passes when every
    world passes, fails when every world fails (reported on the most lenient branch), and is
    ``not_measured`` otherwise (with the question to answer when the worlds disagree); the other
    branches are ``not_applicable`` and name the branch they were judged with.
    """
    names = split_fields(members)
    fields = schema(facility)
    worlds = [w for w in _worlds(facility, names)
              if all(m.get(k) is None or m.get(k) == v for k, v in w.items())]
    outcomes: set[int] = set()
    candidates: list[int] = []
    for world in worlds:
        mw = {**m, **world}
        applying = [i for i, r in enumerate(members) if conditions_scalar(r.when, mw)]
        if not applying:
            outcomes.add(FREE)
            continue
        sts = [statuses[members[i].rule_id] for i in applying]
        outcomes.add(FAIL if FAIL in sts else NOT_MEASURED if NOT_MEASURED in sts else PASS)
        candidates.extend(i for i in applying if i not in candidates)
    candidates.sort()
    out: dict[str, tuple[int, dict[str, Any] | None, dict[str, Any] | None]] = {
        r.rule_id: (NOT_APPLICABLE, None, None) for r in members
    }
    if not candidates:
        return out
    if len(candidates) == 1 and FREE not in outcomes:
        rid = members[candidates[0]].rule_id
        out[rid] = (statuses[rid], None, None)
        return out
    if outcomes <= {PASS, FREE}:
        group = PASS
    elif outcomes == {FAIL}:
        group = FAIL
    else:
        group = NOT_MEASURED
    rep = members[candidates[-1] if group == FAIL else candidates[0]]
    unknown = [n for n in names if m.get(n) is None]
    zh = "、".join(f"“{fields[n].label_zh}”" for n in unknown)
    en = " and ".join(f"“{fields[n].label_en}”" for n in unknown)
    if group == PASS:
        kind, text_zh, text_en = ("passes_every_branch", f"未记录{zh}：任何一种情况下都满足要求。",
                                  f"{en} not recorded: meets the requirement in every case.")
    elif group == FAIL:
        kind, text_zh, text_en = ("fails_every_branch",
                                  f"未记录{zh}：任何一种情况下都不满足要求（按最宽松的要求判定）。",
                                  f"{en} not recorded: fails the requirement in every case "
                                  "(judged on the most lenient one).")
    else:
        kind, text_zh, text_en = ("undecided", f"未记录{zh}：结论取决于此，请补充记录。",
                                  f"{en} not recorded: the verdict depends on it; record it.")
    branches = [members[i].rule_id for i in candidates]
    note = {"group": rep.split, "outcome": kind, "branches": branches, "unknown": unknown,
            "judged_with": "", "text_zh": text_zh, "text_en": text_en}
    question = None
    if group == NOT_MEASURED and len(outcomes) > 1:
        question = {"fields": unknown,
                    "text_zh": " ".join(fields[n].question("zh") for n in unknown),
                    "text_en": " ".join(fields[n].question("en") for n in unknown)}
    out[rep.rule_id] = (group, note, question)
    for rid in branches:
        if rid != rep.rule_id:
            other = {**note, "judged_with": rep.rule_id,
                     "text_zh": f"与 {rep.reference} 一并判定：{text_zh}",
                     "text_en": f"Judged together with {rep.reference}: {text_en}"}
            out[rid] = (NOT_APPLICABLE, other, None)
    return out


@lru_cache(maxsize=256)
def _worlds(facility: str, names: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
    """:func:`split_worlds`, made once per group (read them, never change them)."""
    return tuple(split_worlds(facility, names))


def evaluate_rules(rules: Sequence[Rule], checked: CheckedMeasurements) -> list[Finding]:
    """The findings of ``rules`` (one facility type, file order) on checked measurements."""
    ftype = checked.facility_type
    fields = schema(ftype)
    m = checked.readable
    bases = {r.rule_id: _base(r, m, fields) for r in rules}
    resolved: dict[str, tuple[int, dict[str, Any] | None, dict[str, Any] | None]] = {}
    groups: dict[str, list[Rule]] = {}
    applies: dict[str, bool | None] = {}
    for r in rules:
        if r.split:
            groups.setdefault(r.split, []).append(r)
        else:
            applies[r.rule_id] = a = applicability(r, m)
            status = bases[r.rule_id].status
            status = NOT_APPLICABLE if a is False else NOT_MEASURED if a is None else status
            resolved[r.rule_id] = (status, None, None)
    for members in groups.values():
        resolved.update(resolve_split(members, {r.rule_id: bases[r.rule_id].status
                                                for r in members}, m, ftype))
    unconfirmed = set(checked.unconfirmed)
    out = []
    for r in rules:
        status, note, question = resolved[r.rule_id]
        base = bases[r.rule_id]
        via = base.via and status == PASS and note is None and applies.get(r.rule_id) is not False
        if r.is_advice and status == FAIL:
            status = ADVICE
        reads = r.reads
        if "area_m2" in reads and "area_m2" not in checked.recorded:
            reads = (*reads, "internal_width_mm", "internal_depth_mm")
        suspect = tuple(f for f in reads if f in unconfirmed)
        measured = base.outcome.measured
        if suspect:  # show what was typed, though the rule could not read it
            measured = CHECKS[r.check].scalar(checked.values, r.params, fields).measured
        exc = r.exception
        out.append(Finding(
            rule_id=r.rule_id,
            standard=r.standard,
            edition=r.edition,
            clause=r.clause,
            item=r.item,
            reference=r.reference,
            status=STATUS_NAMES[status],  # type: ignore[arg-type]
            severity=r.severity,  # type: ignore[arg-type]
            measured=measured,
            threshold=base.threshold,
            verification=exc.verification if via and exc else r.verification,
            provisional=r.provisional or bool(via and exc and exc.provisional),
            title_zh=r.title_zh,
            title_en=r.title_en,
            fields=r.fields,
            applies_when=r.applies_text,
            via_exception=via,
            source=r.source,
            obligation=r.obligation,
            inferred={f: checked.inferred[f] for f in reads if f in checked.inferred},
            suspect=suspect,
            confirmed=tuple(f for f in reads if f in checked.confirmed),
            split=note,
            question=question,
        ))
    return out


def evaluate_rule(
    rule: Rule, m: Mapping[str, Any], fields: Mapping[str, MeasurementField] | None = None
) -> Finding:
    """One rule on its own against validated measurements ``m`` (a split rule is judged as a
    group of one: use :func:`evaluate` to judge it with its sibling branches)."""
    checked = CheckedMeasurements(rule.facility_type, dict(m), dict(m), dict(m), {}, (), ())
    return evaluate_rules([rule], checked)[0]


__all__ = [
    "ADVICE",
    "FAIL",
    "NOT_APPLICABLE",
    "NOT_MEASURED",
    "PASS",
    "VERDICTS",
    "Evaluation",
    "Finding",
    "applicability",
    "evaluate",
    "evaluate_partial",
    "evaluate_rule",
    "evaluate_rules",
    "resolve_split",
    "score_from_weights",
]
