"""`supportbot agents create | list | deactivate | set-role`: the console's logins.

Agents live in the database (migrated first); every change is written to the audit log with
`"by": "cli"`, like the changes an admin makes in the console.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from app.doors.cli import common
from app.ground.config import Settings
from app.ground.errors import AppError

if TYPE_CHECKING:
    from sqlalchemy import Engine

ROLES = ["agent", "supervisor", "admin"]


def add_commands(sub: Any) -> None:
    agents = sub.add_parser("agents", help="console logins: create, list, deactivate, set-role")
    agents_sub = agents.add_subparsers(dest="agents_command", required=True)
    create = agents_sub.add_parser("create", help="add an agent who can sign in to /console")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--name", help="display name shown to customers (default: username)")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (one line)"
    )
    create.set_defaults(func=cmd_agents_create)
    agents_sub.add_parser("list", help="every agent").set_defaults(func=cmd_agents_list)
    deactivate = agents_sub.add_parser("deactivate", help="block sign-in and end their logins")
    deactivate.add_argument("username")
    deactivate.set_defaults(func=cmd_agents_deactivate)
    set_role = agents_sub.add_parser("set-role", help="change an agent's role")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=ROLES)
    set_role.set_defaults(func=cmd_agents_set_role)


def _agents_engine(settings: Settings) -> Engine:
    """An engine on the migrated database (agents live there)."""
    from app.db.engine import make_engine, upgrade

    upgrade(settings.resolved_database_url)
    return make_engine(settings.resolved_database_url)


def _read_password(from_stdin: bool) -> str:
    """The new password: one line on stdin, or asked twice at the terminal (never echoed)."""
    from app.console.account import check_password_rules

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass("Password (10+ characters): ")
        if getpass.getpass("Same password again: ") != password:
            raise AppError("usage", "the two passwords differ")
    check_password_rules(password)
    return password


def cmd_agents_create(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from app.console.passwords import hash_password
    from app.db import agents
    from app.db.escalations import audit

    settings = common.settings()
    password = _read_password(args.password_stdin)
    engine = _agents_engine(settings)
    try:
        with Session(engine) as session, session.begin():
            agent = agents.create_agent(
                session,
                username=args.username,
                display_name=args.name or args.username,
                role=args.role,
                password_hash=hash_password(password),
            )
            audit(
                session,
                action="agent_created",
                detail={"agent_id": agent.id, "username": agent.username, "role": agent.role,
                        "by": "cli"},
            )  # fmt: skip
            print(f"created {agent.role} {agent.username!r} ({agent.display_name})")
    finally:
        engine.dispose()
    return 0


def cmd_agents_list(_args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from app.db import agents

    engine = _agents_engine(common.settings())
    try:
        with Session(engine) as session:
            rows = agents.list_agents(session)
            for agent in rows:
                status = "active" if agent.active else "inactive"
                print(f"{agent.username:<24} {agent.role:<10} {status:<8} {agent.display_name}")
    finally:
        engine.dispose()
    if not rows:
        print("no agents yet: supportbot agents create USERNAME --role admin")
    return 0


def cmd_agents_deactivate(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from app.db import agents
    from app.db.escalations import audit

    engine = _agents_engine(common.settings())
    try:
        with Session(engine) as session, session.begin():
            agent = agents.require_agent(session, username=args.username)
            ended = agents.set_active(session, agent_id=agent.id, active=False)
            audit(
                session,
                action="agent_deactivated",
                detail={"agent_id": agent.id, "sessions_ended": len(ended), "by": "cli"},
            )
            print(f"deactivated {agent.username!r}; {len(ended)} login(s) ended")
    finally:
        engine.dispose()
    return 0


def cmd_agents_set_role(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from app.db import agents
    from app.db.escalations import audit

    engine = _agents_engine(common.settings())
    try:
        with Session(engine) as session, session.begin():
            agent = agents.require_agent(session, username=args.username)
            agents.set_role(session, agent_id=agent.id, role=args.role)
            audit(
                session,
                action="agent_role_changed",
                detail={"agent_id": agent.id, "role": args.role, "by": "cli"},
            )
            print(f"{agent.username!r} is now {args.role}")
    finally:
        engine.dispose()
    return 0
