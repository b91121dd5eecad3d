"""Routing profiles as data (issue 14 §2): ``geodata/data/profiles.toml``, loaded and validated.

A profile (manual wheelchair, powered wheelchair, blind or low vision, older person with a
walker) is a list of rules over the accessibility elements of the walk network
(:mod:`geodata.pedestrian`): what **blocks** it, what it **avoids** at a cost (metres added, or
the length multiplied) and what it **prefers** (length multiplied by less than one). Each rule
cites the GB 55019-2021 / GB 50763-2012 clause or the OSM tag it reads, and says where its number
comes from (``basis``: code, osm, peer or project). The file's header documents the format.

:func:`load_profiles` reports every problem of the file at once (field, value, what is allowed),
like the rules loader; the bureau edits the file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from geodata.errors import InputError, Problem
from geodata.pedestrian import STATES, TagRules, load_tag_rules, read_toml

PROFILES_FILE = Path(__file__).parent / "data" / "profiles.toml"
EFFECTS: tuple[str, ...] = ("block", "avoid", "prefer")
BASES: tuple[str, ...] = ("code", "osm", "peer", "project")
#: a clause citation: a standard the project's checklist covers, then a clause number
CLAUSE_RE = re.compile(r"^GB (55019-2021|50763-2012) \d+(\.\d+)+(-\d+)?$")
OSM_RE = re.compile(r"^osm:[a-z_:]+(=[A-Za-z0-9_*.;-]+)?$")
_RULE_KEYS = {
    "id",
    "effect",
    "kinds",
    "tags",
    "unless_tags",
    "state",
    "failing_clauses",
    "incline_above_pct",
    "width_below_m",
    "add_m",
    "multiplier",
    "cites",
    "basis",
    "source",
}
_PROFILE_KEYS = {"id", "name_zh", "name_en", "report_unknown", "rule"}

Effect = Literal["block", "avoid", "prefer"]


@dataclass(frozen=True)
class Rule:
    """One rule of a profile (see ``profiles.toml`` for the meaning of each field)."""

    id: str
    effect: Effect
    kinds: frozenset[str]
    tags: tuple[tuple[str, str | None], ...] = ()
    unless_tags: tuple[tuple[str, str | None], ...] = ()
    state: str | None = None
    failing_clauses: tuple[str, ...] = ()
    incline_above_pct: float | None = None
    width_below_m: float | None = None
    add_m: float = 0.0
    multiplier: float = 1.0
    cites: tuple[str, ...] = ()
    basis: str = ""
    source: str = ""

    @property
    def clauses(self) -> tuple[str, ...]:
        """The standard clauses this rule cites (not the OSM tags)."""
        return tuple(c for c in self.cites if not c.startswith("osm:"))


@dataclass(frozen=True)
class Profile:
    """A routing profile: its names, its rules, and the element kinds whose unknown state a
    route reports. ``key`` identifies the content (file version + id + rules) for caches."""

    id: str
    name_zh: str
    name_en: str
    rules: tuple[Rule, ...]
    report_unknown: frozenset[str]
    version: str = ""

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.id, self.version, hash(self.rules))

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


def _tag_list(
    value: Any, field: str, problems: list[Problem]
) -> tuple[tuple[str, str | None], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(field, value, "a list of 'key=value' or 'key=*' strings"))
        return ()
    out: list[tuple[str, str | None]] = []
    for entry in value:
        k, sep, v = entry.partition("=")
        if not sep or not k.strip() or not v.strip():
            problems.append(Problem(field, entry, "'key=value' or 'key=*'"))
            continue
        out.append((k.strip(), None if v.strip() == "*" else v.strip()))
    return tuple(out)


def _number(
    raw: Mapping[str, Any],
    key: str,
    where: str,
    problems: list[Problem],
    *,
    allowed: str,
    ok: Any,
) -> float | None:
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(Problem(f"{where}.{key}", value, allowed))
        return None
    if not ok(float(value)):
        problems.append(Problem(f"{where}.{key}", value, allowed))
        return None
    return float(value)


def _parse_rule(
    raw: Any, where: str, kinds_known: set[str], problems: list[Problem]
) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(Problem(where, raw, "a table of rule fields"))
        return None
    for key in sorted(set(raw) - _RULE_KEYS):
        problems.append(
            Problem(f"{where}.{key}", raw[key], f"one of the fields {sorted(_RULE_KEYS)}")
        )
    start = len(problems)
    rid = raw.get("id")
    if not isinstance(rid, str) or not re.fullmatch(r"[a-z0-9_]+", rid):
        problems.append(Problem(f"{where}.id", rid, "a non-empty id of a-z, 0-9 and _"))
    effect = raw.get("effect")
    if effect not in EFFECTS:
        problems.append(Problem(f"{where}.effect", effect, f"one of {list(EFFECTS)}"))
    kinds = raw.get("kinds")
    if (
        not isinstance(kinds, list)
        or not kinds
        or not all(isinstance(k, str) and k in kinds_known for k in kinds)
    ):
        problems.append(
            Problem(f"{where}.kinds", kinds, f"a non-empty list of {sorted(kinds_known)}")
        )
        kinds = []
    tags = _tag_list(raw.get("tags"), f"{where}.tags", problems)
    unless = _tag_list(raw.get("unless_tags"), f"{where}.unless_tags", problems)
    state = raw.get("state")
    if state is not None and state not in STATES:
        problems.append(Problem(f"{where}.state", state, f"one of {list(STATES)}"))
    failing = raw.get("failing_clauses", [])
    if not isinstance(failing, list) or not all(
        isinstance(c, str) and re.fullmatch(r"GB (55019-2021|50763-2012) \d+(\.\d*)*", c)
        for c in failing
    ):
        problems.append(
            Problem(
                f"{where}.failing_clauses",
                failing,
                "a list of clause prefixes such as 'GB 55019-2021 2.10.' or 'GB 55019-2021 2.10.2'",
            )
        )
        failing = []
    incline = _number(
        raw,
        "incline_above_pct",
        where,
        problems,
        allowed="a slope in percent, 0 < value <= 100",
        ok=lambda v: 0 < v <= 100,
    )
    width = _number(
        raw,
        "width_below_m",
        where,
        problems,
        allowed="a width in metres, 0 < value <= 20",
        ok=lambda v: 0 < v <= 20,
    )
    add = _number(
        raw,
        "add_m",
        where,
        problems,
        allowed="metres added, 0 <= value <= 100000",
        ok=lambda v: 0 <= v <= 1e5,
    )
    if effect == "prefer":
        mult = _number(
            raw,
            "multiplier",
            where,
            problems,
            allowed="for 'prefer', a factor 0 < value < 1",
            ok=lambda v: 0 < v < 1,
        )
        if "multiplier" not in raw:
            problems.append(
                Problem(f"{where}.multiplier", None, "for 'prefer', a factor 0 < value < 1")
            )
        if add:
            problems.append(
                Problem(f"{where}.add_m", add, "no add_m for 'prefer' (costs never go below zero)")
            )
    else:
        mult = _number(
            raw,
            "multiplier",
            where,
            problems,
            allowed="a factor 1 <= value <= 100",
            ok=lambda v: 1 <= v <= 100,
        )
    if effect == "avoid" and not add and (mult is None or mult == 1.0):
        problems.append(
            Problem(
                f"{where}.add_m", raw.get("add_m"), "for 'avoid', add_m > 0 and/or multiplier > 1"
            )
        )
    if effect == "block" and ("add_m" in raw or "multiplier" in raw):
        problems.append(Problem(f"{where}.effect", effect, "'block' takes no add_m or multiplier"))
    cites = raw.get("cites")
    if (
        not isinstance(cites, list)
        or not cites
        or not all(isinstance(c, str) and (CLAUSE_RE.match(c) or OSM_RE.match(c)) for c in cites)
    ):
        problems.append(
            Problem(
                f"{where}.cites",
                cites,
                "a non-empty list of clauses ('GB 55019-2021 2.10.2') or OSM tags "
                "('osm:kerb=raised')",
            )
        )
        cites = []
    basis = raw.get("basis")
    if basis not in BASES:
        problems.append(Problem(f"{where}.basis", basis, f"one of {list(BASES)}"))
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append(
            Problem(
                f"{where}.source",
                source,
                "a sentence saying where the rule and its number come from",
            )
        )
    if len(problems) > start:
        return None
    return Rule(
        id=str(rid),
        effect=cast(Effect, effect),
        kinds=frozenset(kinds),
        tags=tags,
        unless_tags=unless,
        state=state,
        failing_clauses=tuple(failing),
        incline_above_pct=incline,
        width_below_m=width,
        add_m=add or 0.0,
        multiplier=mult if mult is not None else 1.0,
        cites=tuple(cites),
        basis=str(basis),
        source=str(source),
    )


def parse_profiles(
    data: Mapping[str, Any], source: str = "profiles", *, tag_rules: TagRules | None = None
) -> dict[str, Profile]:
    """Validate parsed TOML; every problem is reported at once in one :class:`InputError`."""
    kinds_known = set((tag_rules or load_tag_rules()).kind_ids)
    problems: list[Problem] = []
    for key in sorted(set(data) - {"version", "profile"}):
        problems.append(Problem(key, data[key], "one of the sections ['profile', 'version']"))
    version = data.get("version")
    if not isinstance(version, str) or not version:
        problems.append(Problem("version", version, "a non-empty string"))
    raw_profiles = data.get("profile")
    if not isinstance(raw_profiles, list) or not raw_profiles:
        problems.append(Problem("profile", raw_profiles, "one or more [[profile]] tables"))
        raw_profiles = []
    out: dict[str, Profile] = {}
    for i, raw in enumerate(raw_profiles):
        where = f"profile[{i}]"
        if not isinstance(raw, dict):
            problems.append(Problem(where, raw, "a [[profile]] table"))
            continue
        for key in sorted(set(raw) - _PROFILE_KEYS):
            problems.append(
                Problem(f"{where}.{key}", raw[key], f"one of the fields {sorted(_PROFILE_KEYS)}")
            )
        pid = raw.get("id")
        if not isinstance(pid, str) or not re.fullmatch(r"[a-z0-9_]+", pid) or pid in out:
            problems.append(Problem(f"{where}.id", pid, "a new, non-empty id of a-z, 0-9 and _"))
            continue
        where = f"profile {pid}"
        names = {}
        for key in ("name_zh", "name_en"):
            value = raw.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(f"{where}.{key}", value, "a non-empty name"))
            names[key] = str(value)
        report = raw.get("report_unknown", [])
        if not isinstance(report, list) or not all(
            isinstance(k, str) and k in kinds_known for k in report
        ):
            problems.append(
                Problem(f"{where}.report_unknown", report, f"a list of {sorted(kinds_known)}")
            )
            report = []
        rules: list[Rule] = []
        seen: set[str] = set()
        raw_rules = raw.get("rule", [])
        if not isinstance(raw_rules, list):
            problems.append(Problem(f"{where}.rule", raw_rules, "[[profile.rule]] tables"))
            raw_rules = []
        for j, rraw in enumerate(raw_rules):
            rule = _parse_rule(rraw, f"{where}.rule[{j}]", kinds_known, problems)
            if rule is None:
                continue
            if rule.id in seen:
                problems.append(
                    Problem(
                        f"{where}.rule[{j}].id", rule.id, "an id not used before in this profile"
                    )
                )
                continue
            seen.add(rule.id)
            rules.append(rule)
        out[pid] = Profile(
            pid,
            names["name_zh"],
            names["name_en"],
            tuple(rules),
            frozenset(report),
            str(version or ""),
        )
    if problems:
        raise InputError(problems, context=f"routing profiles {source}")
    return out


_CACHE: dict[tuple[str, float], dict[str, Profile]] = {}


def load_profiles(
    path: Path | str | None = None, *, tag_rules: TagRules | None = None
) -> dict[str, Profile]:
    """Read and validate a profiles file (default: the bundled ``profiles.toml``), by id."""
    p = Path(path) if path is not None else PROFILES_FILE
    key = (str(p.resolve()), p.stat().st_mtime) if p.is_file() else None
    if key is None or key not in _CACHE or tag_rules is not None:
        data = read_toml(p, "routing profiles")
        key = (str(p.resolve()), p.stat().st_mtime)
        profiles = parse_profiles(data, str(p), tag_rules=tag_rules)
        if tag_rules is not None:
            return profiles
        _CACHE[key] = profiles
    return _CACHE[key]


def get_profile(profile_id: str, path: Path | str | None = None) -> Profile:
    """One profile by id; an unknown id names the ids there are."""
    profiles = load_profiles(path)
    if profile_id not in profiles:
        raise InputError(Problem("profile", profile_id, f"one of {sorted(profiles)}"))
    return profiles[profile_id]


_NUM = r"([+-]?\d+(?:[.,]\d+)?)"


def parse_incline(value: str | None) -> float | None:
    """The slope an OSM ``incline`` value states, in percent (absolute); ``None`` if it does not
    state one ("up", "down", missing, unreadable): the incline is then unknown."""
    if value is None:
        return None
    text = value.strip().lower()
    m = re.fullmatch(_NUM + r"\s*%", text)
    if m:
        return abs(float(m.group(1).replace(",", ".")))
    m = re.fullmatch(_NUM + r"\s*(°|deg|degrees?)", text)
    if m:
        deg = abs(float(m.group(1).replace(",", ".")))
        return math.tan(math.radians(deg)) * 100.0 if deg < 90 else None
    return None


def parse_width(value: str | None) -> float | None:
    """An OSM ``width`` in metres ("1.5", "1.5 m", "150 cm"); ``None`` if unreadable."""
    if value is None:
        return None
    text = value.strip().lower()
    m = re.fullmatch(_NUM + r"\s*(m|cm|mm)?", text)
    if not m:
        return None
    number = float(m.group(1).replace(",", "."))
    scale = {"cm": 0.01, "mm": 0.001}.get(m.group(2) or "m", 1.0)
    width = number * scale
    return width if width > 0 else None


__all__ = [
    "BASES",
    "EFFECTS",
    "PROFILES_FILE",
    "Profile",
    "Rule",
    "get_profile",
    "load_profiles",
    "parse_incline",
    "parse_profiles",
    "parse_width",
]
