"""The pre-chat form (app/chat/prechat.py) in a customer's Chainlit session: opened when a
new chat starts, answered through the socket gate."""

from __future__ import annotations

import chainlit as cl
from chainlit.context import init_ws_context
from chainlit.session import WebsocketSession
from sqlalchemy.orm import Session

from app.chat import runtime
from app.chat.prechat import ASK_NAME, FORM_KEY, FormState, take_answer
from app.db.customer_profiles import profile_by_identifier, save_profile
from app.ground.render import inert


async def open_form() -> None:
    """In `on_chat_start`: ask for the name when the form is on and the customer unknown."""
    chat = runtime.current()
    user = cl.context.session.user
    if not chat.settings.chat.prechat_form or user is None:
        return
    profile = await chat.writes.read(
        lambda session: profile_by_identifier(session=session, identifier=user.identifier)
    )
    if profile is not None and profile.known:
        return
    cl.user_session.set(FORM_KEY, FormState("name"))
    notice = cl.Message(content=inert(ASK_NAME), author=chat.settings.chat.assistant_name)
    await cl.context.emitter.send_step(notice.to_dict())  # shown, not stored


async def answer(session: WebsocketSession, text: str) -> str | None:
    """The reply to a form answer, when this session's form is open (the answer is then
    taken here and must not reach the conversation); None when no form is open."""
    init_ws_context(session)
    state = cl.user_session.get(FORM_KEY)
    if not isinstance(state, FormState) or session.user is None:
        return None
    step = take_answer(state, text)
    cl.user_session.set(FORM_KEY, step.state)
    if step.state is None:
        who = session.user.identifier

        def keep(db: Session) -> None:
            save_profile(
                session=db, identifier=who, name=step.name, email=step.email, source="form"
            )

        await runtime.current().writes.write(f"user:{who}", keep)
    return step.reply
