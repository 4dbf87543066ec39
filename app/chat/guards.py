"""Puts the chat's guards in place once Chainlit is mounted: the socket gate in front of
Chainlit's message handlers (app/chat/gate.py), and on the HTTP side the requester's
identity for the data layer and the closed element and file routes (app/chat/http_guard.py).
"""

from __future__ import annotations

from fastapi import FastAPI

from app.chat.gate import SocketGate
from app.chat.http_guard import ClosedChatRoutes, install_requester
from app.ground.config import ChatSettings


def install_guards(app: FastAPI, chat: ChatSettings, path: str) -> None:
    """`path` is where the chat is mounted in `app`; call after Chainlit is mounted there."""
    from chainlit.server import app as chainlit_app

    SocketGate(chat).install()
    install_requester(chainlit_app)
    app.add_middleware(ClosedChatRoutes, prefix=path)
