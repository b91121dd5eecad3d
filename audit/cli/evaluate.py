"""``python -m audit evaluate TYPE --json '{...}'`` and ``python -m audit rules list``.

``evaluate`` prints the evaluation as JSON (UTF-8, not escaped). Bad input (unknown type or field,
out-of-range value, a contradiction such as ``bollards_present: false`` with a bollard gap,
invalid JSON) exits with code 2 and a message naming every bad field. Values outside their
plausible range are listed under ``suspects`` (with "did you mean" hints) and left unread until
confirmed in ``confirmed_values``; ``--strict`` rejects them instead (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from audit.errors import InputError, Problem


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ev = subparsers.add_parser(
        "evaluate",
        help="score one facility's measurements against the ruleset (prints JSON)",
        description="Score one facility's measurements against GB 55019-2021. Example: "
        "python -m audit evaluate ramp --json '{\"running_slope_pct\": 9.1, \"rise_mm\": 140}'",
    )
    ev.add_argument("facility_type", help="ramp, curb_ramp, toilet, parking, crossing_signal, "
                    "tactile_paving or entrance")
    src = ev.add_mutually_exclusive_group()
    src.add_argument("--json", dest="json_text", metavar="JSON",
                     help="measurements as a JSON object; '-' reads standard input")
    src.add_argument("--file", type=Path, help="a file holding the JSON object")
    ev.add_argument("--ruleset", default="gb55019-2021",
                    help="ruleset name or path to a .toml file (default: gb55019-2021)")
    ev.add_argument("--compact", action="store_true", help="one line of JSON, no indentation")
    ev.add_argument("--strict", action="store_true",
                    help="reject values outside their plausible range unless listed in "
                    "confirmed_values (exit 2)")
    ev.set_defaults(func=_evaluate)

    rules = subparsers.add_parser("rules", help="inspect the ruleset")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    ls = rules_sub.add_parser("list", help="list the rules (one line each, or JSON)")
    ls.add_argument("--ruleset", default="gb55019-2021")
    ls.add_argument("--type", dest="facility_type", help="only this facility type")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(func=_rules_list)


def _read_measurements(args: argparse.Namespace) -> dict[str, Any]:
    if args.file is not None:
        try:
            text = args.file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(
                Problem("--file", str(args.file), f"a readable file ({exc.strerror})")
            ) from None
        where = "--file"
    elif args.json_text == "-":
        text, where = sys.stdin.read(), "--json -"
    elif args.json_text is not None:
        text, where = args.json_text, "--json"
    else:
        text, where = "{}", "--json"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(Problem(where, text[:200], f"a JSON object ({exc.msg} at line "
                                 f"{exc.lineno} column {exc.colno})")) from None
    if not isinstance(data, dict):
        raise InputError(Problem(where, data, 'a JSON object such as {"rise_mm": 140}'))
    return data


def _ruleset(name: str) -> Any:
    from audit.rules import default_ruleset, load_ruleset

    return default_ruleset() if name == "gb55019-2021" else load_ruleset(name)


def _evaluate(args: argparse.Namespace) -> int:
    from audit.scoring import evaluate

    measurements = _read_measurements(args)
    result = evaluate(args.facility_type, measurements, ruleset=_ruleset(args.ruleset),
                      strict=args.strict)
    indent = None if args.compact else 2
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=indent))
    return 0


def _rules_list(args: argparse.Namespace) -> int:
    from audit.model import schema

    rs = _ruleset(args.ruleset)
    rules = rs.rules
    if args.facility_type:
        schema(args.facility_type)  # InputError for an unknown type
        rules = rs.for_facility(args.facility_type)
    if args.json:
        rows = [{"rule_id": r.rule_id, "reference": r.reference, "severity": r.severity,
                 "verification": r.verification, "provisional": r.provisional,
                 "obligation": r.obligation, "split": r.split,
                 "applies_when": r.applies_text, "title_zh": r.title_zh, "title_en": r.title_en}
                for r in rules]
        print(json.dumps({"ruleset_id": rs.id, "version": rs.version, "sha256": rs.sha256,
                          "rules": rows}, ensure_ascii=False, indent=2))
        return 0
    print(f"# {rs.id} version {rs.version} sha256 {rs.sha256[:16]}… ({len(rules)} rules)")
    for r in rules:
        flag = (" provisional" if r.provisional else "") + (" advice" if r.is_advice else "")
        print(f"{r.rule_id:40} {r.reference:24} {r.severity:8} {r.verification}{flag}  "
              f"{r.title_zh}")
    return 0
