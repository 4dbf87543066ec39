"""Roles and agent management (app.console.routers.agents, .audit): what agents, supervisors
and admins may do, on SQLite and PostgreSQL, and the `agents` CLI."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import agents as db_agents
from app.db.models import AuditEntry
from app.doors.cli import main as cli_main
from app.ground.config import Settings
from app.handoff.views import ROLES
from tests.integration.console_client import (
    PASSWORD,
    client_for,
    console_app,
    engine_of,
    escalate,
    escalation_state,
    login,
    seed_conversation,
    signed_in,
    try_login,
)


def test_roles_agent_supervisor_admin(any_app: FastAPI) -> None:
    app = any_app
    conversation_id = seed_conversation(engine_of(app))
    escalate(app, conversation_id)
    agent, agent_csrf = signed_in(app, "alice", "agent")
    supervisor, supervisor_csrf = signed_in(app, "sam", "supervisor")
    admin, admin_csrf = signed_in(app, "ada", "admin")
    with Session(engine_of(app)) as session:
        alice = db_agents.agent_by_username(session, username="alice")
        assert alice is not None
        alice_id = alice.id

    # An agent may not assign, nor open the audit log or agent management.
    assign = f"/console/conversations/{conversation_id}/assign"
    refused = agent.post(assign, data={"csrf_token": agent_csrf, "agent_id": alice_id})
    assert refused.status_code == 403
    assert agent.get("/console/audit").status_code == 403
    assert agent.get("/console/agents").status_code == 403
    assert (
        agent.post(
            "/console/agents",
            data={
                "csrf_token": agent_csrf,
                "username": "x1",
                "password": PASSWORD,
                "role": "admin",
            },
        ).status_code
        == 403
    )
    page = agent.get(f"/console/conversations/{conversation_id}").text
    assert 'id="assign-agent"' not in page and 'id="nav-agents"' not in page

    # A supervisor hands the conversation to alice, and sees the audit log.
    page = supervisor.get(f"/console/conversations/{conversation_id}").text
    assert 'id="assign-agent"' in page and 'value="assign"' in page
    done = supervisor.post(assign, data={"csrf_token": supervisor_csrf, "agent_id": alice_id})
    assert done.status_code == 303
    assert escalation_state(app, conversation_id) == ("assigned", alice_id)
    audit = supervisor.get("/console/audit")
    assert audit.status_code == 200 and 'data-action="assigned"' in audit.text
    assert supervisor.get("/console/agents").status_code == 403

    # An admin adds an agent, who signs in; deactivating them ends that login at once.
    created = admin.post(
        "/console/agents",
        data={"csrf_token": admin_csrf, "username": "New.Agent", "display_name": "Nia",
              "role": "agent", "password": "a new password"},
    )  # fmt: skip
    assert created.status_code == 303
    listing = admin.get("/console/agents", headers={"Accept": "application/json"}).json()
    nia = next(a for a in listing["agents"] if a["username"] == "new.agent")
    assert nia["display_name"] == "Nia" and nia["role"] == "agent" and nia["active"]
    newcomer = client_for(app)
    login(newcomer, "new.agent", "a new password")
    assert newcomer.get("/console").status_code == 200
    weak = admin.post(
        "/console/agents",
        data={"csrf_token": admin_csrf, "username": "weak", "password": "short", "role": "agent"},
    )
    assert weak.status_code == 400 and "at least 10" in weak.text
    duplicate = admin.post(
        "/console/agents",
        data={"csrf_token": admin_csrf, "username": "alice", "password": PASSWORD, "role": "agent"},
    )
    assert duplicate.status_code == 400 and "taken" in duplicate.text

    off = admin.post(
        f"/console/agents/{nia['id']}/active", data={"csrf_token": admin_csrf, "active": "0"}
    )
    assert off.status_code == 303
    assert newcomer.get("/console/api/me").status_code == 401
    assert try_login(client_for(app), "new.agent", "a new password").status_code == 401

    # Role changes apply to the next request of a signed-in agent.
    promoted = admin.post(
        f"/console/agents/{alice_id}/role", data={"csrf_token": admin_csrf, "role": "supervisor"}
    )
    assert promoted.status_code == 303
    assert agent.get("/console/audit").status_code == 200
    # An admin cannot lock themselves out.
    me = admin.get("/console/api/me").json()
    assert (
        admin.post(
            f"/console/agents/{me['agent_id']}/active",
            data={"csrf_token": admin_csrf, "active": "0"},
        ).status_code
        == 400
    )
    actions = [
        e.action
        for e in Session(engine_of(app)).scalars(select(AuditEntry).order_by(AuditEntry.id))
    ]
    for expected in ("login", "agent_created", "agent_deactivated", "agent_role_changed"):
        assert expected in actions


def test_agents_cli_creates_a_usable_login(
    settings: Settings, sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("SUPPORTBOT_DATABASE_URL", sqlite_url)

    def run(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return cli_main(list(argv))

    assert run("agents", "create", "Root", "--role", "admin", "--name", "Ro Ot",
               "--password-stdin", stdin="a long password\n") == 0  # fmt: skip
    assert "created admin 'root'" in capsys.readouterr().out
    assert run("agents", "create", "root", "--role", "agent", "--password-stdin",
               stdin="another password\n") == 1  # fmt: skip
    assert "taken" in capsys.readouterr().err
    assert run("agents", "create", "shorty", "--role", "agent", "--password-stdin",
               stdin="short\n") == 1  # fmt: skip
    assert "at least 10" in capsys.readouterr().err
    passwords = iter(["first password", "other password"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(passwords))
    assert run("agents", "create", "typo", "--role", "agent") == 2
    assert "differ" in capsys.readouterr().err
    assert run("agents", "create", "sam", "--role", "agent", "--password-stdin",
               stdin="sam's password\n") == 0  # fmt: skip
    assert run("agents", "set-role", "sam", "supervisor") == 0
    assert run("agents", "list") == 0
    listing = capsys.readouterr().out
    assert re.search(r"root\s+admin\s+active\s+Ro Ot", listing)
    assert re.search(r"sam\s+supervisor\s+active", listing)

    app = console_app(settings, sqlite_url)
    client = client_for(app)
    login(client, "root", "a long password")
    me: dict[str, Any] = client.get("/console/api/me").json()
    assert me["role"] == "admin" and me["display_name"] == "Ro Ot"
    assert client.get("/console/agents").status_code == 200

    assert run("agents", "deactivate", "root") == 0
    assert "1 login(s) ended" in capsys.readouterr().out
    assert client.get("/console/api/me").status_code == 401
    assert run("agents", "deactivate", "nobody") == 1
    engine_of(app).dispose()


def test_roles_match_the_handoff_roles() -> None:
    assert db_agents.ROLES == ROLES
