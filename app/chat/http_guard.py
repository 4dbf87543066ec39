"""The chat's HTTP routes: who is asking, and the routes supportbot does not offer.

Chainlit's feedback routes hand the data layer only the vote, never the customer who cast
it, so the data layer could not tell a vote on one's own answer from a vote on another
customer's. `remember_requester` stands in for Chainlit's `get_current_user` dependency (a
FastAPI dependency override on Chainlit's app): it authenticates exactly as Chainlit does and
keeps the customer's identifier in a context variable for the request, which
`requester()` reads (app/chat/data_layer.py checks feedback against it).

`ClosedChatRoutes` refuses, before any body is read, the routes for customer-supplied
elements and file uploads: supportbot shows no custom elements and accepts no files, and
Chainlit writes whatever they carry to disk for an hour, with no limit per session.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from fastapi import Depends
from starlette.types import ASGIApp, Receive, Scope, Send

_requester: ContextVar[str | None] = ContextVar("chat_requester", default=None)

# (method, path under the chat's mount point) of Chainlit routes that stay closed.
CLOSED_ROUTES = frozenset(
    {("PUT", "/project/element"), ("DELETE", "/project/element"), ("POST", "/project/file")}
)


def requester() -> str | None:
    """The identifier of the customer who sent the current HTTP request to the chat."""
    return _requester.get()


def install_requester(chainlit_app: Any) -> None:
    """Make Chainlit's routes record who is asking (see the module docstring)."""
    from chainlit.auth import get_current_user, reuseable_oauth

    async def remember_requester(token: str = Depends(reuseable_oauth)) -> Any:
        # Awaited in the request's own context, so the variable is visible to the route.
        user = await get_current_user(token)
        _requester.set(user.identifier if user is not None else None)
        return user

    chainlit_app.dependency_overrides[get_current_user] = remember_requester


class ClosedChatRoutes:
    """ASGI middleware: 404 for CLOSED_ROUTES under `prefix` (the chat's mount path)."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self._app = app
        self._closed = {(method, prefix + path) for method, path in CLOSED_ROUTES}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"], scope["path"]) in self._closed:
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"detail":"Not available"}'})
            return
        await self._app(scope, receive, send)
