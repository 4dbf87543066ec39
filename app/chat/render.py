"""How the bot's answers look in the Chainlit chat: the text with its notice and sources, the
side panels with the cited passages, the button that asks for a person, and the buttons that
answer a question back ("which one do you mean?") with one of its options.

Everything shown is made inert first (app.ground.render): the customer's own text is rendered
by Chainlit with `unsafe_allow_html = false`; our replies, passages and links go through here.
"""

from __future__ import annotations

import chainlit as cl

from app.conversation.events import AnswerFinished
from app.ground.render import inert, safe_url
from app.pipeline.types import Answer, Citation

HANDOFF_ACTION = "talk_to_person"
CHOOSE_ACTION = "choose_option"
RATE_ACTION = "rate_conversation"
COMMENT_ACTION = "comment_on_rating"
RATINGS = range(1, 6)


def finish_reply(reply: cl.Message, event: AnswerFinished, *, in_widget: bool) -> None:
    """Put the finished answer on the streamed reply (the caller sends the update)."""
    answer = event.answer
    if in_widget:
        # In the website widget Chainlit shows the newest side panel as a modal over the
        # whole widget, opened by itself after every answer: list the sources in the text.
        reply.content = render_answer(answer, sources_in_text=True)
    else:
        reply.content = render_answer(answer)
        reply.elements = [citation_element(c) for c in answer.citations]  # type: ignore[misc]
    reply.metadata = {"answer_kind": answer.kind}
    if event.offer_person:
        reply.actions = [cl.Action(name=HANDOFF_ACTION, payload={}, label="Talk to a person")]
    elif answer.kind == "clarify" and answer.clarify_options:
        reply.actions = option_actions(answer.clarify_options)


def option_actions(options: tuple[str, ...]) -> list[cl.Action]:
    """One button per option of a question back. The payload is the option's place only: the
    chat keeps the options it offered (a client could send any text as a payload)."""
    return [
        cl.Action(name=CHOOSE_ACTION, payload={"option": i}, label=option)
        for i, option in enumerate(options)
    ]


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
        parts.append("Sources: " + ", ".join(element_name(c) for c in answer.citations))
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
    return cl.Text(name=element_name(citation), content="\n\n".join(lines), display="side")


def element_name(citation: Citation) -> str:
    return f"Source {citation.marker}"


def rating_actions(survey_id: str) -> list[cl.Action]:
    """The 1-5 buttons under the satisfaction question `survey_id` (its message's id). Their
    ids are fixed by survey and rating, so all five can be removed once one is clicked; the
    server checks that the survey was asked in the clicking customer's own conversation."""
    return [
        cl.Action(
            name=RATE_ACTION,
            payload={"survey": survey_id, "rating": n},
            label=str(n),
            tooltip="1 = poor, 5 = great",
            id=rating_action_id(survey_id, n),
            forId=survey_id,
        )  # fmt: skip
        for n in RATINGS
    ]


def rating_action_id(survey_id: str, rating: int) -> str:
    return f"{survey_id}:rate:{rating}"


def comment_action(survey_id: str) -> cl.Action:
    return cl.Action(name=COMMENT_ACTION, payload={"survey": survey_id}, label="Add a comment")
