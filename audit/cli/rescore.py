"""``python -m audit rescore``: re-evaluate stored audits under the current ruleset.

Prints how many audits were re-evaluated and how many changed verdict (counts per verdict
before → after, and each kind of change; ``--list``: every audit that changed), and lists the
audits whose stored measurements the current ruleset rejects (left as they were).
``--dry-run`` writes nothing. Each batch is one transaction; the change log records every
rescored audit and the run. The operator acts as the system, or as the account named by
``--user``, which must be an active administrator. Bad input (an unknown or disabled account, a
batch size out of range) exits 2 with a message naming the option; a role that may not rescore
exits 1.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from audit.actors import Actor
    from audit.storage import Database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "rescore",
        help="re-evaluate stored audits under the current ruleset (admin)",
        description="Re-evaluate stored audits under the current ruleset and show how many "
        "changed verdict. Audits already scored with the current ruleset are left alone "
        "unless --all is given.",
    )
    parser.add_argument("--dry-run", action="store_true",
                        help="evaluate and count, write nothing")
    parser.add_argument("--all", dest="everything", action="store_true",
                        help="also re-evaluate audits already scored with the current ruleset")
    parser.add_argument("--batch-size", default="500", metavar="N",
                        help="audits per transaction, 1 to 10,000 (default 500)")
    parser.add_argument("--user", metavar="NAME",
                        help="act as this administrator account (recorded in the change log)")
    parser.add_argument("--list", dest="each", action="store_true",
                        help="also list every audit whose verdict changed (before → after)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=_rescore)


def _actor(db: Database, name: str | None) -> Actor:
    """The acting account: the system, or the active account ``name``."""
    from audit.actors import SYSTEM
    from audit.auth import get_user
    from audit.errors import InputError, Problem

    if name is None:
        return SYSTEM
    with db.unit_of_work(SYSTEM) as repo:
        user = get_user(repo, name)
    if user is None or not user.is_active:
        raise InputError(Problem("--user", name, "the name of an active account"))
    return user.actor()


def _rescore(args: argparse.Namespace) -> int:
    from audit.rescore import check_batch_size, rescore
    from audit.storage import open_database

    size = check_batch_size(args.batch_size)
    db = open_database()
    try:
        actor = _actor(db, args.user)
        report = rescore(db, actor, dry_run=args.dry_run, batch_size=size,
                         everything=args.everything)
    finally:
        db.engine.dispose()
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(report.lines(each=args.each)))
    return 0
