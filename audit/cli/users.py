"""``python -m audit users ...``: create, list, disable, enable, unlock accounts, set a password
and remove the demo accounts.

First run of a real deployment: ``python -m audit users add NAME --role admin`` (the database is
created and migrated if needed).

The password is read from a hidden prompt (typed twice) or, for scripts, from standard input
with ``--password-stdin``; it is never accepted as a command-line argument (which would leak
into shell history and ``ps``).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from audit.actors import USER_ROLES
from audit.cli._shared import unit_of_work
from audit.errors import InputError, Problem


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "users", help="accounts: add | list | disable | enable | unlock | password | remove-demo"
    )
    sub = parser.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="create an account (password from a prompt or stdin)")
    add.add_argument("name", help="username: lower-case letters, digits, '.', '_' or '-'")
    add.add_argument("--role", required=True, choices=list(USER_ROLES))
    add.add_argument("--display-name", default="", help="name shown in audits")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(func=_add)
    lst = sub.add_parser("list", help="list accounts")
    lst.set_defaults(func=_list)
    pw = sub.add_parser("password", help="set an account's password (prompt or stdin)")
    pw.add_argument("name")
    pw.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    pw.set_defaults(func=_password)
    rm = sub.add_parser("remove-demo", help="delete the demo accounts (public passwords)")
    rm.set_defaults(func=_remove_demo)
    for name, helptext, func in (
        ("disable", "disable an account (its audits stay)", _disable),
        ("enable", "re-enable a disabled account", _enable),
        ("unlock", "clear a lock-out after failed sign-ins", _unlock),
    ):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument("name")
        cmd.set_defaults(func=func)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    second = getpass.getpass("password again: ")
    if first != second:
        raise InputError(Problem("password", "(hidden)", "the same password typed twice"))
    return first


def _add(args: argparse.Namespace) -> int:
    from audit.auth import create_user

    password = _read_password(args.password_stdin)
    with unit_of_work(write=True, upgrade=True) as repo:
        user = create_user(repo, args.name, password, args.role, display_name=args.display_name)
    print(f"created {user.role} account {user.username!r} (id {user.id})")
    return 0


def _password(args: argparse.Namespace) -> int:
    from audit.auth import set_password

    password = _read_password(args.password_stdin)
    with unit_of_work(write=True) as repo:
        user = set_password(repo, args.name, password)
    print(f"password of {user.username!r} changed")
    return 0


def _remove_demo(args: argparse.Namespace) -> int:
    from audit.auth import remove_demo_accounts

    with unit_of_work(write=True) as repo:
        removed = remove_demo_accounts(repo)
    print(f"demo accounts removed: {', '.join(removed) if removed else 'none'}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from audit.auth import list_users

    with unit_of_work(write=True) as repo:
        users = list_users(repo)
    print(f"{'username':<24} {'role':<10} {'active':<7} {'locked until':<20} demo")
    for u in users:
        locked = f"{u.locked_until:%Y-%m-%d %H:%M}" if u.is_locked() and u.locked_until else "-"
        print(
            f"{u.username:<24} {u.role:<10} {'yes' if u.is_active else 'no':<7} {locked:<20} "
            f"{'yes' if u.is_demo else 'no'}"
        )
    return 0


def _disable(args: argparse.Namespace) -> int:
    from audit.auth import set_active

    with unit_of_work(write=True) as repo:
        user = set_active(repo, args.name, False)
    print(f"disabled {user.username!r}")
    return 0


def _enable(args: argparse.Namespace) -> int:
    from audit.auth import set_active

    with unit_of_work(write=True) as repo:
        user = set_active(repo, args.name, True)
    print(f"enabled {user.username!r}")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    from audit.auth import unlock_user

    with unit_of_work(write=True) as repo:
        user = unlock_user(repo, args.name)
    print(f"unlocked {user.username!r}")
    return 0
