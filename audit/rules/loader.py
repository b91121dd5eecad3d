"""Load and validate a versioned ruleset file (TOML), reporting every problem at once.

A ruleset file has a ``[ruleset]`` header (id, standard, edition, version, titles, optional
``include`` of supplement files), ``[scoring.weights]`` (one weight per severity) and one
``[[rules]]`` table per check. A *supplement* (``kind = "supplement"``, e.g. GB 50763-2012 detail
values) holds rules only and is loaded through a ruleset that includes it. Editions are separate
files; nothing in code branches on an edition.

Thresholds are written as ``{ value = 1.20, unit = "m" }`` or ``{ value = "1:12", unit = "ratio" }``
and converted to the measured field's unit as exact fractions (floats are read as decimals), see
:mod:`audit.checks`.

Optional rule keys (docs/SCORING.md explains each):

- ``obligation = "advice"`` for a clause worded 宜: not followed gives the status ``advice``,
  never ``fail``, and the rule counts in neither the verdict nor the score;
- ``split = "<group>"``: the rule is one branch of a requirement split by a context flag (new or
  existing building, automatic door, priority area). Branches share the group name, are listed
  strictest first, and their conditions are on yes/no or choice fields only. When the flag is not
  recorded every branch is judged (see :mod:`audit.scoring`);
- ``threshold_in_text = false`` on a ``first-line`` rule whose threshold lies outside the first
  line actually read: the rule is then provisional;
- ``applies_to.unless = [...]``: the rule does not apply when all these conditions hold (a level
  entrance needs no platform, but only with a measured slope of at most 1:20).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomli

from audit.checks import CHECKS, UNITS, Condition, Quantity
from audit.errors import InputError, Problem
from audit.model import FACILITY_TYPES, SCHEMAS, MeasurementField

RULES_DIR = Path(__file__).resolve().parent
DEFAULT_RULESET = "gb55019-2021"

SEVERITIES: tuple[str, ...] = ("critical", "major", "minor")
VERIFICATION_LEVELS: tuple[str, ...] = (
    "verified",
    "commentary",
    "first-line",
    "secondary",
    "unverified",
)
#: Verification levels whose threshold is scored but flagged provisional.
PROVISIONAL_LEVELS: frozenset[str] = frozenset({"secondary", "unverified"})
#: ``requirement`` (应 / 不应: a failure fails) or ``advice`` (宜: never a failure).
OBLIGATIONS: tuple[str, ...] = ("requirement", "advice")
#: The checklist's tags and the level each maps to.
CHECKLIST_TAGS: dict[str, str] = {
    "[V]": "verified",
    "[V-comm]": "commentary",
    "[V-1st]": "first-line",
    "[S]": "secondary",
    "[UNVERIFIED]": "unverified",
}

_RULE_KEYS = {
    "rule_id", "standard", "edition", "clause", "item", "title_zh", "title_en", "applies_to",
    "check", "params", "severity", "verification", "source", "exception", "obligation", "split",
    "threshold_in_text",
}
_REQUIRED_RULE_KEYS = _RULE_KEYS - {"item", "exception", "obligation", "split",
                                    "threshold_in_text"}
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_CLAUSE = re.compile(r"^\d+(\.\d+)+$")
_RATIO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$")
_NUMERIC_OPS = ("eq", "ne", "gt", "ge", "lt", "le")
_CHOICE_OPS = ("eq", "ne", "in")
_BOOL_OPS = ("eq", "ne")


class RulesetError(InputError):
    """A ruleset file is invalid; ``problems`` lists every problem found."""


@dataclass(frozen=True)
class RuleException:
    """A relaxed threshold that applies when ``when`` holds (e.g. 1:10 for rises ≤ 150 mm)."""

    when: tuple[Condition, ...]
    params: Mapping[str, Any]
    verification: str
    note_zh: str = ""
    note_en: str = ""

    @property
    def provisional(self) -> bool:
        return self.verification in PROVISIONAL_LEVELS


@dataclass(frozen=True)
class Rule:
    """One checklist row: which clause, which facilities, which check with which thresholds."""

    rule_id: str
    standard: str
    edition: str
    clause: str
    item: int | None
    title_zh: str
    title_en: str
    facility_type: str
    when: tuple[Condition, ...]
    check: str
    params: Mapping[str, Any]
    severity: str
    verification: str
    source: str
    exception: RuleException | None = None
    file: str = ""
    obligation: str = "requirement"
    split: str = ""
    threshold_in_text: bool = True
    unless: tuple[Condition, ...] = ()

    @property
    def provisional(self) -> bool:
        """True when the threshold rests on a secondary or unverified source, or on a first line
        that does not contain it (``threshold_in_text = false``)."""
        return self.verification in PROVISIONAL_LEVELS or not self.threshold_in_text

    @property
    def is_advice(self) -> bool:
        """A clause worded 宜: scored ``advice`` when not followed, outside verdict and score."""
        return self.obligation == "advice"

    @cached_property
    def reads(self) -> tuple[str, ...]:
        """Every field the rule reads: the check's fields and all its conditions."""
        names = list(self.fields)
        conds = self.when + self.unless + (self.exception.when if self.exception else ())
        for c in conds:
            if c.field not in names:
                names.append(c.field)
        return tuple(names)

    @property
    def reference(self) -> str:
        """E.g. ``GB 55019-2021 2.3.1-1``."""
        item = f"-{self.item}" if self.item is not None else ""
        return f"{self.standard}-{self.edition} {self.clause}{item}"

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The measurement fields the check reads (conditions not included)."""
        spec = CHECKS[self.check]
        names: list[str] = []
        for key, kind in spec.params.items():
            if kind == "field":
                names.append(self.params[key])
            elif kind == "fields2":
                names.extend(self.params[key])
        return tuple(names)

    @cached_property
    def applies_text(self) -> str:
        """The condition in words, e.g. ``rise_mm > 300 mm and running_slope_pct > 5 %``."""
        text = " and ".join(c.text() for c in self.when)
        if self.unless:
            unless = "unless " + " and ".join(c.text() for c in self.unless)
            text = f"{text}, {unless}" if text else unless
        return text


@dataclass(frozen=True)
class RulesetFile:
    name: str
    id: str
    version: str
    sha256: str


@dataclass(frozen=True)
class Ruleset:
    """A validated, versioned set of rules with its severity weights."""

    id: str
    standard: str
    edition: str
    version: str
    title_zh: str
    title_en: str
    rules: tuple[Rule, ...]
    weights: Mapping[str, int]
    sha256: str
    files: tuple[RulesetFile, ...] = field(default=())
    path: str = ""

    @cached_property
    def _by_type(self) -> dict[str, tuple[Rule, ...]]:
        return {t: tuple(r for r in self.rules if r.facility_type == t) for t in FACILITY_TYPES}

    def for_facility(self, facility_type: str) -> tuple[Rule, ...]:
        """The rules of one facility type, in file order."""
        return self._by_type.get(facility_type, ())

    @cached_property
    def groups(self) -> dict[str, tuple[Rule, ...]]:
        """Split groups (``split``): the branches of each, strictest first (file order)."""
        out: dict[str, list[Rule]] = {}
        for r in self.rules:
            if r.split:
                out.setdefault(r.split, []).append(r)
        return {g: tuple(rs) for g, rs in out.items()}

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.rule_id == rule_id:
                return r
        raise KeyError(rule_id)


# ---------------------------------------------------------------------------------------------


def _resolve(path_or_name: str | Path) -> Path:
    text = str(path_or_name)
    if isinstance(path_or_name, Path) or "/" in text or "\\" in text or text.endswith(".toml"):
        return Path(path_or_name)
    return RULES_DIR / f"{text}.toml"


def load_ruleset(path_or_name: str | Path = DEFAULT_RULESET) -> Ruleset:
    """Load, validate and compile a ruleset by name (a file in ``audit/rules``) or path.

    Raises :class:`RulesetError` (an :class:`~audit.errors.InputError`) listing every problem:
    unknown checks, missing clauses, bad units, duplicate ids, unknown fields, bad conditions.
    """
    path = _resolve(path_or_name)
    problems: list[Problem] = []
    doc, digest = _read(path, problems)
    if doc is None:
        raise RulesetError(problems, context=f"ruleset {path.name}")
    header = _header(doc, path.name, problems)
    if header.get("kind", "ruleset") == "supplement":
        problems.append(Problem(f"{path.name} [ruleset].kind", "supplement",
                                "a supplement is loaded through a ruleset that includes it"))
    weights = _weights(doc, path.name, problems)
    files = [RulesetFile(path.name, header.get("id", ""), header.get("version", ""), digest)]
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    rules.extend(_rules(doc, path.name, seen, problems))
    includes = header.get("include", [])
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        problems.append(Problem(f"{path.name} [ruleset].include", includes,
                                "a list of supplement names"))
        includes = []
    for name in includes:
        sub_path = _resolve(name) if "/" in name else path.parent / f"{name}.toml"
        sub, sub_digest = _read(sub_path, problems)
        if sub is None:
            continue
        sub_header = _header(sub, sub_path.name, problems)
        if sub_header.get("kind") != "supplement":
            problems.append(Problem(f"{sub_path.name} [ruleset].kind", sub_header.get("kind"),
                                    '"supplement" (an included file holds rules only)'))
        if "scoring" in sub:
            problems.append(Problem(f"{sub_path.name} [scoring]", "present",
                                    "weights belong to the including ruleset only"))
        files.append(RulesetFile(sub_path.name, sub_header.get("id", ""),
                                 sub_header.get("version", ""), sub_digest))
        rules.extend(_rules(sub, sub_path.name, seen, problems))
    _check_groups(rules, problems)
    if problems:
        raise RulesetError(problems, context=f"ruleset {path.name}: {len(problems)} problem(s)")
    combined = hashlib.sha256(
        "".join(f"{f.name}:{f.sha256}\n" for f in files).encode()
    ).hexdigest()
    return Ruleset(
        id=header["id"],
        standard=header["standard"],
        edition=header["edition"],
        version=header["version"],
        title_zh=header["title_zh"],
        title_en=header["title_en"],
        rules=tuple(rules),
        weights=MappingProxyType(dict(weights)),
        sha256=combined,
        files=tuple(files),
        path=str(path),
    )


@lru_cache(maxsize=1)
def default_ruleset() -> Ruleset:
    """The bundled GB 55019-2021 ruleset (with its GB 50763-2012 supplement), loaded once."""
    return load_ruleset(DEFAULT_RULESET)


def split_fields(rules: Sequence[Rule]) -> tuple[str, ...]:
    """The context fields the branches of a split group depend on, in order of appearance."""
    names: list[str] = []
    for r in rules:
        for c in r.when:
            if c.field not in names:
                names.append(c.field)
    return tuple(names)


def split_worlds(facility: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every combination of values of the context fields ``names`` (yes/no or choice)."""
    fields = {f.name: f for f in SCHEMAS[facility]}
    options = [(True, False) if fields[n].kind == "bool" else fields[n].choices for n in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*options)]


def _check_groups(rules: list[Rule], problems: list[Problem]) -> None:
    """Branches of a split share a facility, depend on yes/no or choice fields only, have no
    ``unless``, and never apply together."""
    groups: dict[str, list[Rule]] = {}
    for r in rules:
        if r.split:
            groups.setdefault(r.split, []).append(r)
    for name, members in groups.items():
        where = f"split {name}"
        if len({r.facility_type for r in members}) > 1:
            problems.append(Problem(where, [r.rule_id for r in members],
                                    "branches of one facility type"))
            continue
        fields = {f.name: f for f in SCHEMAS[members[0].facility_type]}
        bad = [c.text() for r in members for c in r.when if fields[c.field].kind
               not in ("bool", "choice")] + [r.rule_id for r in members if r.unless]
        if bad:
            problems.append(Problem(where, bad, "conditions on yes/no or choice fields only, "
                                    "and no `unless`"))
            continue
        for world in split_worlds(members[0].facility_type, split_fields(members)):
            applying = [r.rule_id for r in members
                        if all(c.scalar(world) for c in r.when)]
            if len(applying) > 1:
                problems.append(Problem(where, applying, f"branches that never apply together "
                                        f"(all apply when {world})"))
                break


def _read(path: Path, problems: list[Problem]) -> tuple[dict[str, Any] | None, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(str(path), None, f"a readable ruleset file ({exc.strerror})"))
        return None, ""
    try:
        doc = tomli.loads(data.decode("utf-8"), parse_float=Decimal)
    except (tomli.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, None, f"valid UTF-8 TOML ({exc})"))
        return None, ""
    return doc, hashlib.sha256(data).hexdigest()


def _header(doc: Mapping[str, Any], where: str, problems: list[Problem]) -> dict[str, Any]:
    header = doc.get("ruleset")
    if not isinstance(header, dict):
        problems.append(Problem(f"{where} [ruleset]", header, "a [ruleset] table"))
        return {}
    for key in ("id", "standard", "edition", "version", "title_zh", "title_en"):
        if not isinstance(header.get(key), str) or not header[key].strip():
            problems.append(Problem(f"{where} [ruleset].{key}", header.get(key),
                                    "a non-empty string"))
    unknown = set(header) - {"id", "standard", "edition", "version", "title_zh", "title_en",
                             "kind", "include", "description"}
    for key in sorted(unknown):
        problems.append(Problem(f"{where} [ruleset].{key}", header[key], "not a header key"))
    return header


def _weights(doc: Mapping[str, Any], where: str, problems: list[Problem]) -> dict[str, int]:
    weights = doc.get("scoring", {}).get("weights") if isinstance(doc.get("scoring"), dict) \
        else None
    if not isinstance(weights, dict):
        problems.append(Problem(f"{where} [scoring.weights]", weights,
                                "a table with a weight for " + ", ".join(SEVERITIES)))
        return {}
    out: dict[str, int] = {}
    for sev in SEVERITIES:
        w = weights.get(sev)
        if not isinstance(w, int) or isinstance(w, bool) or w <= 0:
            problems.append(Problem(f"{where} [scoring.weights].{sev}", w, "a positive integer"))
        else:
            out[sev] = w
    for key in sorted(set(weights) - set(SEVERITIES)):
        problems.append(Problem(f"{where} [scoring.weights].{key}", weights[key],
                                "one of " + ", ".join(SEVERITIES)))
    return out


def _rules(
    doc: Mapping[str, Any], where: str, seen: dict[str, str], problems: list[Problem]
) -> list[Rule]:
    rows = doc.get("rules", [])
    if not isinstance(rows, list):
        problems.append(Problem(f"{where} rules", rows, "an array of [[rules]] tables"))
        return []
    out = []
    for i, row in enumerate(rows):
        rid = row.get("rule_id") if isinstance(row, dict) else None
        loc = f"{where} rules[{i}]" + (f" ({rid})" if isinstance(rid, str) else "")
        if not isinstance(row, dict):
            problems.append(Problem(loc, row, "a table"))
            continue
        rule = _rule(row, loc, where, problems)
        if isinstance(rid, str):
            if rid in seen:
                problems.append(Problem(f"{loc}.rule_id", rid, f"unique (also in {seen[rid]})"))
            else:
                seen[rid] = loc
        if rule is not None:
            out.append(rule)
    return out


def _rule(row: Mapping[str, Any], loc: str, file: str, problems: list[Problem]) -> Rule | None:
    start = len(problems)

    def bad(key: str, value: Any, allowed: str) -> None:
        problems.append(Problem(f"{loc}.{key}", value, allowed))

    for key in sorted(_REQUIRED_RULE_KEYS - set(row)):
        bad(key, None, "required")
    for key in sorted(set(row) - _RULE_KEYS):
        bad(key, row[key], "not a rule key; allowed: " + ", ".join(sorted(_RULE_KEYS)))
    for key in ("standard", "edition", "title_zh", "title_en", "source"):
        if key in row and (not isinstance(row[key], str) or not row[key].strip()):
            bad(key, row[key], "a non-empty string")
    rid = row.get("rule_id")
    if "rule_id" in row and (not isinstance(rid, str) or not _RULE_ID.match(rid)):
        bad("rule_id", rid, "lower-case dotted words, e.g. ramp.running_slope")
    clause = row.get("clause")
    if "clause" in row and (not isinstance(clause, str) or not _CLAUSE.match(clause)):
        bad("clause", clause, 'a clause number as written in the standard, e.g. "2.3.1"')
    item = row.get("item")
    if item is not None and (not isinstance(item, int) or isinstance(item, bool) or item < 1):
        bad("item", item, "a positive integer (款)")
    if "severity" in row and row["severity"] not in SEVERITIES:
        bad("severity", row["severity"], "one of " + ", ".join(SEVERITIES))
    if "verification" in row and row["verification"] not in VERIFICATION_LEVELS:
        bad("verification", row["verification"], "one of " + ", ".join(VERIFICATION_LEVELS))
    obligation = row.get("obligation", "requirement")
    if obligation not in OBLIGATIONS:
        bad("obligation", obligation, "one of " + ", ".join(OBLIGATIONS))
    split = row.get("split", "")
    if not isinstance(split, str) or (split and not _RULE_ID.match(split)):
        bad("split", split, "a group name in lower-case dotted words, e.g. entrance.door_width")
    in_text = row.get("threshold_in_text", True)
    if not isinstance(in_text, bool):
        bad("threshold_in_text", in_text, "true or false")
    elif "threshold_in_text" in row and row.get("verification") != "first-line":
        bad("threshold_in_text", in_text, 'only on a rule with verification = "first-line"')

    facility: str | None = None
    when: tuple[Condition, ...] = ()
    unless: tuple[Condition, ...] = ()
    applies = row.get("applies_to")
    if "applies_to" in row:
        if not isinstance(applies, dict):
            bad("applies_to", applies, "a table { facility = ..., when = [...] }")
        else:
            facility = applies.get("facility")
            if facility not in FACILITY_TYPES:
                bad("applies_to.facility", facility, "one of " + ", ".join(FACILITY_TYPES))
                facility = None
            elif isinstance(rid, str) and not rid.startswith(f"{facility}."):
                bad("rule_id", rid, f"starts with the facility type `{facility}.`")
            for key in sorted(set(applies) - {"facility", "when", "unless"}):
                bad(f"applies_to.{key}", applies[key], "one of facility, when, unless")
            if facility is not None:
                when = _conditions(applies.get("when", []), facility, f"{loc}.applies_to.when",
                                   problems)
                unless = _conditions(applies.get("unless", []), facility,
                                     f"{loc}.applies_to.unless", problems)

    check_name = row.get("check")
    spec = CHECKS.get(check_name) if isinstance(check_name, str) else None
    if "check" in row and spec is None:
        bad("check", check_name, "a registered check: " + ", ".join(sorted(CHECKS)))
    params: dict[str, Any] = {}
    if spec is not None and facility is not None:
        params = _params(row.get("params"), spec.name, facility, f"{loc}.params", problems,
                         partial=False)

    exception = None
    exc_row = row.get("exception")
    if exc_row is not None:
        exception = _exception(exc_row, spec.name if spec else None, facility, params,
                               f"{loc}.exception", problems)
    if len(problems) > start:
        return None
    return Rule(
        rule_id=rid,  # type: ignore[arg-type]
        standard=row["standard"],
        edition=row["edition"],
        clause=clause,  # type: ignore[arg-type]
        item=item,
        title_zh=row["title_zh"],
        title_en=row["title_en"],
        facility_type=facility,  # type: ignore[arg-type]
        when=when,
        check=check_name,  # type: ignore[arg-type]
        params=MappingProxyType(params),
        severity=row["severity"],
        verification=row["verification"],
        source=row["source"],
        exception=exception,
        file=file,
        obligation=obligation,
        split=split,
        threshold_in_text=in_text,
        unless=unless,
    )


def _exception(
    row: Any,
    check_name: str | None,
    facility: str | None,
    base: Mapping[str, Any],
    loc: str,
    problems: list[Problem],
) -> RuleException | None:
    if not isinstance(row, dict):
        problems.append(Problem(loc, row, "a table { when, params, verification }"))
        return None
    start = len(problems)
    for key in sorted(set(row) - {"when", "params", "verification", "note_zh", "note_en"}):
        problems.append(Problem(f"{loc}.{key}", row[key],
                                "one of when, params, verification, note_zh, note_en"))
    if row.get("verification") not in VERIFICATION_LEVELS:
        problems.append(Problem(f"{loc}.verification", row.get("verification"),
                                "one of " + ", ".join(VERIFICATION_LEVELS)))
    if not row.get("when"):
        problems.append(Problem(f"{loc}.when", row.get("when"), "at least one condition"))
    if check_name is None or facility is None:
        return None
    when = _conditions(row.get("when", []), facility, f"{loc}.when", problems)
    overrides = _params(row.get("params"), check_name, facility, f"{loc}.params", problems,
                        partial=True, base=base)
    if not overrides:
        problems.append(Problem(f"{loc}.params", row.get("params"), "at least one threshold"))
    if len(problems) > start:
        return None
    return RuleException(
        when=when,
        params=MappingProxyType({**base, **overrides}),
        verification=row["verification"],
        note_zh=str(row.get("note_zh", "")),
        note_en=str(row.get("note_en", "")),
    )


def _field_spec(
    name: Any, facility: str, loc: str, problems: list[Problem], kinds: tuple[str, ...] = ()
) -> MeasurementField | None:
    fields = {f.name: f for f in SCHEMAS[facility]}
    spec = fields.get(name) if isinstance(name, str) else None
    if spec is None:
        problems.append(Problem(loc, name, f"a measurement field of `{facility}`: "
                                + ", ".join(fields)))
        return None
    if kinds and spec.kind not in kinds:
        problems.append(Problem(loc, name, f"a field of kind {' or '.join(kinds)} "
                                f"(it is {spec.kind})"))
        return None
    return spec


def _params(
    raw: Any,
    check_name: str,
    facility: str,
    loc: str,
    problems: list[Problem],
    *,
    partial: bool,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    spec = CHECKS[check_name]
    if not isinstance(raw, dict):
        problems.append(Problem(loc, raw, "a table of the parameters of check "
                                f"`{check_name}`: " + ", ".join(spec.params)))
        return {}
    out: dict[str, Any] = {}
    for key in sorted(set(raw) - set(spec.params)):
        problems.append(Problem(f"{loc}.{key}", raw[key],
                                f"a parameter of `{check_name}`: " + ", ".join(spec.params)))
    if not partial:
        for key in spec.params:
            if key not in raw:
                problems.append(Problem(f"{loc}.{key}", None, "required"))
    elif any(spec.params.get(k) in ("field", "fields2") for k in raw):
        problems.append(Problem(loc, raw, "an exception may change thresholds only, not fields"))
        return {}
    fields = {f.name: f for f in SCHEMAS[facility]}
    resolved: dict[str, Any] = dict(base or {}) if partial else {}
    base_scale = (base or {}).get("_scale")
    if not partial:
        for key, kind in spec.params.items():
            if key not in raw:
                continue
            if kind == "field":
                kinds = spec.kinds if key == "field" else ("number", "integer")
                f = _field_spec(raw[key], facility, f"{loc}.{key}", problems, kinds)
                if f is not None:
                    resolved[key] = f.name
            elif kind == "fields2":
                names = raw[key]
                if not isinstance(names, list) or len(names) != 2:
                    problems.append(Problem(f"{loc}.{key}", names, "a list of two field names"))
                    continue
                specs = [_field_spec(n, facility, f"{loc}.{key}", problems, spec.kinds)
                         for n in names]
                if specs[0] is None or specs[1] is None:
                    continue
                if specs[0].unit != specs[1].unit:
                    problems.append(Problem(f"{loc}.{key}", names, "two fields of the same unit"))
                    continue
                resolved[key] = tuple(names)
        out.update(resolved)
    # the unit all quantities are converted to: that of the field the check measures
    unit_field: MeasurementField | None = None
    anchor = resolved.get(spec.unit_field) if spec.unit_field else None
    if isinstance(anchor, tuple):
        anchor = anchor[0]
    if isinstance(anchor, str):
        unit_field = fields[anchor]
        out["_scale"] = unit_field.scale
    scale = unit_field.scale if unit_field is not None else base_scale or (1, 1)
    for key, kind in spec.params.items():
        if key not in raw or kind in ("field", "fields2"):
            continue
        value = raw[key]
        where = f"{loc}.{key}"
        if kind == "quantity":
            target = unit_field.unit if unit_field is not None else None
            if spec.unit_field and unit_field is None:
                continue  # the field problem is reported already
            q = quantity(value, target, where, problems, free=not spec.unit_field,
                         scale=scale)
            if q is not None:
                out[key] = q
        elif kind == "bool":
            if not isinstance(value, bool):
                problems.append(Problem(where, value, "true or false"))
            else:
                out[key] = value
        elif kind == "count":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.append(Problem(where, value, "a whole number ≥ 0"))
            else:
                out[key] = value
        elif kind == "choices":
            fname = resolved.get("field")
            f = fields.get(fname) if isinstance(fname, str) else None
            if f is None:
                continue
            if (not isinstance(value, list) or not value
                    or any(v not in f.choices for v in value)):
                problems.append(Problem(where, value, f"a non-empty list of choices of "
                                        f"`{f.name}`: " + ", ".join(f.choices)))
            else:
                out[key] = tuple(value)
                out[f"{key}_codes"] = tuple(f.choices.index(v) for v in value)
    return out


def quantity(
    raw: Any,
    target: str | None,
    loc: str,
    problems: list[Problem],
    *,
    free: bool = False,
    scale: tuple[int, int] = (1, 1),
) -> Quantity | None:
    """Convert ``{ value, unit }`` to ``target`` exactly; ``free`` keeps the given unit.
    ``scale`` is the measured field's ``(mul, div)`` (its resolution, see :mod:`audit.checks`)."""
    if not isinstance(raw, dict) or "value" not in raw or set(raw) - {"value", "unit"}:
        problems.append(Problem(loc, raw, 'a table { value = ..., unit = "..." }'))
        return None
    value, unit = raw["value"], raw.get("unit")
    return _convert(value, unit, target, loc, problems, free=free, scale=scale)


def _convert(
    value: Any,
    unit: Any,
    target: str | None,
    loc: str,
    problems: list[Problem],
    *,
    free: bool = False,
    scale: tuple[int, int] = (1, 1),
) -> Quantity | None:
    mul, div = scale
    if unit is None:
        if target is not None and not free:
            problems.append(Problem(loc, value, f"a unit compatible with {target}"))
            return None
        exact = _number(value, loc, problems)
        return None if exact is None else Quantity(exact, None, str(value), mul, div)
    if unit not in UNITS:
        problems.append(Problem(f"{loc}.unit", unit, "a known unit: " + ", ".join(UNITS)))
        return None
    dimension, factor = UNITS[unit]
    if free:
        target = "%" if unit == "ratio" else unit
    if target is None or UNITS.get(target, ("", 0))[0] != dimension:
        problems.append(Problem(f"{loc}.unit", unit, f"a unit of the measured field's "
                                f"dimension ({target or 'a plain count, no unit'})"))
        return None
    if unit == "ratio":
        m = _RATIO.match(value) if isinstance(value, str) else None
        if m is None or Fraction(m.group(2)) == 0:
            problems.append(Problem(f"{loc}.value", value, 'a ratio "rise:run", e.g. "1:12"'))
            return None
        exact = Fraction(m.group(1)) / Fraction(m.group(2)) * 100
        return Quantity(exact, "%", value.strip(), mul, div)
    number = _number(value, loc, problems)
    if number is None:
        return None
    exact = number * factor / UNITS[target][1]
    return Quantity(exact, target, f"{value} {unit}", mul, div)


def _number(value: Any, loc: str, problems: list[Problem]) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        problems.append(Problem(f"{loc}.value", value, "a number"))
        return None
    return Fraction(value)


def _conditions(
    raw: Any, facility: str, loc: str, problems: list[Problem]
) -> tuple[Condition, ...]:
    if not isinstance(raw, list):
        problems.append(Problem(loc, raw, "a list of { field, op, value[, unit] } tables"))
        return ()
    out = []
    for i, c in enumerate(raw):
        where = f"{loc}[{i}]"
        if not isinstance(c, dict) or not {"field", "op", "value"} <= set(c) \
                or set(c) - {"field", "op", "value", "unit"}:
            problems.append(Problem(where, c, "a table { field, op, value[, unit] }"))
            continue
        spec = _field_spec(c["field"], facility, f"{where}.field", problems)
        if spec is None:
            continue
        op, value = c["op"], c["value"]
        if spec.kind == "bool":
            if op not in _BOOL_OPS or not isinstance(value, bool) or "unit" in c:
                problems.append(Problem(where, c, f"op {' or '.join(_BOOL_OPS)} with a "
                                        "true/false value for a yes/no field"))
                continue
            out.append(Condition(spec.name, op, value))
        elif spec.kind == "choice":
            values = value if isinstance(value, list) else [value]
            if op not in _CHOICE_OPS or (op == "in") != isinstance(value, list) or "unit" in c \
                    or not values or any(v not in spec.choices for v in values):
                problems.append(Problem(where, c, f"op eq/ne with one choice, or in with a "
                                        f"list, of: {', '.join(spec.choices)}"))
                continue
            codes = tuple(spec.choices.index(v) for v in values)
            shown = tuple(values) if op == "in" else value
            out.append(Condition(spec.name, op, shown, codes))
        else:
            if op not in _NUMERIC_OPS:
                problems.append(Problem(f"{where}.op", op, "one of " + ", ".join(_NUMERIC_OPS)))
                continue
            q = _convert(value, c.get("unit"), spec.unit, where, problems, scale=spec.scale)
            if q is not None:
                out.append(Condition(spec.name, op, q))
    return tuple(out)
