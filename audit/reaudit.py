"""Re-audits: a facility's current state is the latest measurement of each field, with its date.

An inspector who comes back to check the items a work order fixed re-measures only those
items. If that visit were scored alone, every other requirement would read "not measured" and a
non-compliant facility would turn into 资料不全 (incomplete) — or, worse, score 100 on the few
items measured. So a re-audit is scored on the **combined** measurements (docs/SCORING.md §3a):

- a field measured in this visit takes the new value, whatever it is (a fixed item measured as
  passing, a value measured anew as failing);
- a field left empty is carried forward from the facility's current state, with the date and
  audit of the visit that measured it (``measured_from``);
- an old value stops counting when a later submitted audit measures the field again, when a
  later audit is a **full audit** (the inspector declares every item re-checked: what is left
  empty is then "not measured"), or when the inspector discards it in this visit (the feature
  was rebuilt or removed). A work order marked done does **not** retire a value: a claim of a
  fix changes nothing until someone measures it;
- a carried value that contradicts a new one (a feature now recorded as absent, with its old
  dimensions carried) or that the current schema no longer accepts is dropped and listed, never
  guessed; a derived value (a toilet's area from width × depth) is not carried when what it is
  derived from was measured anew.

The stored audit holds the combined measurements and its evaluation of them; the facility's
current verdict, its current findings rows (the rankings read them) and a rescore all follow
from those, so they agree by construction. No streamlit here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from audit.errors import InputError, Problem
from audit.model import CONFIRM_KEY, is_missing, schema

if TYPE_CHECKING:
    from audit.rules import Ruleset
    from audit.scoring import Evaluation
    from audit.storage.repository import AuditRecord, Repository

#: values computed from other fields when not entered (audit.model._derive_area): not carried
#: forward when any field they come from is measured anew
DERIVED_FROM: dict[str, dict[str, tuple[str, ...]]] = {
    "toilet": {"area_m2": ("internal_width_mm", "internal_depth_mm")},
}


@dataclass(frozen=True)
class FieldState:
    """The latest value of one field and the submitted audit that measured it."""

    field: str
    value: Any
    audit_id: int
    sequence: int
    measured_at: datetime

    def source(self) -> dict[str, Any]:
        """What an audit that carries this value forward stores in ``measured_from``."""
        return {"audit_id": self.audit_id, "sequence": self.sequence,
                "at": self.measured_at.isoformat()}


@dataclass(frozen=True)
class FacilityState:
    """A facility's current state: its current audit and each field's latest measurement."""

    facility_id: int
    facility_type: str
    audit_id: int
    sequence: int
    submitted_at: datetime
    verdict: str | None
    score: float | None
    fields: dict[str, FieldState]
    confirmed: tuple[str, ...] = ()

    @property
    def oldest(self) -> datetime | None:
        """When the oldest value still counting was measured."""
        return min((f.measured_at for f in self.fields.values()), default=None)


@dataclass(frozen=True)
class Combined:
    """What a re-audit is scored on: the combined raw measurements and where each came from."""

    measurements: dict[str, Any]
    measured_from: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: carried values dropped, field → the reason (``contradiction``, ``rejected``, ``derived``)
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def carried(self) -> tuple[str, ...]:
        return tuple(self.measured_from)


def state_of(record: AuditRecord, facility_type: str) -> FacilityState:
    """The state a submitted audit left: its measurements, each with the audit that took it."""
    if record.submitted_at is None:
        msg = f"audit {record.id} is a draft; only a submitted audit sets the current state"
        raise ValueError(msg)
    known = schema(facility_type)
    fields: dict[str, FieldState] = {}
    for name, value in record.measurements.items():
        if name not in known or is_missing(value):
            continue
        src = record.measured_from.get(name)
        if isinstance(src, Mapping):
            fields[name] = FieldState(name, value, int(src["audit_id"]), int(src["sequence"]),
                                      datetime.fromisoformat(str(src["at"])))
        else:
            fields[name] = FieldState(name, value, record.id, record.sequence,
                                      record.submitted_at)
    confirmed = tuple(str(n) for n in record.measurements.get(CONFIRM_KEY) or ())
    return FacilityState(record.facility_id, facility_type, record.id, record.sequence,
                         record.submitted_at, record.verdict, record.score, fields, confirmed)


def current_state(repo: Repository, facility_id: int) -> FacilityState | None:
    """The facility's current state (its latest submitted audit), or ``None`` if never audited.

    A read: any actor who may read facilities may call it (``NotFoundError`` for no facility).
    """
    facility = repo.get_facility(facility_id)
    latest = repo.latest_audit(facility_id)
    return None if latest is None else state_of(latest, facility.facility_type)


def _entered(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k != CONFIRM_KEY and not is_missing(v)}


def _confirmations(raw: Mapping[str, Any]) -> list[str]:
    value = raw.get(CONFIRM_KEY)
    if value is None:
        return []
    if isinstance(value, str):
        return [p for p in value.replace(",", " ").split() if p]
    return [str(v) for v in value]


def combine(
    state: FacilityState | None,
    facility_type: str,
    raw: Mapping[str, Any],
    *,
    full: bool = False,
    discard: Iterable[str] = (),
) -> Combined:
    """The measurements a visit is scored on: ``raw`` (what was measured now) over the values of
    ``state`` it left empty, unless ``full`` (nothing carried) — see the module docstring.
    ``discard`` names old values that no longer count although nothing new was measured."""
    if state is None or full:
        return Combined(dict(raw))
    if state.facility_type != facility_type:
        raise InputError(Problem("facility_type", facility_type,
                                 f"`{state.facility_type}` (the facility's type)"))
    known = schema(facility_type)
    gone = set(discard)
    unknown = sorted(gone - set(known))
    if unknown:
        raise InputError([Problem("discard", n, "a measurement field of this facility type")
                          for n in unknown])
    entered = _entered(raw)
    dropped: dict[str, str] = {}
    carried: dict[str, FieldState] = {}
    derived = DERIVED_FROM.get(facility_type, {})
    for name, fs in state.fields.items():
        if name in entered or name in gone or name not in known:
            continue
        if any(src in entered for src in derived.get(name, ())):
            dropped[name] = "derived"
            continue
        carried[name] = fs
    confirmed = _confirmations(raw) + [n for n in state.confirmed if n in carried]
    out: dict[str, Any] = {n: fs.value for n, fs in carried.items()}
    out.update(entered)
    if confirmed:
        out[CONFIRM_KEY] = list(dict.fromkeys(confirmed))
    return Combined(out, {n: fs.source() for n, fs in carried.items()}, dropped)


def _without(combined: Combined, names: set[str], reason: str) -> Combined:
    kept = {k: v for k, v in combined.measurements.items() if k not in names}
    if CONFIRM_KEY in kept:
        kept[CONFIRM_KEY] = [n for n in kept[CONFIRM_KEY] if n not in names]
    return Combined(kept, {k: v for k, v in combined.measured_from.items() if k not in names},
                    {**combined.dropped, **dict.fromkeys(sorted(names), reason)})


def _drop_carried(combined: Combined, problems: Iterable[Problem]) -> Combined | None:
    """``combined`` without the carried values these problems involve, or ``None`` when none of
    them involves a carried value (then the problem is in what was measured now)."""
    found = list(problems)
    carried = set(combined.measured_from)
    blamed = {n for p in found for n in (p.field, *p.related)} & carried
    if not blamed:
        return None
    contradictions = {n for p in found if p.code == "contradiction"
                      for n in (p.field, *p.related)}
    combined = _without(combined, blamed & contradictions, "contradiction")
    return _without(combined, blamed - contradictions, "rejected")


def evaluate_combined(
    state: FacilityState | None,
    facility_type: str,
    raw: Mapping[str, Any],
    *,
    full: bool = False,
    discard: Iterable[str] = (),
    ruleset: Ruleset | None = None,
) -> tuple[Evaluation, Combined]:
    """Combine (:func:`combine`) and evaluate once. Carried values that contradict a new one
    or that the current schema rejects are dropped (listed in ``Combined.dropped``); a problem
    in what was measured now raises :class:`InputError` as :func:`audit.scoring.evaluate`."""
    from audit.scoring import evaluate

    combined = combine(state, facility_type, raw, full=full, discard=discard)
    while True:  # each pass drops at least one carried value, or ends
        try:
            return evaluate(facility_type, combined.measurements, ruleset=ruleset), combined
        except InputError as exc:
            fewer = _drop_carried(combined, exc.problems)
            if fewer is None:
                raise
            combined = fewer


def preview_combined(
    state: FacilityState | None,
    facility_type: str,
    raw: Mapping[str, Any],
    *,
    full: bool = False,
    discard: Iterable[str] = (),
) -> Combined:
    """What a live verdict of a partly filled re-audit form reads: :func:`combine`, without the
    carried values the new ones contradict (problems in the new values stay, to be shown beside
    their fields)."""
    from audit.model import review_measurements

    combined = combine(state, facility_type, raw, full=full, discard=discard)
    while True:
        issues = review_measurements(facility_type, combined.measurements)
        fewer = _drop_carried(combined, (p for ps in issues.values() for p in ps
                                         if p.code not in ("suspect", "suspect_confirmed")))
        if fewer is None:
            return combined
        combined = fewer


__all__ = [
    "DERIVED_FROM",
    "Combined",
    "FacilityState",
    "FieldState",
    "combine",
    "current_state",
    "evaluate_combined",
    "preview_combined",
    "state_of",
]
