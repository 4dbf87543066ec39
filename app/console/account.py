"""Password rules, and the blocking database work of signing in and out.

Login answers an unknown username exactly as a wrong password, and spends the same scrypt
work on it (a dummy hash), so neither the message nor the timing tells which usernames exist.
A login and a logout are written to the audit log in the transaction that makes them: no
session without its audit entry, and no audit entry for a session that was never made.
The routes are in app.console.routers.account; the `agents` CLI checks passwords here too.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.console.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from app.db import agents as db_agents
from app.db.escalations import audit
from app.ground.errors import AppError
from app.handoff.views import Actor

MIN_PASSWORD_CHARS = 10


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AppError(
            "weak_password", f"a password needs at least {MIN_PASSWORD_CHARS} characters"
        )
    if len(password) > 1024:
        raise AppError("weak_password", "a password may have at most 1,024 characters")


def authenticate(
    engine: Engine, username: str, password: str, lifetime: timedelta, *, address: str
) -> tuple[db_agents.NewSession, Actor] | None:
    """Check the password and start a session, audited with the client's `address`; None for
    any failure. Blocking (scrypt)."""
    with Session(engine) as session, session.begin():
        agent = db_agents.agent_by_username(session, username=username)
        stored = agent.password_hash if agent is not None else dummy_hash()
        ok = verify_password(password, stored)
        if agent is None or not agent.active or not ok:
            return None
        if needs_rehash(agent.password_hash):
            agent.password_hash = hash_password(password)
        new = db_agents.create_session(session, agent_id=agent.id, lifetime=lifetime)
        audit(session, action="login", agent_id=agent.id, detail={"address": address})
        return new, Actor(agent.id, agent.display_name, agent.role)  # type: ignore[arg-type]


def revoke(engine: Engine, session_id: str, agent_id: str) -> None:
    """End one login session of `agent_id` (logout), audited. Blocking."""
    with Session(engine) as session, session.begin():
        db_agents.revoke_session(session, session_id=session_id)
        audit(session, action="logout", agent_id=agent_id)
