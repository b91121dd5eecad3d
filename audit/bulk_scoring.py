"""Score a batch of one facility type's audits at once: the evaluations as plain data.

:func:`evaluation_dicts` gives, for each raw measurement record, exactly what
``audit.scoring.evaluate(facility_type, raw, strict=strict).to_dict()`` gives — the JSON-safe
evaluation an audit stores — without building a :class:`~audit.scoring.Finding` per rule and
copying it to a dict. The rules' checks, their exceptions and their conditions run once per rule
over the whole batch as numpy arrays (:mod:`audit.vectorized`, which the tests hold equal to the
scalar engine); each row's findings are then assembled from per-rule templates (the parts of a
finding that only depend on the rule, made once per batch) and the row's own values: its
status, what was measured, the exception it passed through, the flags inferred for it, its
suspect and confirmed values. The split groups of a row whose branch flag was not recorded are
judged by :func:`audit.scoring.resolve_split` (their note and question name the row's unknown
fields). Each record is read by :func:`audit.model.check_measurements` as the scalar engine
reads it; a bad record raises its :class:`~audit.errors.InputError` (the caller words it per row).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _quote
from typing import Any

import numpy as np

from audit.checks import (
    ADVICE,
    CHECKS,
    FAIL,
    NOT_APPLICABLE,
    NOT_MEASURED,
    PASS,
    STATUS_NAMES,
    _measured,
)
from audit.model import CheckedMeasurements, MeasurementField, check_measurements, schema
from audit.rules.loader import Rule, Ruleset, default_ruleset, split_fields
from audit.scoring import (
    SEVERITY_ORDER,
    STATUS_ORDER,
    _base,
    resolve_split,
    score_from_weights,
)
from audit.vectorized import _applicability, _base_vector

#: checks whose threshold never depends on the measurements (made once per rule); what they
#: measured is read here for the one-field checks and by the check itself for the others
_STATIC_THRESHOLD = frozenset({"max", "min", "range", "exact", "flag", "one_of",
                               "min_dimensions"})
_ONE_FIELD = frozenset({"max", "min", "range", "exact", "flag"})
_STATUS_TEXT = tuple(STATUS_NAMES)
_REQUIREMENT_STATUS_ORDER = {code: STATUS_ORDER[name] for code, name in enumerate(STATUS_NAMES)}


@dataclass(frozen=True)
class ScoredAudit:
    """One evaluation of a batch as the storage layer takes it (``to_dict``: the plain data,
    not a copy; ``to_json``: its JSON text, exactly ``json.dumps(to_dict())``, made from the
    rules' fixed parts encoded once per batch)."""

    data: dict[str, Any]
    codecs: Mapping[str, _Codec]

    def to_dict(self) -> dict[str, Any]:
        return self.data

    @property
    def suspects(self) -> list[dict[str, Any]]:
        suspects: list[dict[str, Any]] = self.data["suspects"]
        return suspects

    def to_json(self) -> str:
        data = self.data
        head = json.dumps({k: v for k, v in data.items() if k != "findings"})
        codecs = self.codecs
        findings = ", ".join(codecs[f["rule_id"]].encode(f) for f in data["findings"])
        return f'{head[:-1]}, "findings": [{findings}]}}'


def _text(value: Any) -> str:
    """``json.dumps(value)`` (default settings), without its overhead for the common values."""
    kind = type(value)
    if kind is str:
        return _quote(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if (kind is list or kind is dict) and not value:
        return "[]" if kind is list else "{}"
    return json.dumps(value)


#: the keys of a finding that differ between the rows of a rule (the others are the rule's)
_VARYING = frozenset({"status", "measured", "threshold", "verification", "provisional",
                      "via_exception", "inferred", "suspect", "confirmed", "split", "question"})


class _Codec:
    """A rule's findings as JSON: the runs of keys fixed by the rule are encoded once."""

    def __init__(self, template: Mapping[str, Any]) -> None:
        #: per varying key: the fixed text before it, the key, the template's value, its text
        self.pieces: list[tuple[str, str, Any, str]] = []
        text = "{"
        for n, (key, value) in enumerate(template.items()):
            text += ("" if n == 0 else ", ") + json.dumps(key) + ": "
            if key in _VARYING:
                self.pieces.append((text, key, value, _text(value)))
                text = ""
            else:
                text += _text(value)
        self.tail = text + "}"
        self.size = len(template)
        #: the text of each finding encoded so far (rows of a batch share findings)
        self.texts: dict[int, tuple[Mapping[str, Any], str]] = {}

    def encode(self, finding: Mapping[str, Any]) -> str:
        """``json.dumps(finding)`` for a finding made from this rule's template (its fixed
        keys unchanged)."""
        known = self.texts.get(id(finding))
        if known is not None and known[0] is finding:
            return known[1]
        if len(finding) != self.size:
            return json.dumps(finding)
        out = []
        for before, key, fixed, fixed_text in self.pieces:
            value = finding[key]
            out.append(before)
            out.append(fixed_text if value is fixed else _text(value))
        out.append(self.tail)
        text = "".join(out)
        self.texts[id(finding)] = (finding, text)  # the finding kept: its id stays its own
        return text


class _Split:
    """A split group of a batch and its judgements so far (by statuses and context values)."""

    def __init__(self, members: list[Rule]) -> None:
        self.members = members
        self.names = split_fields(members)
        self.judged: dict[tuple[Any, ...], dict[str, tuple[int, Any, Any]]] = {}


class _RulePlan:
    """What a batch needs of one rule: its finding's fixed parts and how to read the rest."""

    def __init__(self, rule: Rule, fields: Mapping[str, MeasurementField]) -> None:
        self.rule = rule
        self.rule_id = rule.rule_id
        self.check = rule.check
        self.field = rule.params.get("field") if rule.check in _ONE_FIELD else None
        self.unit = (fields[self.field].unit if self.field is not None and rule.check != "flag"
                     else None)
        self.static = rule.check in _STATIC_THRESHOLD
        self.threshold = _base(rule, {}, fields).threshold if self.static else None
        self.severity_order = SEVERITY_ORDER[rule.severity]
        self.is_advice = rule.is_advice
        self.reads = rule.reads
        #: the finding with every part that depends on the rule only, in the order of
        #: ``Finding.to_dict``'s keys; a row copies it and sets the rest
        self.template: dict[str, Any] = {
            "rule_id": rule.rule_id, "standard": rule.standard, "edition": rule.edition,
            "clause": rule.clause, "item": rule.item, "reference": rule.reference,
            "status": None, "severity": rule.severity, "measured": None,
            "threshold": self.threshold, "verification": rule.verification,
            "provisional": rule.provisional, "title_zh": rule.title_zh,
            "title_en": rule.title_en, "fields": list(rule.fields),
            "applies_when": rule.applies_text,
            "via_exception": False, "source": rule.source, "obligation": rule.obligation,
            "inferred": None, "suspect": None, "confirmed": None, "split": None,
            "question": None}
        self.fields = rule.fields
        self.exc = rule.exception
        self.with_area = "area_m2" in rule.reads
        #: the batch's findings of the rule by what they are made of: rows that read the same
        #: values share one finding (and its JSON text)
        self.cache: dict[tuple[Any, ...], dict[str, Any]] = {}


def evaluation_dicts(
    facility_type: str,
    raws: Sequence[Mapping[str, object]],
    *,
    strict: bool = False,
    ruleset: Ruleset | None = None,
) -> list[dict[str, Any]]:
    """``[evaluate(facility_type, raw, strict=strict).to_dict() for raw in raws]``, at once.

    The first bad record raises what :func:`audit.scoring.evaluate` raises for it. Rows whose
    finding of a rule is made of the same status and values share that finding's dict, and a
    rule's threshold dict is shared by its findings: read them, never change them.
    """
    return _evaluate(facility_type, raws, strict=strict, ruleset=ruleset)[0]


def score_batch(
    facility_type: str,
    raws: Sequence[Mapping[str, object]],
    *,
    strict: bool = False,
    ruleset: Ruleset | None = None,
) -> list[ScoredAudit]:
    """:func:`evaluation_dicts`, each wrapped to be stored (with its JSON text at hand)."""
    found, plans = _evaluate(facility_type, raws, strict=strict, ruleset=ruleset)
    codecs = {p.rule_id: _Codec(p.template) for p in plans}
    return [ScoredAudit(data, codecs) for data in found]


def _evaluate(
    facility_type: str, raws: Sequence[Mapping[str, object]], *, strict: bool,
    ruleset: Ruleset | None,
) -> tuple[list[dict[str, Any]], list[_RulePlan]]:
    rs = ruleset if ruleset is not None else default_ruleset()
    fields = schema(facility_type)
    rules = rs.for_facility(facility_type)
    rows = [check_measurements(facility_type, raw, strict=strict) for raw in raws]
    n = len(rows)
    plans = [_RulePlan(r, fields) for r in rules]
    if n == 0:
        return [], plans
    cols = _arrays(fields, [c.readable for c in rows])
    base = {r.rule_id: _base_vector(r, cols, n) for r in rules}
    status_of: dict[str, list[int]] = {}
    via_of: dict[str, list[bool]] = {}
    members: dict[str, list[Rule]] = {}
    for r in rules:
        status, via = base[r.rule_id]
        if r.split:
            members.setdefault(r.split, []).append(r)
            status_of[r.rule_id] = status.tolist()
            via_of[r.rule_id] = via.tolist()
            continue
        false, unknown = _applicability(r, cols, n)
        final = np.where(false, NOT_APPLICABLE, np.where(unknown, NOT_MEASURED, status))
        status_of[r.rule_id] = final.tolist()
        via_of[r.rule_id] = (via & (final == PASS) & ~false).tolist()
    groups = [_Split(group) for group in members.values()]
    weights = rs.weights
    head = {"ruleset_id": rs.id, "ruleset_version": rs.version, "ruleset_sha256": rs.sha256}
    out = [_row(facility_type, k, c, plans, groups, status_of, via_of, fields, weights, head)
           for k, c in enumerate(rows)]
    return out, plans


def _arrays(fields: Mapping[str, MeasurementField],
            readables: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Each field's readable values as float codes (NaN = not read), as :mod:`audit.vectorized`
    holds them: booleans 1/0, choices their index, numbers as floats."""
    cols: dict[str, np.ndarray] = {}
    nan = float("nan")
    for name, spec in fields.items():
        values = [m.get(name) for m in readables]
        if spec.kind == "bool":
            codes = [nan if v is None else (1.0 if v else 0.0) for v in values]
        elif spec.kind == "choice":
            index = {c: float(i) for i, c in enumerate(spec.choices)}
            codes = [nan if v is None else index[v] for v in values]
        else:
            codes = [nan if v is None else float(v) for v in values]
        cols[name] = np.asarray(codes, dtype=np.float64)
    return cols


def _row(
    facility_type: str, k: int, c: CheckedMeasurements, plans: Sequence[_RulePlan],
    groups: Sequence[_Split], status_of: Mapping[str, list[int]],
    via_of: Mapping[str, list[bool]], fields: Mapping[str, MeasurementField],
    weights: Mapping[str, int], head: Mapping[str, str],
) -> dict[str, Any]:
    """One record's evaluation dict (as ``Evaluation.to_dict``)."""
    m = c.readable
    resolved: dict[str, tuple[int, dict[str, Any] | None, dict[str, Any] | None]] = {}
    for group in groups:
        # a split group is judged on its branches' statuses and its context fields only
        context = (tuple([status_of[r.rule_id][k] for r in group.members]),
                   tuple([repr(m.get(n)) for n in group.names]))
        judgement = group.judged.get(context)
        if judgement is None:
            judgement = group.judged[context] = resolve_split(
                group.members, {r.rule_id: status_of[r.rule_id][k] for r in group.members}, m,
                facility_type)
        resolved.update(judgement)
    unconfirmed = set(c.unconfirmed)
    inferred, confirmed = c.inferred, c.confirmed
    keyed: list[tuple[tuple[int, int, int], dict[str, Any]]] = []
    counts = dict.fromkeys(STATUS_NAMES, 0)
    passed = total = 0
    failed = gap = False
    for order, p in enumerate(plans):
        r = p.rule
        note = question = None
        if r.split:
            status, note, question = resolved[p.rule_id]
            via = via_of[p.rule_id][k] and status == PASS and note is None
        else:
            status = status_of[p.rule_id][k]
            via = via_of[p.rule_id][k]
        if p.is_advice and status == FAIL:
            status = ADVICE
        reads = p.reads
        if p.with_area and "area_m2" not in c.recorded:
            reads = (*reads, "internal_width_mm", "internal_depth_mm")
        suspect = [f for f in reads if f in unconfirmed] if unconfirmed else []
        name = _STATUS_TEXT[status]
        counts[name] += 1
        if not p.is_advice:
            if status == FAIL:
                failed = True
                total += weights[r.severity]
            elif status == PASS:
                total += weights[r.severity]
                passed += weights[r.severity]
            elif status == NOT_MEASURED:
                gap = True
        # everything the finding is made of: its status, the values of what it reads and its
        # split note (one object per judgement of the group, kept by the group for the batch)
        key: tuple[Any, ...] = (status, via, reads, tuple([repr(m.get(f)) for f in reads]))
        if note is not None or question is not None:
            key += (id(note), id(question))
        if suspect:
            key += (tuple(suspect), tuple([repr(c.values.get(f)) for f in reads]))
        if inferred:
            key += (tuple([(f, inferred[f]) for f in reads if f in inferred]),)
        if confirmed:
            key += (tuple([f for f in reads if f in confirmed]),)
        known = p.cache.get(key)
        if known is not None:
            keyed.append(((_REQUIREMENT_STATUS_ORDER[status], p.severity_order, order), known))
            continue
        source = c.values if suspect else m
        if p.static:
            threshold = p.threshold
            if p.field is not None:
                x = source.get(p.field)
                measured = None if x is None else _measured(x, p.unit)
            else:
                measured = CHECKS[p.check].scalar(source, r.params, fields).measured
        else:
            judged = _base(r, m, fields)
            threshold = judged.threshold
            measured = (CHECKS[p.check].scalar(source, r.params, fields).measured if suspect
                        else judged.outcome.measured)
        exc = p.exc
        finding = p.template.copy()
        finding["status"] = name
        finding["measured"] = measured
        finding["threshold"] = threshold
        if via:
            finding["via_exception"] = True
            if exc is not None:
                finding["verification"] = exc.verification
                finding["provisional"] = r.provisional or exc.provisional
        finding["fields"] = list(p.fields)
        finding["inferred"] = {f: inferred[f] for f in reads if f in inferred} \
            if inferred else {}
        finding["suspect"] = suspect
        finding["confirmed"] = [f for f in reads if f in confirmed] if confirmed else []
        if note is not None:
            finding["split"] = note
        if question is not None:
            finding["question"] = question
        p.cache[key] = finding
        keyed.append(((_REQUIREMENT_STATUS_ORDER[status], p.severity_order, order), finding))
    keyed.sort(key=lambda kf: kf[0])
    verdict = ("non_compliant" if failed else
               "incomplete" if gap or unconfirmed else "compliant")
    return {
        "facility_type": facility_type,
        "verdict": verdict,
        "score": score_from_weights(passed, total),
        "counts": counts,
        **head,
        "measurements": dict(c.recorded),
        "inferred": dict(inferred),
        "suspects": [s.to_dict() for s in c.suspects],
        "findings": [f for _, f in keyed],
    }


__all__ = ["ScoredAudit", "evaluation_dicts", "score_batch"]
