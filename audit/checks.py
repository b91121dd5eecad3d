"""Named check predicates: the only code that compares a measurement with a threshold.

A ruleset row names one of these checks (``check = "max"``) and gives its parameters as data; the
loader (:mod:`audit.rules.loader`) converts every threshold to the measured field's unit as an
exact rational number (:class:`Quantity`). Nothing is ``eval``'d.

Every check has two implementations that must agree exactly: ``scalar`` for one facility (with the
measured value and the threshold for display) and ``vector`` over numpy arrays for many facilities
at once. In the vector form every field is a float64 array with NaN for "not measured"; booleans
are 1.0/0.0 and choices are their index in the field's ``choices``.

Comparison at the field's resolution. A threshold such as 1:12 is kept as the exact fraction
25/3 %. A reading ``x`` is first rounded to the measured field's input resolution (0.01 % for
slopes, 1 mm for most lengths; see :class:`audit.model.MeasurementField`): it becomes the whole
number of steps ``n = rint(x * mul / div)`` (:func:`quantize`, half to even). The threshold in steps
``r * mul / div`` is exact, so ``x <= r`` is ``n <= floor(r * mul / div)`` and ``x >= r`` is
``n >= ceil(r * mul / div)``: integers compared with integers. Both paths compute ``n`` with the
same numpy operation, so they agree bit for bit; 8.333333333333334 % (1:12 as a double) and
8.33 % pass 1:12 while 8.34 % fails.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np

    from audit.model import MeasurementField

PASS, FAIL, NOT_APPLICABLE, NOT_MEASURED, ADVICE = 0, 1, 2, 3, 4
#: ``advice``: a clause worded 宜 ("should preferably") that is not followed; never a failure.
STATUS_NAMES: tuple[str, ...] = ("pass", "fail", "not_applicable", "not_measured", "advice")

#: unit -> (dimension, factor to the dimension's base unit). "ratio" is handled apart.
UNITS: dict[str, tuple[str, Fraction]] = {
    "mm": ("length", Fraction(1)),
    "cm": ("length", Fraction(10)),
    "m": ("length", Fraction(1000)),
    "%": ("slope", Fraction(1)),
    "ratio": ("slope", Fraction(1)),
    "m²": ("area", Fraction(1)),
    "mm²": ("area", Fraction(1, 1_000_000)),
    "N": ("force", Fraction(1)),
    "s": ("time", Fraction(1)),
}

_OP_SYMBOL = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">", "eq": "=", "ne": "≠", "in": "∈"}


def floor_double(r: Fraction) -> float:
    """The largest double not greater than ``r``."""
    f = float(r)
    if Fraction(f) > r:
        f = math.nextafter(f, -math.inf)
    return f


def ceil_double(r: Fraction) -> float:
    """The smallest double not less than ``r``."""
    f = float(r)
    if Fraction(f) < r:
        f = math.nextafter(f, math.inf)
    return f


def quantize(x: Any, mul: int, div: int) -> Any:
    """A reading (float or float array) as whole resolution steps: ``rint(x * mul / div)``.

    One IEEE operation, then rounding half to even; Python's ``round`` on a float and numpy's
    ``rint`` round the same double the same way, so both paths get the same steps."""
    if "numpy" in sys.modules:  # an array exists only once numpy is loaded: load it lazily
        import numpy as np

        if isinstance(x, np.ndarray):
            return np.rint(x * mul) if div == 1 else np.rint(x / div)
    return float(round(x * mul)) if div == 1 else float(round(x / div))


def fmt_number(value: float | Fraction, places: int = 2) -> str:
    """A short human form: at most ``places`` decimals, no trailing zeros."""
    text = f"{float(value):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Quantity:
    """A threshold converted to a field's unit, exactly, with the form it was given in."""

    exact: Fraction
    unit: str | None
    given: str  # as written in the ruleset, e.g. "1:12" or "1.20 m"
    mul: int = 1  # the measured field's resolution is div / mul (see quantize)
    div: int = 1

    @cached_property
    def lo(self) -> float:
        """The largest double not above the threshold (in the field's unit)."""
        return floor_double(self.exact)

    @cached_property
    def hi(self) -> float:
        """The smallest double not below the threshold (in the field's unit)."""
        return ceil_double(self.exact)

    @cached_property
    def value(self) -> float:
        return float(self.exact)

    @cached_property
    def n_lo(self) -> float:
        """The threshold in resolution steps, rounded down: ``x <= self`` is ``n <= n_lo``."""
        return float(math.floor(self.exact * self.mul / self.div))

    @cached_property
    def n_hi(self) -> float:
        """The threshold in resolution steps, rounded up: ``x >= self`` is ``n >= n_hi``."""
        return float(math.ceil(self.exact * self.mul / self.div))

    def steps(self, x: Any) -> Any:
        """A reading of the measured field in resolution steps."""
        return quantize(x, self.mul, self.div)

    def text(self) -> str:
        return self._text

    @cached_property
    def _text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        main = f"{fmt_number(self.exact)}{unit}"
        return main if self.given in (main, fmt_number(self.exact)) else f"{main} ({self.given})"

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit, "given": self.given}


def compare(op: str, x: Any, q: Quantity) -> Any:
    """``x op q`` at the field's resolution, for a float or a float array (NaN compares false)."""
    n = q.steps(x)
    if op == "le":
        return n <= q.n_lo
    if op == "lt":
        return n < q.n_hi
    if op == "ge":
        return n >= q.n_hi
    if op == "gt":
        return n > q.n_lo
    if op == "eq":
        return (n <= q.n_lo) & (n >= q.n_hi)
    if op == "ne":
        return (n > q.n_lo) | (n < q.n_hi)
    raise ValueError(op)


# --------------------------------------------------------------------------------------------
# Conditions (applies_to.when): data, three-valued (true / false / unknown when not measured)


@dataclass(frozen=True)
class Condition:
    """``field op value``; ``value`` is a Quantity, a bool, a choice or a tuple of choices.

    ``codes`` holds the choice indices for the vector form.
    """

    field: str
    op: str
    value: Any
    codes: tuple[int, ...] = ()

    def scalar(self, m: Mapping[str, Any]) -> bool | None:
        x = m.get(self.field)
        if x is None:
            return None
        if isinstance(self.value, Quantity):
            return bool(compare(self.op, float(x), self.value))
        if self.op == "in":
            return x in self.value
        if self.op == "eq":
            return bool(x == self.value)
        return bool(x != self.value)  # ne

    def vector(self, cols: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(true mask, known mask)."""
        import numpy as np
        x = cols[self.field]
        known = ~np.isnan(x)
        if isinstance(self.value, Quantity):
            return compare(self.op, x, self.value), known
        if self.codes:
            hit = np.isin(x, np.asarray(self.codes, dtype=float))
            return (hit if self.op in ("eq", "in") else known & ~hit), known
        target = 1.0 if self.value else 0.0
        return ((x == target) if self.op == "eq" else (x == 1.0 - target)), known

    def text(self) -> str:
        if isinstance(self.value, Quantity):
            shown = self.value.text()
        elif isinstance(self.value, tuple):
            shown = "{" + ", ".join(self.value) + "}"
        elif isinstance(self.value, bool):
            shown = "true" if self.value else "false"
        else:
            shown = str(self.value)
        return f"{self.field} {_OP_SYMBOL[self.op]} {shown}"

    def words(self, language: str, fields: Mapping[str, MeasurementField]) -> str:
        """The condition for a person, in ``zh`` or ``en``: the field's label, yes/no, the
        choices' labels (:meth:`text` names the machine field, for exports and logs)."""
        zh = language.startswith("zh")
        spec = fields.get(self.field)
        label = (spec.label_zh if zh else spec.label_en) if spec is not None else self.field

        def choice(value: str) -> str:
            if spec is not None and value in spec.choices:
                return spec.choice_label(value, language)
            return value

        if isinstance(self.value, Quantity):
            shown = self.value.text()
        elif isinstance(self.value, tuple):
            shown = ("、" if zh else ", ").join(choice(v) for v in self.value)
        elif isinstance(self.value, bool):
            yes = self.value if self.op == "eq" else not self.value
            return (f"{label}为{'是' if yes else '否'}" if zh
                    else f"{label}: {'yes' if yes else 'no'}")
        else:
            shown = choice(str(self.value))
        op = {"in": "为" if zh else "is one of"}.get(self.op, _OP_SYMBOL[self.op])
        return f"{label} {op} {shown}"


def conditions_scalar(conds: tuple[Condition, ...], m: Mapping[str, Any]) -> bool | None:
    """AND of three-valued conditions: False if any is false, else None if any is unknown."""
    unknown = False
    for c in conds:
        v = c.scalar(m)
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def conditions_vector(
    conds: tuple[Condition, ...], cols: Mapping[str, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """(false mask, unknown mask) of the AND, matching :func:`conditions_scalar`."""
    import numpy as np
    false = np.zeros(n, dtype=bool)
    unknown = np.zeros(n, dtype=bool)
    for c in conds:
        true, known = c.vector(cols)
        false |= known & ~true
        unknown |= ~known
    return false, unknown & ~false


# --------------------------------------------------------------------------------------------
# Check predicates


@dataclass(frozen=True)
class Outcome:
    """What a scalar check found: the status code, what was measured and the threshold."""

    status: int
    measured: dict[str, Any] | None
    threshold: dict[str, Any]


def _measured(value: Any, unit: str | None) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"value": value, "unit": None, "text": "true" if value else "false",
                "text_zh": "是" if value else "否", "text_en": "yes" if value else "no"}
    if isinstance(value, str):
        return {"value": value, "unit": None, "text": value, "text_zh": value, "text_en": value}
    u = f" {unit}" if unit else ""
    text = f"{fmt_number(value, 3)}{u}"
    return {"value": value, "unit": unit, "text": text, "text_zh": text, "text_en": text}


def _threshold(op: str, q: Quantity, **extra: Any) -> dict[str, Any]:
    text = f"{_OP_SYMBOL[op]} {q.text()}"
    return {"op": op, **q.to_dict(), "text": text, "text_zh": text, "text_en": text, **extra}


Params = Mapping[str, Any]
Cols: TypeAlias = "Mapping[str, np.ndarray]"
Fields = Mapping[str, "MeasurementField"]


def _unit(fields: Fields, name: str) -> str | None:
    return fields[name].unit


@dataclass(frozen=True)
class Check:
    """A named predicate. ``params`` names each parameter and its kind, checked by the loader:

    ``field`` (a measurement name), ``quantity`` (a number with a unit, converted to the field's
    unit), ``bool``, ``choices`` (a list of the field's choices), ``count`` (a whole number),
    ``fields2`` (two measurement names). ``unit_field`` names the parameter whose field gives the
    unit of the quantities; ``kinds`` restricts the kind of the measured fields.
    """

    name: str
    doc: str
    params: Mapping[str, str]
    scalar: Callable[[Mapping[str, Any], Params, Fields], Outcome]
    vector: Callable[[Cols, Params], np.ndarray]
    unit_field: str = "field"
    kinds: tuple[str, ...] = ("number", "integer")


CHECKS: dict[str, Check] = {}


def register(check: Check) -> Check:
    if check.name in CHECKS:
        raise ValueError(f"check {check.name!r} registered twice")
    CHECKS[check.name] = check
    return check


def _status_vec(known: np.ndarray, ok: np.ndarray) -> np.ndarray:
    import numpy as np
    return np.where(known, np.where(ok, PASS, FAIL), NOT_MEASURED).astype(np.int8)


# -- max / min / range / exact ---------------------------------------------------------------


def _max_scalar(m: Mapping[str, Any], p: Params, fields: Fields) -> Outcome:
    x, q = m.get(p["field"]), p["max"]
    th = _threshold("le", q)
    if x is None:
        return Outcome(NOT_MEASURED, None, th)
    ok = bool(compare("le", x, q))
    return Outcome(PASS if ok else FAIL, _measured(x, _unit(fields, p["field"])), th)


def _max_vector(cols: Cols, p: Params) -> np.ndarray:
    import numpy as np
    x = cols[p["field"]]
    return _status_vec(~np.isnan(x), compare("le", x, p["max"]))


def _min_scalar(m: Mapping[str, Any], p: Params, fields: Fields) -> Outcome:
    x, q = m.get(p["field"]), p["min"]
    th = _threshold("ge", q)
    if x is None:
        return Outcome(NOT_MEASURED, None, th)
    ok = bool(compare("ge", x, q))
    return Outcome(PASS if ok else FAIL, _measured(x, _unit(fields, p["field"])), th)


def _min_vector(cols: Cols, p: Params) -> np.ndarray:
    import numpy as np
    x = cols[p["field"]]
    return _status_vec(~np.isnan(x), compare("ge", x, p["min"]))


def _range_scalar(m: Mapping[str, Any], p: Params, fields: Fields) -> Outcome:
    x, lo, hi = m.get(p["field"]), p["min"], p["max"]
    text = f"{fmt_number(lo.exact)}–{hi.text()}"
    th = {"op": "between", "min": lo.value, "max": hi.value, "unit": hi.unit,
          "given": f"{lo.given} – {hi.given}", "text": text, "text_zh": text, "text_en": text}
    if x is None:
        return Outcome(NOT_MEASURED, None, th)
    ok = bool(compare("ge", x, lo)) and bool(compare("le", x, hi))
    return Outcome(PASS if ok else FAIL, _measured(x, _unit(fields, p["field"])), th)


def _range_vector(cols: Cols, p: Params) -> np.ndarray:
    import numpy as np
    x = cols[p["field"]]
    return _status_vec(~np.isnan(x), compare("ge", x, p["min"]) & compare("le", x, p["max"]))


def _exact_scalar(m: Mapping[str, Any], p: Params, fields: Fields) -> Outcome:
    x, q = m.get(p["field"]), p["value"]
    th = _threshold("eq", q)
    if x is None:
        return Outcome(NOT_MEASURED, None, th)
    ok = bool(compare("eq", x, q))
    return Outcome(PASS if ok else FAIL, _measured(x, _unit(fields, p["field"])), th)


def _exact_vector(cols: Cols, p: Params) -> np.ndarray:
    import numpy as np
    x = cols[p["field"]]
    return _status_vec(~np.isnan(x), compare("eq", x, p["value"]))


register(Check("max", "The measured value is at most `max`.",
               {"field": "field", "max": "quantity"}, _max_scalar, _max_vector))
register(Check("min", "The measured value is at least `min`.",
               {"field": "field", "min": "quantity"}, _min_scalar, _min_vector))
register(Check("range", "The measured value lies between `min` and `max` (inclusive).",
               {"field": "field", "min": "quantity", "max": "quantity"},
               _range_scalar, _range_vector))
register(Check("exact", "The measured value equals `value` exactly (e.g. a 0 mm lip).",
               {"field": "field", "value": "quantity"}, _exact_scalar, _exact_vector))


# -- flag / one_of -----------------------------------------------------------------------------


def _flag_scalar(m: Mapping[str, Any], p: Params, fields: Fields) -> Outcome:
    x, want = m.get(p["field"]), p["expected"]
    th = {"op": "eq", "value": want, "unit": None, "given": "true" if want else "false",
          "text": "= true" if want else "= false", "text_zh": "应为“是”" if want else "应为“否”",
          "text_en": "must be yes" if want else "must be no"}
    if x is None:
        return Outcome(NOT_MEASURED, None, th)
    return Outcome(PASS if x is want else FAIL, _measured(x, None), th)


def _flag_vector(cols: Cols, p: Params) -> np.ndarray:
    import numpy as np
    x = cols[p["field"]]
    return _status_vec(~np.isnan(x), x == (1.0 if p["expected"] else 0.0))


def _one_of_scalar(m: Mapping[str, Any], p: Params, fields: Fields) -> Outcome:
    x, allowed = m.get(p["field"]), p["allowed"]
    spec = fields[p["field"]]
    labels = dict(zip(spec.choices, spec.choice_labels, strict=True))
    zh = "、".join(labels.get(a, (a, a))[0] for a in allowed)
    en = " or ".join(labels.get(a, (a, a))[1] for a in allowed)
    th = {"op": "in", "value": list(allowed), "unit": None, "given": ", ".join(allowed),
          "text": "∈ {" + ", ".join(allowed) + "}", "text_zh": f"应为{zh}",
          "text_en": f"must be {en}"}
    if x is None:
        return Outcome(NOT_MEASURED, None, th)
    meas = _measured(x, None)
    if x in labels:
        meas["text_zh"], meas["text_en"] = labels[x]
    return Outcome(PASS if x in allowed else FAIL, meas, th)


def _one_of_vector(cols: Cols, p: Params) -> np.ndarray:
    import numpy as np
    x = cols[p["field"]]
    return _status_vec(~np.isnan(x), np.isin(x, np.asarray(p["allowed_codes"], dtype=float)))


register(Check("flag", "A yes/no observation equals `expected`.",
               {"field": "field", "expected": "bool"}, _flag_scalar, _flag_vector,
               kinds=("bool",)))
register(Check("one_of", "A choice is one of `allowed`.",
               {"field": "field", "allowed": "choices"}, _one_of_scalar, _one_of_vector,
               kinds=("choice",)))


# -- min_dimensions: both sides of a rectangle, whichever way round ----------------------------


def _dims_scalar(m: Mapping[str, Any], p: Params, fields: Fields) -> Outcome:
    a, b = (m.get(f) for f in p["fields"])
    long_q, short_q = p["long_min"], p["short_min"]
    unit = long_q.unit
    text = f"≥ {fmt_number(long_q.exact)} × {short_q.text()}"
    th = {"op": "ge_dims", "long_min": long_q.value, "short_min": short_q.value, "unit": unit,
          "given": f"{long_q.given} × {short_q.given}", "text": text, "text_zh": text,
          "text_en": text}
    if a is None or b is None:
        return Outcome(NOT_MEASURED, None, th)
    longer, shorter = max(a, b), min(a, b)
    ok = bool(compare("ge", longer, long_q)) and bool(compare("ge", shorter, short_q))
    shown = f"{fmt_number(a, 3)} × {fmt_number(b, 3)} {unit}"
    meas = {"value": [a, b], "unit": unit, "text": shown, "text_zh": shown, "text_en": shown}
    return Outcome(PASS if ok else FAIL, meas, th)


def _dims_vector(cols: Cols, p: Params) -> np.ndarray:
    import numpy as np
    a, b = (cols[f] for f in p["fields"])
    known = ~np.isnan(a) & ~np.isnan(b)
    longer, shorter = np.fmax(a, b), np.fmin(a, b)
    ok = compare("ge", longer, p["long_min"]) & compare("ge", shorter, p["short_min"])
    return _status_vec(known, ok)


register(Check("min_dimensions",
               "Both sides of a rectangle are large enough, in either orientation: the longer "
               "side at least `long_min`, the shorter at least `short_min`.",
               {"fields": "fields2", "long_min": "quantity", "short_min": "quantity"},
               _dims_scalar, _dims_vector, unit_field="fields"))


# -- at_least_field: one measurement at least another ------------------------------------------


def _ge_field_scalar(m: Mapping[str, Any], p: Params, fields: Fields) -> Outcome:
    x, ref = m.get(p["field"]), m.get(p["reference"])
    unit = _unit(fields, p["field"])
    th: dict[str, Any] = {"op": "ge", "value": ref, "unit": unit, "given": p["reference"],
                          "reference": p["reference"]}
    if ref is None:
        th.update(text=f"≥ {p['reference']}", text_zh=f"≥ {p['reference']}",
                  text_en=f"≥ {p['reference']}")
    else:
        shown = f"≥ {fmt_number(ref, 3)} {unit} ({p['reference']})"
        th.update(text=shown, text_zh=shown, text_en=shown)
    if x is None or ref is None:
        return Outcome(NOT_MEASURED, None if x is None else _measured(x, unit), th)
    mul, div = p["_scale"]
    ok = bool(quantize(x, mul, div) >= quantize(ref, mul, div))
    return Outcome(PASS if ok else FAIL, _measured(x, unit), th)


def _ge_field_vector(cols: Cols, p: Params) -> np.ndarray:
    import numpy as np
    x, ref = cols[p["field"]], cols[p["reference"]]
    mul, div = p["_scale"]
    return _status_vec(~np.isnan(x) & ~np.isnan(ref),
                       quantize(x, mul, div) >= quantize(ref, mul, div))


register(Check("at_least_field", "A measurement is at least another measurement of the same "
               "unit (a landing at least as wide as its ramp).",
               {"field": "field", "reference": "field"}, _ge_field_scalar, _ge_field_vector))


# -- required_count: at least 1 below a total, at least a share (rounded up) from it -----------


def required_count(total: int, small_below: int, small_minimum: int, share: Fraction) -> int:
    """How many accessible spaces a car park of ``total`` spaces needs."""
    if total < small_below:
        return small_minimum
    return max(small_minimum, -((-total * share.numerator) // (100 * share.denominator)))


def _count_scalar(m: Mapping[str, Any], p: Params, fields: Fields) -> Outcome:
    x, total = m.get(p["field"]), m.get(p["total"])
    below, minimum, share = p["small_below"], p["small_minimum"], p["share"]
    rule_text = (f"≥ {minimum} if {p['total']} < {below}, else ≥ {share.given} of "
                 f"{p['total']} rounded up")
    th: dict[str, Any] = {"op": "ge", "value": None, "unit": None, "given": rule_text,
                          "text": rule_text, "text_zh": rule_text, "text_en": rule_text}
    if total is not None:
        need = required_count(int(total), below, minimum, share.exact)
        if total < below:
            zh = f"≥ {need}（总数 {total} < {below}）"
            en = f"≥ {need} (total {total} < {below})"
        else:
            zh = f"≥ {need}（总数 {total} 的 {share.given}，向上取整）"
            en = f"≥ {need} ({share.given} of {total}, rounded up)"
        th.update(value=need, text=en, text_zh=zh, text_en=en)
    if x is None or total is None:
        return Outcome(NOT_MEASURED, None if x is None else _measured(x, None), th)
    return Outcome(PASS if x >= th["value"] else FAIL, _measured(x, None), th)


def _count_vector(cols: Cols, p: Params) -> np.ndarray:
    import numpy as np
    x, total = cols[p["field"]], cols[p["total"]]
    known = ~np.isnan(x) & ~np.isnan(total)
    share = p["share"].exact
    t = np.where(known, total, 0).astype(np.int64)
    by_share = -((-t * share.numerator) // (100 * share.denominator))
    need = np.where(t < p["small_below"], p["small_minimum"],
                    np.maximum(p["small_minimum"], by_share))
    return _status_vec(known, x >= need)


register(Check("required_count",
               "A count is at least `small_minimum` when `total` is below `small_below`, and at "
               "least `share` of `total` (rounded up) from there on.",
               {"field": "field", "total": "field", "small_below": "count",
                "small_minimum": "count", "share": "quantity"},
               _count_scalar, _count_vector, unit_field="", kinds=("integer",)))
