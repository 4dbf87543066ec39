"""The agent's copilot: a draft reply to the customer's latest message, written by the same
answer pipeline the chat uses (so the draft says what the bot would say, with the same
citations), for the agent to insert into the reply box, edit and send.

Which message: the latest customer message that the pipeline looks up. A turn it answers
without searching (a request for a person, a greeting, a reserved topic such as a refund)
gives nothing to draft from, so the copilot looks at the message before it, at most
`LOOK_BACK` customer messages back. The first one that was looked up decides: a cited
answer is the draft; an abstention or a question back says the bot found nothing, and
nothing is made up. What the chat appends for the customer about the handoff ("I've flagged
this for our team") is left out: the agent is that team.

The draft carries its sources at the end ("[1] Title › Section: URL"), so the markers
still mean something to the customer once the agent sends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from app.conversation.rules import HISTORY_TURNS
from app.ground.errors import AppError
from app.handoff.views import ConversationView, MessageView
from app.pipeline.replies import escalation_notes
from app.pipeline.types import Answer, Citation, Role, Turn

LOOK_BACK = 3  # customer messages; past a few, the draft would answer an old question
_NOT_LOOKED_UP = ("handoff", "smalltalk")
_TURN_ROLES: dict[str, Role] = {"customer": "customer", "assistant": "assistant", "agent": "agent"}


class Drafter(Protocol):
    """What the copilot needs of the answer pipeline (app.pipeline.answering.AnswerPipeline)."""

    async def answer(self, message: str, history: tuple[Turn, ...] = ()) -> Answer: ...


@dataclass(frozen=True)
class CopilotDraft:
    """A draft (`found`) with its citations, or why there is none (`text` then says so)."""

    found: bool
    text: str
    for_message: str = ""  # the customer message the draft answers
    citations: list[dict[str, Any]] = field(default_factory=list)
    kind: str = ""  # the pipeline's answer kind for that message

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


NO_MESSAGE = "The customer has not written anything the bot could answer yet."
NOTHING_TO_LOOK_UP = (
    "The bot has nothing to draft: the customer's latest messages ask for a person or are "
    "small talk, not a question it looks up."
)
NOTHING_FOUND = (
    "The bot found nothing in the knowledge base that answers this message, so there is no "
    "draft. Please write the reply yourself."
)
UNCLEAR = (
    "The bot could not tell what this message is about (it would ask the customer which "
    "product or document they mean), so there is no draft."
)


async def draft_reply(view: ConversationView, drafter: Drafter) -> CopilotDraft:
    """The draft reply for the conversation's latest customer message (module docstring)."""
    looked_at = 0
    for index in range(len(view.messages) - 1, -1, -1):
        message = view.messages[index]
        if message.role != "customer" or not message.text.strip():
            continue
        looked_at += 1
        try:
            answer = await drafter.answer(message.text, history_before(view.messages, index))
        except AppError as exc:  # too long to look up, say: the pipeline's own words
            return CopilotDraft(False, f"The bot cannot look this message up: {exc.message}.")
        if answer.kind in _NOT_LOOKED_UP and looked_at < LOOK_BACK:
            continue
        return from_answer(answer, message.text)
    if looked_at:
        return CopilotDraft(False, NOTHING_TO_LOOK_UP)
    return CopilotDraft(False, NO_MESSAGE)


def history_before(messages: Sequence[MessageView], index: int) -> tuple[Turn, ...]:
    """The turns before `messages[index]` as the pipeline reads them (notices left out)."""
    turns = [Turn(_TURN_ROLES[m.role], m.text) for m in messages[:index] if m.role in _TURN_ROLES]
    return tuple(turns[-HISTORY_TURNS:])


def from_answer(answer: Answer, for_message: str) -> CopilotDraft:
    """The draft an answer makes: its text and sources, or why there is none."""
    if answer.kind == "answer" and answer.citations:
        text = answer.text
        for note in escalation_notes(answer.escalation):
            text = text.removesuffix(f"\n\n{note}")
        return CopilotDraft(
            True,
            with_sources(text.strip(), answer.citations),
            for_message,
            [citation_json(c) for c in answer.citations],
            answer.kind,
        )
    if answer.kind == "clarify":
        return CopilotDraft(False, UNCLEAR, for_message, kind=answer.kind)
    if answer.kind in _NOT_LOOKED_UP:
        return CopilotDraft(False, NOTHING_TO_LOOK_UP, for_message, kind=answer.kind)
    return CopilotDraft(False, NOTHING_FOUND, for_message, kind=answer.kind)


def with_sources(text: str, citations: Sequence[Citation]) -> str:
    """The text followed by one line per marker: title, section, and the link when there is
    a web one."""
    lines = []
    for citation in citations:
        where = " › ".join(citation.heading_path) or citation.title
        url = citation.url or ""
        link = f": {url}" if urlsplit(url).scheme in ("http", "https") else ""
        lines.append(f"[{citation.marker}] {where}{link}")
    return text + "\n\nSources:\n" + "\n".join(lines)


def citation_json(citation: Citation) -> dict[str, Any]:
    """The shape the console's transcript shows citations in (app.handoff.reading)."""
    return {
        "marker": citation.marker,
        "title": citation.title,
        "heading_path": list(citation.heading_path),
        "section_paths": [list(path) for path in citation.section_paths],
        "url": citation.url,
        "snippet": citation.snippet,
        "source": citation.source,
    }
