"""Who is signed in to the console, and what protects each request.

- A login is a random token in the `sb_console` cookie (HttpOnly, SameSite=Strict, Path=/,
  Secure over HTTPS or when `console.secure_cookies` is "always"); the database keeps only its
  SHA-256 (app.db.agents), so every request re-reads the session and the agent: logging out,
  deactivating an agent or changing a role takes effect on the next request.
- The customer chat's `sb_customer` cookie is a different thing altogether: it never signs
  anyone in here.
- CSRF: every POST carries the session's token (form field `csrf_token` or header
  `X-CSRF-Token`), compared in constant time, and a POST whose Origin (or Sec-Fetch-Site) says
  it came from another site is refused even before that. The login form, which has no session
  yet, uses a double-submit token in its own short-lived cookie.
- Refusals: an HTML page redirects to the login; everything else (API, fragments, the event
  stream, POSTs) gets 401; a signed-in agent without the role gets 403.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, cast
from urllib.parse import quote, urlsplit

from fastapi import Depends, Form, HTTPException, Request, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.console.state import engine_of
from app.db import agents as db_agents
from app.ground.config import Settings
from app.handoff.views import Actor, Role

SESSION_COOKIE = "sb_console"
LOGIN_COOKIE = "sb_console_login"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PATH = "/console/login"
RANK: dict[str, int] = {role: rank for rank, role in enumerate(db_agents.ROLES)}


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in agent of one request and the login session it came with."""

    actor: Actor
    username: str
    session_id: str
    csrf_token: str

    @property
    def role(self) -> Role:
        return self.actor.role

    def may(self, role: Role) -> bool:
        """Whether this agent has `role` or a higher one."""
        return RANK[self.actor.role] >= RANK[role]


def lookup_session(
    engine: Engine, *, token: str | None = None, session_id: str | None = None
) -> ConsoleUser | None:
    """The signed-in agent for a cookie token (or a stored session id); blocking."""
    with Session(engine) as session:
        if token is not None:
            found = db_agents.session_by_token(session, token=token)
        elif session_id is not None:
            found = db_agents.session_by_id(session, session_id=session_id)
        else:
            return None
        if found is None:
            return None
        row, agent = found
        return ConsoleUser(
            actor=Actor(agent.id, agent.display_name, cast(Role, agent.role)),
            username=agent.username,
            session_id=row.id,
            csrf_token=row.csrf_token,
        )


async def optional_agent(request: Request) -> ConsoleUser | None:
    """The signed-in agent, or None. Read once per request."""
    if hasattr(request.state, "console_user"):
        return cast(ConsoleUser | None, request.state.console_user)
    token = request.cookies.get(SESSION_COOKIE)
    user = None
    if token:
        user = await asyncio.to_thread(lookup_session, engine_of(request), token=token)
    request.state.console_user = user
    return user


def login_redirect(request: Request) -> HTTPException:
    """A 303 to the login page that comes back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTTPException(303, "sign in first", headers={"Location": login_url(target)})


def login_url(next_path: str | None = None) -> str:
    if next_path and safe_next(next_path) and next_path != "/console":
        return f"{LOGIN_PATH}?next={quote(next_path, safe='/')}"
    return LOGIN_PATH


def safe_next(path: str) -> bool:
    """Only a path on this site: no scheme, no host, no `//evil.example` tricks."""
    parts = urlsplit(path)
    return (
        path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and not parts.scheme
        and not parts.netloc
    )


async def current_agent(
    user: Annotated[ConsoleUser | None, Depends(optional_agent)],
) -> ConsoleUser:
    """For APIs, fragments, the event stream and POSTs: 401 when nobody is signed in."""
    if user is None:
        raise HTTPException(401, "sign in to the console first")
    return user


async def page_agent(
    request: Request, user: Annotated[ConsoleUser | None, Depends(optional_agent)]
) -> ConsoleUser:
    """For HTML pages: a browser that is not signed in is sent to the login page."""
    if user is None:
        raise login_redirect(request)
    return user


# Module-level aliases: annotations are postponed strings, which FastAPI resolves in this
# module's namespace, so dependencies built inside functions must name them from here.
PageUser = Annotated[ConsoleUser, Depends(page_agent)]
ApiUser = Annotated[ConsoleUser, Depends(current_agent)]


def _checked(user: ConsoleUser, role: Role) -> ConsoleUser:
    if not user.may(role):
        raise HTTPException(403, f"this needs the {role} role")
    return user


def require_role(role: Role, *, page: bool = False) -> Callable[..., Awaitable[ConsoleUser]]:
    """A dependency admitting agents with `role` or a higher one (403 otherwise)."""

    async def for_page(user: PageUser) -> ConsoleUser:
        return _checked(user, role)

    async def for_api(user: ApiUser) -> ConsoleUser:
        return _checked(user, role)

    return for_page if page else for_api


def check_origin(request: Request) -> None:
    """Refuse a state-changing request that a browser says came from another site."""
    origin = request.headers.get("origin")
    if origin is not None:
        # A proxy may rewrite Host and pass the public one on; a browser page on another site
        # can set neither header, so accepting either keeps the check sound.
        hosts = {
            request.headers.get("host", "").lower(),
            request.headers.get("x-forwarded-host", "").lower(),
        } - {""}
        if origin == "null" or urlsplit(origin).netloc.lower() not in hosts:
            raise HTTPException(403, "cross-origin request refused")
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise HTTPException(403, "cross-site request refused")


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


async def csrf_agent(
    request: Request,
    user: Annotated[ConsoleUser, Depends(current_agent)],
    csrf_token: Annotated[str | None, Form()] = None,
) -> ConsoleUser:
    """The signed-in agent of a POST that carries the session's CSRF token (403 otherwise)."""
    check_origin(request)
    given = csrf_token if csrf_token is not None else request.headers.get(CSRF_HEADER)
    if not tokens_match(user.csrf_token, given):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
    return user


CsrfUser = Annotated[ConsoleUser, Depends(csrf_agent)]


def csrf_role(role: Role) -> Callable[..., Awaitable[ConsoleUser]]:
    """`csrf_agent` for agents with `role` or a higher one."""

    async def dependency(user: CsrfUser) -> ConsoleUser:
        return _checked(user, role)

    return dependency


def secure_cookies(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.console.secure_cookies == "always"


def set_session_cookie(
    response: Response, request: Request, settings: Settings, token: str
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.console.session_hours * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, settings),
    )


def clear_session_cookie(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, settings),
    )


def login_form_token(request: Request) -> str:
    """The double-submit token of the login form: the browser's, or a fresh one."""
    current = request.cookies.get(LOGIN_COOKIE)
    if current and 20 <= len(current) <= 100:
        return current
    return secrets.token_urlsafe(32)


def set_login_cookie(response: Response, request: Request, settings: Settings, token: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        path=LOGIN_PATH,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, settings),
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def as_json(request: Request) -> bool:
    """Whether the caller asked for JSON rather than a page or a redirect."""
    return "application/json" in request.headers.get("accept", "")


def describe(user: ConsoleUser) -> dict[str, Any]:
    return {
        "agent_id": user.actor.agent_id,
        "username": user.username,
        "display_name": user.actor.display_name,
        "role": user.role,
    }
