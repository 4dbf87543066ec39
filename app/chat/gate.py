"""The customer's socket: what of a `client_message` reaches Chainlit, and what is refused.

Chainlit builds the customer's message from the client's payload as it comes: its id, type,
author name and metadata, so a customer could post a message typed as an assistant's or an
agent's. The gate stands in front of Chainlit's `client_message` handler and passes on a
message the server builds itself: the client's id (a fresh UUID4) and text only, typed as a
customer message, authored by the session's own customer, with no metadata. Before that it
refuses, with a notice in the chat and nothing stored or answered:

- text longer than `chat.max_message_chars` (socket.io's own packet limit,
  `chat.socket_max_bytes`, is set well above it: a packet over that limit drops the connection
  and the message with it, without a word to the customer);
- an id another message already has (the same message sent twice is dropped quietly: the
  conversation service answers a message once);
- more messages than `chat.rate_per_customer` per customer, or `chat.rate_per_ip` per client
  address, in `chat.rate_window_s` (app/chat/limits.py).

An answer to the pre-chat form (app/chat/prechat.py) is taken there instead, and never
becomes a message of the conversation.

Chainlit's handlers for features supportbot turns off in its Chainlit config do not all
check that config: `edit_message` rewrites a message and deletes every one after it, and
`chat_settings_change` keeps whatever keys a client sends in the session, which is saved
into the conversation on disconnect (a way to grow the database at will). The gate replaces
the handlers of those features (OFF_EVENTS) with one that does nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from chainlit.context import init_ws_context
from chainlit.session import WebsocketSession

from app.chat import prechat_session, runtime
from app.chat.limits import Budget, MessageRates
from app.db.models import utc_now
from app.db.steps import iso, message_origin
from app.ground.config import ChatSettings
from app.ground.render import inert

log = logging.getLogger(__name__)

TOO_LONG = (
    "Sorry, that message is too long for me ({length:,} characters; the limit is {limit:,}). "
    "Please send a shorter one, for example the key lines of a log."
)
TOO_MANY = (
    "You're sending messages faster than I can take them. Please wait a minute and send "
    "your message again."
)
NOT_SENT = "Sorry, that message could not be sent. Please type it again."


# Socket events of Chainlit features that are off in supportbot (message editing, chat
# settings, audio): nothing a client sends on them is acted on.
OFF_EVENTS = (
    "edit_message", "chat_settings_change", "chat_settings_edit",
    "audio_start", "audio_chunk", "audio_end",
)  # fmt: skip


class SocketGate:
    """`SocketGate(settings.chat)`; `install()` puts it in front of Chainlit's handlers."""

    def __init__(self, chat: ChatSettings, rates: MessageRates | None = None) -> None:
        self._chat = chat
        window = float(chat.rate_window_s)
        self._rates = rates or MessageRates(
            Budget(chat.rate_per_customer, window), Budget(chat.rate_per_ip, window)
        )

    def install(self) -> None:
        from chainlit.server import sio

        sio.eio.max_http_buffer_size = self._chat.socket_max_bytes
        sio.on("client_message", self.client_message)
        for event in OFF_EVENTS:
            sio.on(event, _feature_off(event))

    async def client_message(self, sid: str, payload: Any) -> None:
        from chainlit.socket import message as chainlit_client_message

        session = WebsocketSession.get(sid)
        if session is None or session.user is None:
            return
        sent = payload.get("message") if isinstance(payload, dict) else None
        message_id, text = _id_and_text(sent)
        if message_id is None or text is None:
            await _tell(session, NOT_SENT)
            return
        if len(text) > self._chat.max_message_chars:
            await _tell(
                session, TOO_LONG.format(length=len(text), limit=self._chat.max_message_chars)
            )
            return
        existing = await _role_and_conversation(session.thread_id, message_id)
        if existing is not None:
            if existing != ("customer", session.thread_id):
                await _tell(session, NOT_SENT)
            return  # else: the same message again, already taken
        if not self._rates.admit(session.user.identifier, _client_address(session)):
            await _tell(session, TOO_MANY)
            return
        form_reply = await prechat_session.answer(session, text)
        if form_reply is not None:  # an answer to the pre-chat form, not a chat message
            await _tell(session, inert(form_reply))
            return
        step = {
            "id": message_id,
            "threadId": session.thread_id,
            "type": "user_message",
            "name": session.user.identifier,
            "output": text,
            "createdAt": iso(utc_now()),  # Chainlit replaces it with its own clock's anyway
            "metadata": {},
        }
        await chainlit_client_message(sid, {"message": step, "fileReferences": None})


def _feature_off(event: str) -> Callable[..., Awaitable[None]]:
    async def refuse(sid: str, *_args: Any) -> None:
        log.warning("ignored %s from socket %s: that feature is off", event, sid)

    return refuse


def _id_and_text(sent: Any) -> tuple[str | None, str | None]:
    """The message's client id (a UUID4, as Chainlit requires) and its text, if well formed."""
    if not isinstance(sent, dict):
        return None, None
    raw_id, text = sent.get("id"), sent.get("output")
    if not isinstance(raw_id, str) or not isinstance(text, str):
        return None, None
    try:
        parsed = uuid.UUID(raw_id)
    except ValueError:
        return None, text
    canonical = parsed.version == 4 and str(parsed) == raw_id  # what the chat UI makes
    return (raw_id if canonical else None), text


async def _role_and_conversation(thread_id: str, message_id: str) -> tuple[str, str] | None:
    """Who wrote the message with that id, and where; None when no message has it. Asked
    once the writes Chainlit has fired for this chat have landed: the bot's last answer,
    which the customer may already see, is then in the database too."""
    writes = runtime.current().writes
    await writes.settled(thread_id)
    return await writes.read(lambda session: message_origin(session=session, message_id=message_id))


def _client_address(session: WebsocketSession) -> str:
    """The client's address as the ASGI server saw it (engine.io's REMOTE_ADDR is always
    127.0.0.1; the server itself applies a trusted proxy's X-Forwarded-For)."""
    scope = (session.environ or {}).get("asgi.scope") or {}
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _tell(session: WebsocketSession, text: str) -> None:
    """Show a notice from the assistant in this chat only; it is not stored (the refused
    message was not either)."""
    import chainlit as cl

    context = init_ws_context(session)
    notice = cl.Message(content=text, author=runtime.current().settings.chat.assistant_name)
    await context.emitter.send_step(notice.to_dict())
    await context.emitter.task_end()  # type: ignore[no-untyped-call]
