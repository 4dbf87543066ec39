"""The customer chat: Chainlit callbacks around the answer pipeline.

Chainlit loads this file as its own module (see app/chat/mount.py); everything it needs
comes from `app.chat.runtime`. Each customer message is stored first, then answered by the
same pipeline as `supportbot ask`, streamed as it is written — unless a person has been asked
to take the conversation (app/handoff): then the bot stays silent and the message goes to the
console. Escalations go through `Handoff`; messages from people arrive through
`app.chat.push`. Everything shown is made inert first: the
customer's text is rendered by Chainlit with `unsafe_allow_html = false`, and our replies,
passages and links go through `app.ground.render`.
"""

from __future__ import annotations

import asyncio
from http.cookies import CookieError, SimpleCookie
from typing import Any

import chainlit as cl
from chainlit.data import get_data_layer
from chainlit.types import ThreadDict
from starlette.datastructures import Headers

from app.chat import runtime
from app.chat.data_layer import SupportDataLayer, parse_time
from app.chat.identity import COOKIE_NAME, identifier, verify
from app.ground.errors import AppError
from app.ground.render import inert, safe_url
from app.pipeline.answering import HANDOFF_TEXT, Done, Restart, TextDelta
from app.pipeline.types import Answer, Citation, Escalation, Turn

HISTORY_KEY = "history"
HANDOFF_ACTION = "talk_to_person"
_HISTORY_TURNS = 20


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
    return SupportDataLayer(chat.engine, on_feedback=_after_feedback)


@cl.set_starters
async def starters(_user: cl.User | None = None, _language: str | None = None) -> list[cl.Starter]:
    return [cl.Starter(label=s.label, message=s.message) for s in runtime.current().starters]


@cl.on_chat_start
async def start_chat() -> None:
    cl.user_session.set(HISTORY_KEY, [])


@cl.on_chat_resume
async def resume_chat(thread: ThreadDict) -> None:
    """Rebuild the conversation so follow-up questions keep their context."""
    history: list[Turn] = []
    for step in thread.get("steps", []):
        text = step.get("output") or ""
        if step.get("type") == "user_message":
            history.append(Turn("customer", text))
        elif step.get("type") == "assistant_message":
            history.append(Turn("assistant", text))
    cl.user_session.set(HISTORY_KEY, history[-_HISTORY_TURNS:])


@cl.on_message
async def answer_message(message: cl.Message) -> None:
    chat = runtime.current()
    store = _store()
    if not await store.take_customer_message(message.to_dict()):
        return  # the same message delivered again (same client id): already taken in hand
    history: list[Turn] = cl.user_session.get(HISTORY_KEY) or []
    thread_id = message.thread_id
    if not await chat.handoff.bot_may_answer(thread_id, parse_time(message.created_at)):
        # A person has it: the bot keeps quiet; the console gets the message and its triage.
        # In a worker thread: spaCy and the embedding model would hold up every other chat.
        turn = await asyncio.to_thread(chat.pipeline.triage, message.content, tuple(history))
        await chat.handoff.record_customer_turn(thread_id, message.id, turn.to_json(), None)
        history.append(Turn("customer", message.content))
        cl.user_session.set(HISTORY_KEY, history[-_HISTORY_TURNS:])
        return
    reply = cl.Message(content="", author=chat.settings.chat.assistant_name)
    answer: Answer | None = None
    first_token = chat.metrics.first_token_clock()
    try:
        async for event in chat.pipeline.stream(message.content, tuple(history)):
            if isinstance(event, TextDelta):
                first_token.text()
                await reply.stream_token(inert(event.text))
            elif isinstance(event, Restart):
                reply.content = inert(event.notice) + "\n\n"
                await reply.update()
            elif isinstance(event, Done):
                answer = event.answer
    except AppError as exc:
        reply.content = inert(f"Sorry, I can't answer that: {exc.message}.")
        await reply.send()
        return
    if answer is None:  # the pipeline always ends with Done; be explicit if it did not
        raise RuntimeError("the answer stream ended without an answer")
    chat.metrics.observe_answer(answer)

    if cl.context.session.client_type == "copilot":
        # In the website widget Chainlit shows the newest side panel as a modal over the
        # whole widget, opened by itself after every answer: list the sources in the text.
        reply.content = render_answer(answer, sources_in_text=True)
    else:
        reply.content = render_answer(answer)
        reply.elements = [citation_element(c) for c in answer.citations]  # type: ignore[misc]
    reply.metadata = {"answer_kind": answer.kind}
    if answer.kind in ("answer", "abstain"):
        reply.actions = [cl.Action(name=HANDOFF_ACTION, payload={}, label="Talk to a person")]
    await reply.update()  # streaming already sent it; this adds the final text and sources
    history += [Turn("customer", message.content), Turn("assistant", answer.text)]
    cl.user_session.set(HISTORY_KEY, history[-_HISTORY_TURNS:])
    citations = [_citation_row(c) for c in answer.citations]
    await store.record_citations(thread_id, reply.id, citations)
    if answer.routing is not None:
        await store.record_routing(thread_id, reply.id, answer.routing, answer.usage)
    if answer.triage is not None:
        topic = answer.escalation.topic if answer.escalation else None
        await chat.handoff.record_customer_turn(
            thread_id, message.id, answer.triage.to_json(), topic
        )
    if answer.escalation is not None:
        await _escalate(thread_id, answer.escalation)
    elif answer.kind == "abstain":
        await _after_failure(thread_id)


@cl.action_callback(HANDOFF_ACTION)
async def talk_to_person(action: cl.Action) -> None:
    await action.remove()
    chat = runtime.current()
    thread_id = cl.context.session.thread_id
    if await chat.handoff.bot_may_answer(thread_id):
        author = chat.settings.chat.assistant_name
        await cl.Message(content=inert(HANDOFF_TEXT), author=author).send()
        asked = Escalation("asked_for_human", "The customer asked for a person.")
        await _escalate(thread_id, asked)


async def _after_feedback(thread_id: str, value: int) -> None:
    """A thumbs up (1) or down (0) was stored: counted, and a thumbs down is a failure."""
    runtime.current().metrics.count_feedback(value)
    if value == 0:
        await _after_failure(thread_id)


async def _after_failure(thread_id: str) -> None:
    """The bot failed the customer (no answer, thumbs down): twice escalates."""
    handoff = runtime.current().handoff
    await _store().settled(thread_id)  # the failure just recorded is in the count
    if await handoff.failures(thread_id) >= 2 and await handoff.bot_may_answer(thread_id):
        await _escalate(
            thread_id,
            Escalation("repeated_failure", "The bot failed twice (no answer or thumbs down)."),
        )


async def _escalate(thread_id: str, escalation: Escalation) -> None:
    """Queue the conversation for a person; the customer's notice arrives via app.chat.push."""
    await _store().settled(thread_id)  # the turn's messages are stored before it reads them
    chat = runtime.current()
    outcome = await chat.handoff.escalate(thread_id, escalation.reason, escalation.detail)
    if outcome.created:  # newly queued (not a further reason on a queued conversation)
        chat.metrics.count_escalation(escalation.reason)


def render_answer(answer: Answer, *, sources_in_text: bool = False) -> str:
    """The answer's text, inert, followed by its notice and the list of sources: the names of
    their side panels, or (`sources_in_text`) where each source is, with its link."""
    parts = [inert(answer.text)]
    if answer.notice:
        parts.append(f"*{inert(answer.notice)}*")
    if answer.citations and sources_in_text:
        lines = []
        for citation in answer.citations:
            url = safe_url(citation.url)
            link = f" <{url}>" if url else ""
            lines.append(f"\\[{citation.marker}\\] {inert(citation.location)}{link}")
        parts.append("Sources:  \n" + "  \n".join(lines))
    elif answer.citations:
        parts.append("Sources: " + ", ".join(_element_name(c) for c in answer.citations))
    return "\n\n".join(parts)


def citation_element(citation: Citation) -> cl.Text:
    """A side panel the customer opens from the sources line: where, the passage, a link."""
    lines = [f"**{inert(citation.location)}**"]
    if citation.page:
        lines.append(f"Page {citation.page}")
    lines.append(inert(citation.snippet))
    url = safe_url(citation.url)
    if url:
        lines.append(f"<{url}>")
    return cl.Text(name=_element_name(citation), content="\n\n".join(lines), display="side")


def _element_name(citation: Citation) -> str:
    return f"Source {citation.marker}"


def _store() -> SupportDataLayer:
    """The data layer Chainlit writes through: our writes queue behind its own."""
    layer = get_data_layer()
    if not isinstance(layer, SupportDataLayer):
        raise RuntimeError("the chat's data layer is not supportbot's")
    return layer


def _citation_row(citation: Citation) -> dict[str, Any]:
    return {
        "marker": citation.marker,
        "passage_id": citation.passage_id,
        "source": citation.source,
        "title": citation.title,
        "heading_path": list(citation.heading_path),
        "url": citation.url,
        "page": citation.page,
        "product": citation.product,
        "snippet": citation.snippet,
    }
