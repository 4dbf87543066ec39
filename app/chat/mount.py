"""Mounting the Chainlit customer chat into the FastAPI app at /chat.

Chainlit reads its configuration and secret from the process environment and its working
folder when it is first imported, so this module prepares both before importing it: the
configuration is written from our settings into SUPPORTBOT_HOME (never Chainlit's permissive
defaults), and the session secret is ours. Chainlit's server is a process-wide singleton:
one app per process mounts it.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from app.chat.ui_files import UI_FOLDER, write_ui_files
from app.ground.config import Settings

CHAT_PATH = "/chat"
_TEMPLATE = Path(__file__).with_name("chainlit_config.toml")
_TARGET = Path(__file__).with_name("chainlit_app.py")


def prepare_chainlit(settings: Settings, secret: str) -> None:
    """Write Chainlit's config and the files it serves (app.chat.ui_files) under
    SUPPORTBOT_HOME, and point Chainlit at them."""
    root = (settings.home / "chainlit").resolve()
    (root / ".chainlit").mkdir(parents=True, exist_ok=True)
    chat = settings.chat
    config = _TEMPLATE.read_text(encoding="utf-8").format(
        session_timeout=chat.session_timeout_s,
        user_session_timeout=chat.login_days * 86400,
        allow_origins=json.dumps(chat.allow_origins),
        assistant_name=json.dumps(chat.assistant_name),
        chainlit_version=version("chainlit"),
        ui_folder=UI_FOLDER,
    )
    (root / ".chainlit" / "config.toml").write_text(config, encoding="utf-8")
    write_ui_files(root, chat.assistant_name, CHAT_PATH, settings.brand, settings.data_dir)
    os.environ["CHAINLIT_APP_ROOT"] = str(root)
    os.environ["CHAINLIT_AUTH_SECRET"] = secret
    os.environ.setdefault("CHAINLIT_AUTH_COOKIE_NAME", "sb_chat_token")


def mount_chat(app: FastAPI, settings: Settings, secret: str) -> None:
    prepare_chainlit(settings, secret)
    from chainlit.utils import mount_chainlit  # only now: Chainlit reads its config on import

    mount_chainlit(app, target=str(_TARGET), path=CHAT_PATH)
    _drop_api_docs()
    from app.chat.guards import install_guards  # imports Chainlit: only once it is prepared

    install_guards(app, settings.chat, CHAT_PATH)
    from chainlit.server import app as chainlit_app

    from app.chat.site_login import install_site_login  # imports Chainlit, as above

    install_site_login(chainlit_app)
    app.add_middleware(SocketOriginGuard, allowed=tuple(settings.chat.allow_origins))


def _drop_api_docs() -> None:
    """Chainlit's own FastAPI app publishes its API description and docs pages (under /chat);
    ours are off unless configured (app/doors/web.py), and so are Chainlit's, always."""
    from chainlit.server import app as chainlit_app

    chainlit_app.openapi_url = chainlit_app.docs_url = chainlit_app.redoc_url = None
    chainlit_app.router.routes = [
        route
        for route in chainlit_app.router.routes
        if getattr(route, "path", "") not in _DOCS_PATHS
    ]


_DOCS_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


class SocketOriginGuard:
    """Refuses chat sockets opened from pages of other sites.

    Chainlit turns off socket.io's own origin check (it leaves CORS to its HTTP layer, which
    a WebSocket handshake bypasses), so a page on any site could otherwise open a socket with
    a customer's credentials. The app's own pages (same host) and the configured origins are
    let through. Browsers always send Origin on sockets; clients that are not browsers send
    none and are judged by their token alone.
    """

    def __init__(self, app: ASGIApp, allowed: tuple[str, ...]):
        self._app = app
        self._allowed = {origin.rstrip("/") for origin in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"].startswith(_SOCKET_PATH):
            headers = dict(scope["headers"])
            origin = headers.get(b"origin", b"").decode("latin-1").rstrip("/")
            host = headers.get(b"host", b"").decode("latin-1")
            same_site = bool(host) and urlsplit(origin).netloc == host
            if origin and not same_site and origin not in self._allowed:
                await _refuse(scope, receive, send)
                return
        await self._app(scope, receive, send)


_SOCKET_PATH = f"{CHAT_PATH}/ws/"


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await receive()  # the connect event
        await send({"type": "websocket.close", "code": 4403})
        return
    await send({"type": "http.response.start", "status": 403, "headers": []})
    await send({"type": "http.response.body", "body": b"origin not allowed"})
