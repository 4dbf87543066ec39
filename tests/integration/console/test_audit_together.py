"""Logins and agent management are written to the audit log in the same transaction as the
change itself (app.console.account, app.console.routers.agents), on SQLite and PostgreSQL.

The audit table is taken away for a moment, so writing the audit entry fails: the change it
records must not have happened either (before, the change was committed first and the audit
written after it, in a transaction of its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.db import agents as db_agents
from app.db.models import AgentSession, AuditEntry
from tests.integration.console_client import (
    PASSWORD,
    client_for,
    create_agent,
    engine_of,
    signed_in,
    try_login,
)


@contextmanager
def audit_log_unwritable(app: FastAPI) -> Iterator[None]:
    """The audit table renamed away (any insert into it fails), then put back."""
    with engine_of(app).begin() as connection:
        connection.execute(text("ALTER TABLE sb_audit_log RENAME TO sb_audit_log_away"))
    try:
        yield
    finally:
        with engine_of(app).begin() as connection:
            connection.execute(text("ALTER TABLE sb_audit_log_away RENAME TO sb_audit_log"))


def audit_actions(app: FastAPI) -> list[str]:
    with Session(engine_of(app)) as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_agent_changes_are_not_made_when_their_audit_entry_cannot_be_written(
    any_app: FastAPI,
) -> None:
    app = any_app
    admin, csrf = signed_in(app, "ada", "admin")
    bob_id = create_agent(engine_of(app), "bob", PASSWORD)
    before = audit_actions(app)

    with audit_log_unwritable(app):
        with pytest.raises(Exception, match="sb_audit_log"):
            admin.post(
                "/console/agents",
                data={"csrf_token": csrf, "username": "eve", "password": PASSWORD,
                      "role": "admin"},
            )  # fmt: skip
        with pytest.raises(Exception, match="sb_audit_log"):
            admin.post(f"/console/agents/{bob_id}/role", data={"csrf_token": csrf, "role": "admin"})
        with pytest.raises(Exception, match="sb_audit_log"):
            admin.post(f"/console/agents/{bob_id}/active", data={"csrf_token": csrf, "active": "0"})

    with Session(engine_of(app)) as session:
        assert db_agents.agent_by_username(session, username="eve") is None
        bob = db_agents.agent_by_username(session, username="bob")
        assert bob is not None and bob.role == "agent" and bob.active
    assert audit_actions(app) == before

    # With the audit log back, the same change is made and audited together.
    done = admin.post(f"/console/agents/{bob_id}/role", data={"csrf_token": csrf, "role": "admin"})
    assert done.status_code == 303
    assert audit_actions(app) == [*before, "agent_role_changed"]


def test_no_login_or_logout_without_its_audit_entry(any_app: FastAPI) -> None:
    app = any_app
    create_agent(engine_of(app), "carol", PASSWORD)
    agent, csrf = signed_in(app, "dave")

    def live_sessions() -> int:
        with Session(engine_of(app)) as session:
            query = select(func.count()).where(AgentSession.revoked_at.is_(None))
            return int(session.scalar(query.select_from(AgentSession)) or 0)

    before = live_sessions()
    with audit_log_unwritable(app):
        with pytest.raises(Exception, match="sb_audit_log"):
            try_login(client_for(app), "carol", PASSWORD)
        with pytest.raises(Exception, match="sb_audit_log"):
            agent.post("/console/logout", data={"csrf_token": csrf})
    assert live_sessions() == before  # carol has no session, dave's is still live
    assert agent.get("/console/api/me").status_code == 200
    assert audit_actions(app) == ["login"]  # dave's, from before
