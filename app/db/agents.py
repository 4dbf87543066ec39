"""Queries on console agents and their login sessions.

Plain functions: the session comes first, the rest keyword-only, and none of them commits —
the caller owns the transaction. A login session is stored under the SHA-256 of its cookie
token, never the token itself, so reading this table does not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db.models import Agent, AgentSession, utc_now
from app.ground.errors import AppError

# Lowest to highest: a role may do everything the roles before it may.
ROLES = ("agent", "supervisor", "admin")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


def token_id(token: str) -> str:
    """The id a session is stored under: the SHA-256 (hex) of its cookie token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_username(username: str) -> str:
    return username.strip().lower()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AppError("bad_role", f"unknown role {role!r}: use one of {', '.join(ROLES)}")


def create_agent(
    session: Session, *, username: str, display_name: str, role: str, password_hash: str
) -> Agent:
    """Add an active agent; AppError on a taken or malformed username or an unknown role."""
    username = normalize_username(username)
    if not _USERNAME.fullmatch(username):
        raise AppError(
            "bad_username",
            "a username is 2-64 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    _check_role(role)
    if agent_by_username(session, username=username) is not None:
        raise AppError("duplicate_username", f"the username {username!r} is taken")
    agent = Agent(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        password_hash=password_hash,
        active=True,
    )
    session.add(agent)
    session.flush()
    return agent


def agent_by_username(session: Session, *, username: str) -> Agent | None:
    query = select(Agent).where(Agent.username == normalize_username(username))
    return session.scalars(query).first()


def agent_by_id(session: Session, *, agent_id: str) -> Agent | None:
    return session.get(Agent, agent_id)


def require_agent(session: Session, *, username: str) -> Agent:
    """The agent with this username, or AppError("not_found")."""
    agent = agent_by_username(session, username=username)
    if agent is None:
        raise AppError("not_found", f"no agent with username {normalize_username(username)!r}")
    return agent


def list_agents(session: Session, *, include_inactive: bool = True) -> list[Agent]:
    """Agents by username."""
    query = select(Agent).order_by(Agent.username)
    if not include_inactive:
        query = query.where(Agent.active.is_(True))
    return list(session.scalars(query))


def set_active(session: Session, *, agent_id: str, active: bool) -> list[str]:
    """(De)activate an agent. Deactivating revokes their sessions: returns the revoked ids."""
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise AppError("not_found", f"no agent with id {agent_id!r}")
    agent.active = active
    if active:
        return []
    return revoke_sessions_of_agent(session, agent_id=agent_id)


def set_role(session: Session, *, agent_id: str, role: str) -> Agent:
    _check_role(role)
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise AppError("not_found", f"no agent with id {agent_id!r}")
    agent.role = role
    return agent


def set_password_hash(session: Session, *, agent_id: str, password_hash: str) -> None:
    """Replace an agent's stored hash (a re-hash with today's parameters at login)."""
    agent = session.get(Agent, agent_id)
    if agent is not None:
        agent.password_hash = password_hash


@dataclass(frozen=True)
class NewSession:
    """A login just made: `token` goes in the cookie and is not stored anywhere."""

    id: str
    token: str
    csrf_token: str
    expires_at: datetime


def create_session(session: Session, *, agent_id: str, lifetime: timedelta) -> NewSession:
    """Start a login session for an agent; the token is only ever returned, never stored."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    row = AgentSession(
        id=token_id(token),
        agent_id=agent_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return NewSession(row.id, token, row.csrf_token, row.expires_at)


def session_by_token(session: Session, *, token: str) -> tuple[AgentSession, Agent] | None:
    """The live session for a cookie token and its agent; None if the token is unknown, the
    session expired or was revoked, or the agent was deactivated."""
    if not token or len(token) > 128:
        return None
    return session_by_id(session, session_id=token_id(token))


def session_by_id(session: Session, *, session_id: str) -> tuple[AgentSession, Agent] | None:
    """As `session_by_token`, by the stored id (a live stream re-checking its login)."""
    query = (
        select(AgentSession, Agent)
        .join(Agent, Agent.id == AgentSession.agent_id)
        .where(
            AgentSession.id == session_id,
            AgentSession.revoked_at.is_(None),
            AgentSession.expires_at > utc_now(),
            Agent.active.is_(True),
        )
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def mark_seen(session: Session, *, session_id: str, at: datetime | None) -> None:
    """Record the live console's heartbeat on a login (`at`), or that it closed (None)."""
    session.execute(update(AgentSession).where(AgentSession.id == session_id).values(seen_at=at))


def agents_online(session: Session, *, since: datetime) -> int:
    """How many active agents have the live console open: a heartbeat at or after `since`
    on a login that is neither revoked nor expired."""
    query = (
        select(func.count(func.distinct(AgentSession.agent_id)))
        .join(Agent, Agent.id == AgentSession.agent_id)
        .where(
            AgentSession.seen_at >= since,
            AgentSession.revoked_at.is_(None),
            AgentSession.expires_at > utc_now(),
            Agent.active.is_(True),
        )
    )
    return int(session.scalar(query) or 0)


def revoke_session(session: Session, *, session_id: str) -> None:
    """End one login (logout); revoking twice is harmless."""
    session.execute(
        update(AgentSession)
        .where(AgentSession.id == session_id, AgentSession.revoked_at.is_(None))
        .values(revoked_at=utc_now())
    )


def revoke_sessions_of_agent(session: Session, *, agent_id: str) -> list[str]:
    """End every live login of an agent; returns the ids revoked (to end their streams)."""
    ids = list(
        session.scalars(
            select(AgentSession.id).where(
                AgentSession.agent_id == agent_id, AgentSession.revoked_at.is_(None)
            )
        )
    )
    if ids:
        session.execute(
            update(AgentSession).where(AgentSession.id.in_(ids)).values(revoked_at=utc_now())
        )
    return ids
