"""Signing in and out (/console/login, /console/logout) and who is signed in (/console/api/me).

The login form has no session yet, so it carries a double-submit token in its own cookie;
failed attempts are limited per username and address (app.console.limiter).
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from app.console import auth
from app.console.account import authenticate, revoke
from app.console.account_pages import login_page
from app.console.deps import AgentDep, CsrfAgentDep, EngineDep, HandoffDep, LimiterDep, SettingsDep
from app.console.html import page_response, security_headers
from app.console.responses import json_response
from app.db import agents as db_agents
from app.ground.config import Settings

log = logging.getLogger(__name__)

LOGIN_FAILED = "Unknown username or wrong password."

router = APIRouter(prefix="/console", tags=["console"])


def login_form(
    request: Request,
    settings: Settings,
    *,
    next_path: str,
    status: int = 200,
    username: str = "",
    error: str = "",
) -> HTMLResponse:
    token = auth.login_form_token(request)
    body = login_page(csrf_token=token, next_path=next_path, username=username, error=error)
    response = page_response(body, title="Sign in", status_code=status, page="login")
    auth.set_login_cookie(response, request, settings, token)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_get(request: Request, settings: SettingsDep, next: str = "/console") -> Response:
    """The sign-in form (public). Someone already signed in goes straight on."""
    next_path = next if auth.safe_next(next) else "/console"
    if await auth.optional_agent(request) is not None:
        return RedirectResponse(next_path, 303, headers=security_headers())
    return login_form(request, settings, next_path=next_path)


@router.post("/login")
async def login_post(
    request: Request,
    settings: SettingsDep,
    engine: EngineDep,
    limiter: LimiterDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/console",
) -> Response:
    """Sign in (public): the form's double-submit token, then the rate limit, then the
    password."""
    next_path = next if auth.safe_next(next) else "/console"
    auth.check_origin(request)
    if not auth.tokens_match(request.cookies.get(auth.LOGIN_COOKIE), csrf_token):
        return login_form(
            request, settings, next_path=next_path, status=403, username=username,
            error="The sign-in form expired. Please try again.",
        )  # fmt: skip
    key = (db_agents.normalize_username(username), auth.client_address(request))
    wait = limiter.retry_after(key)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        limited = login_form(
            request, settings, next_path=next_path, status=429, username=username,
            error=f"Too many failed sign-ins. Try again in {minutes} minute(s).",
        )  # fmt: skip
        limited.headers["Retry-After"] = str(math.ceil(wait))
        return limited
    lifetime = timedelta(hours=settings.console.session_hours)
    result = await asyncio.to_thread(
        partial(authenticate, address=auth.client_address(request)),
        engine, username, password, lifetime,
    )  # fmt: skip
    if result is None:
        limiter.failed(key)
        log.warning("console: failed sign-in for %r from %s", key[0], key[1])
        return login_form(
            request, settings, next_path=next_path, status=401, username=username,
            error=LOGIN_FAILED,
        )  # fmt: skip
    limiter.succeeded(key)
    new, _ = result
    response = RedirectResponse(next_path, 303, headers=security_headers())
    auth.set_session_cookie(response, request, settings, new.token)
    response.delete_cookie(auth.LOGIN_COOKIE, path=auth.LOGIN_PATH)
    return response


@router.post("/logout")
async def logout(
    request: Request,
    user: CsrfAgentDep,
    settings: SettingsDep,
    engine: EngineDep,
    handoff: HandoffDep,
) -> Response:
    """End this login everywhere: the row, the cookie and its live streams."""
    await asyncio.to_thread(revoke, engine, user.session_id, user.actor.agent_id)
    await handoff.bus.publish({"kind": "session_revoked", "session_id": user.session_id})
    if auth.as_json(request):
        response: Response = JSONResponse({"ok": True}, headers=security_headers())
    else:
        response = RedirectResponse(auth.LOGIN_PATH, 303, headers=security_headers())
    auth.clear_session_cookie(response, request, settings)
    return response


@router.get("/api/me")
async def me(user: AgentDep) -> Response:
    """Who is signed in, and the CSRF token for POSTs from scripts and tests."""
    return json_response({**auth.describe(user), "csrf_token": user.csrf_token})
