"""The customer chat: Chainlit callbacks, a thin adapter around the conversation service.

Chainlit loads this file as its own module (see app/chat/mount.py); everything it needs
comes from `app.chat.runtime`. A customer message becomes a `CustomerTurn` for
`app.conversation.service.ConversationService`, which owns the turn's rules (answer or stay
quiet, failures, escalation) and storage; the events it yields become Chainlit messages here,
made inert by app/chat/render.py. Messages from people arrive through `app.chat.push`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from http.cookies import CookieError, SimpleCookie

import chainlit as cl
from chainlit.types import ThreadDict
from starlette.datastructures import Headers

from app.chat import runtime
from app.chat.data_layer import SupportDataLayer, parse_time
from app.chat.identity import COOKIE_NAME, identifier, verify
from app.chat.prechat_session import open_form
from app.chat.render import (
    CHOOSE_ACTION,
    COMMENT_ACTION,
    HANDOFF_ACTION,
    RATE_ACTION,
    RATINGS,
    comment_action,
    finish_reply,
    rating_action_id,
)
from app.conversation.events import (
    AnswerFinished,
    AnswerPiece,
    AnswerRestarted,
    CustomerTurn,
    HandoffNotice,
    HistoryChanged,
    Refused,
    TurnEvent,
)
from app.conversation.rules import (
    COMMENT_PROMPT,
    COMMENT_THANKS,
    RATING_THANKS,
    history_from_messages,
)
from app.db.models import utc_now
from app.db.steps import iso
from app.ground.render import inert

HISTORY_KEY = "history"
OPTIONS_KEY = "offered_options"  # the options of the bot's last question back
COMMENT_KEY = "comment_for_survey"  # the survey the customer's next message comments on


@cl.header_auth_callback
async def identify_customer(headers: Headers) -> cl.User | None:
    """The customer whose signed cookie came with the request (see app.chat.identity)."""
    try:
        cookie = SimpleCookie(headers.get("cookie", ""))
    except CookieError:
        return None
    morsel = cookie.get(COOKIE_NAME)
    customer_id = verify(morsel.value if morsel else None, runtime.current().secret)
    if customer_id is None:
        return None
    return cl.User(identifier=identifier(customer_id), metadata={"role": "customer"})


@cl.data_layer
def data_layer() -> SupportDataLayer:
    chat = runtime.current()
    return SupportDataLayer(
        chat.engine, writes=chat.writes, on_feedback=chat.conversation.after_feedback
    )


@cl.set_starters
async def starters(_user: cl.User | None = None, _language: str | None = None) -> list[cl.Starter]:
    return [cl.Starter(label=s.label, message=s.message) for s in runtime.current().starters]


@cl.on_chat_start
async def start_chat() -> None:
    cl.user_session.set(HISTORY_KEY, [])
    await open_form()  # the pre-chat form, when it is on and the customer unknown


@cl.on_chat_resume
async def resume_chat(thread: ThreadDict) -> None:
    """Rebuild the conversation so follow-up questions keep their context."""
    cl.user_session.set(HISTORY_KEY, list(history_from_messages(thread.get("steps", []))))


@cl.on_message
async def answer_message(message: cl.Message) -> None:
    survey_id = cl.user_session.get(COMMENT_KEY)
    cl.user_session.set(COMMENT_KEY, None)
    turn = CustomerTurn(
        conversation_id=message.thread_id,
        message_id=message.id,
        text=message.content,
        customer=message.author,  # the chat UI sends the customer's login identifier
        sent_at=parse_time(message.created_at),
        history=tuple(cl.user_session.get(HISTORY_KEY) or ()),
    )
    conversation = runtime.current().conversation
    if survey_id and await conversation.take_comment(turn, str(survey_id)):
        await _say(COMMENT_THANKS)
        return
    await show(conversation.take_turn(turn))


@cl.action_callback(RATE_ACTION)
async def rate_conversation(action: cl.Action) -> None:
    """A 1-5 button under the satisfaction question: kept, thanked, and a comment offered."""
    survey_id, rating = action.payload.get("survey"), action.payload.get("rating")
    if not isinstance(survey_id, str) or not isinstance(rating, int):
        return
    conversation = runtime.current().conversation
    if not await conversation.rate(cl.context.session.thread_id, survey_id, rating):
        return
    for n in RATINGS:  # one rating per question: the buttons go
        await cl.context.emitter.emit("remove_action", {"id": rating_action_id(survey_id, n)})
    await _say(RATING_THANKS.format(rating=rating), actions=[comment_action(survey_id)])


@cl.action_callback(COMMENT_ACTION)
async def offer_comment(action: cl.Action) -> None:
    """The customer wants to add a comment: their next message is it (not a question)."""
    await action.remove()
    cl.user_session.set(COMMENT_KEY, action.payload.get("survey"))
    await _say(COMMENT_PROMPT)


async def _say(text: str, actions: list[cl.Action] | None = None) -> None:
    author = runtime.current().settings.chat.assistant_name
    await cl.Message(content=inert(text), author=author, actions=actions or []).send()


@cl.action_callback(HANDOFF_ACTION)
async def talk_to_person(action: cl.Action) -> None:
    await action.remove()
    conversation = runtime.current().conversation
    await show(conversation.ask_for_person(cl.context.session.thread_id))


@cl.action_callback(CHOOSE_ACTION)
async def choose_option(action: cl.Action) -> None:
    """A button of a question back: the option is sent as the customer's next message, and
    answered like a typed one. Only an option the chat offered last is taken."""
    offered = cl.user_session.get(OPTIONS_KEY) or []
    index = action.payload.get("option")
    if not isinstance(index, int) or not 0 <= index < len(offered):
        return
    cl.user_session.set(OPTIONS_KEY, [])
    await action.remove()
    user = cl.context.session.user
    message = cl.Message(
        content=offered[index],
        author=user.identifier if user else None,
        type="user_message",
        created_at=iso(utc_now()),
    )
    await message.send()
    # As for a typed message, the chat UI shows the bot at work until the answer is done.
    await cl.context.emitter.task_start()
    try:
        await answer_message(message)
    finally:
        await cl.context.emitter.task_end()


async def show(events: AsyncIterator[TurnEvent]) -> None:
    """Render the service's events as they come; each is sent before the next is asked for
    (what the service stores after an event points at what was just sent)."""
    author = runtime.current().settings.chat.assistant_name
    reply: cl.Message | None = None
    async for event in events:
        if isinstance(event, HistoryChanged):
            cl.user_session.set(HISTORY_KEY, list(event.history))
            continue
        if isinstance(event, HandoffNotice):
            await cl.Message(content=inert(event.text), author=author).send()
            continue
        if reply is None:
            reply = cl.Message(id=event.reply_id, content="", author=author)
        if isinstance(event, AnswerPiece):
            await reply.stream_token(inert(event.text))
        elif isinstance(event, AnswerRestarted):
            reply.content = inert(event.notice) + "\n\n"
            await reply.update()
        elif isinstance(event, Refused):
            reply.content = inert(event.text)
            await reply.send()
        elif isinstance(event, AnswerFinished):
            in_widget = cl.context.session.client_type == "copilot"
            cl.user_session.set(OPTIONS_KEY, list(event.answer.clarify_options))
            finish_reply(reply, event, in_widget=in_widget)
            await reply.update()  # streaming already sent it; this adds the text and sources
