"""A customer's conversation with the bot, turn by turn, with no web framework in sight.

`ConversationService` owns the rules of a turn: a message is taken once (a redelivery is
ignored); while a person has the conversation the bot stays quiet and the message goes to
the console with its triage; otherwise a look-up in the company's systems answers when the
turn asks for one (app/actions, through the `Actions` port), or the answer pipeline answers,
streamed, and the answer's citations, routing and triage are stored (unless a person claimed
the conversation while it streamed: then the answer is withdrawn); an escalation queues the
conversation for a person (app/handoff), and failures (abstentions, thumbs down) escalate at
the second. A front door (the Chainlit adapter in app/chat) feeds it turns and renders the
events it yields (app/conversation/events.py); everything is stored through app/db, in the
order of the chat's own writes (app.db.chat_writes), and counted through a `Recorder`.

The events are yielded while the turn runs: a front door must consume them all, in order,
and show each before asking for the next — the rows written after an event (a citation)
point at what the front door has just sent.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from app.conversation import rules
from app.conversation.events import (
    AnswerFinished,
    AnswerPiece,
    AnswerRestarted,
    AnswerWithdrawn,
    CustomerTurn,
    HandoffNotice,
    HistoryChanged,
    Refused,
    TurnEvent,
)
from app.conversation.ports import Actions, Answerer, NoRecorder, People, Recorder, TurnStore
from app.ground.errors import AppError
from app.pipeline.answering import HANDOFF_TEXT, Done, Restart, TextDelta
from app.pipeline.triage import Triage
from app.pipeline.triage_pool import in_triage_thread
from app.pipeline.types import Answer, Escalation, Turn


class ConversationService:
    """`ConversationService(pipeline, handoff, store, recorder)`; see the module docstring."""

    def __init__(
        self,
        pipeline: Answerer,
        handoff: People,
        store: TurnStore,
        recorder: Recorder | None = None,
        actions: Actions | None = None,
    ) -> None:
        self._store = store
        self._pipeline = pipeline
        self._handoff = handoff
        self._recorder = recorder or NoRecorder()
        self._actions = actions

    async def take_turn(self, turn: CustomerTurn) -> AsyncIterator[TurnEvent]:
        """Store the customer's message and answer it, unless a person has the conversation."""
        if not await self._store.take_customer_message(rules.customer_step(turn)):
            return  # the same message delivered again (same client id): already taken in hand
        conversation_id = turn.conversation_id
        if not await self._handoff.bot_may_answer(conversation_id, turn.sent_at):
            # A person has it: the bot keeps quiet; the console gets the message at once, then
            # its triage. On the triage thread (app.pipeline.triage_pool), never the event
            # loop: spaCy and the embedding model would hold up every other chat.
            await self._handoff.customer_message_arrived(conversation_id, turn.message_id)
            seen = await in_triage_thread(self._pipeline.triage, turn.text, turn.history)
            await self._handoff.record_customer_turn(
                conversation_id, turn.message_id, seen.to_json(), None
            )
            yield HistoryChanged(rules.remember(turn.history, Turn("customer", turn.text)))
            return

        reply_id = str(uuid.uuid4())
        answer: Answer | None = None
        first_token = self._recorder.first_token_clock()
        triage: Triage | None = None
        if self._actions is not None:
            # An action decides on the turn's triage: taken once here, and handed on to the
            # pipeline when no action takes the turn.
            triage = await in_triage_thread(self._pipeline.triage, turn.text, turn.history)
            looked_up = await self._actions.reply(turn.text, turn.history, triage)
            if looked_up is not None:
                first_token.text()
                yield AnswerPiece(reply_id, looked_up.text)
                answer = rules.action_answer(turn.text, looked_up, triage)
                async for shown in self._finish(turn, reply_id, answer, looked_up.offer_person):
                    yield shown
                return
        try:
            async for event in self._pipeline.stream(turn.text, turn.history, triage=triage):
                if isinstance(event, TextDelta):
                    first_token.text()
                    yield AnswerPiece(reply_id, event.text)
                elif isinstance(event, Restart):
                    yield AnswerRestarted(reply_id, event.notice)
                elif isinstance(event, Done):
                    answer = event.answer
        except AppError as exc:
            yield Refused(reply_id, rules.refusal_text(exc.message))
            return
        if answer is None:  # the pipeline always ends with Done; be explicit if it did not
            raise RuntimeError("the answer stream ended without an answer")
        async for shown in self._finish(turn, reply_id, answer, rules.offers_person(answer)):
            yield shown

    async def _finish(
        self, turn: CustomerTurn, reply_id: str, answer: Answer, offer_person: bool
    ) -> AsyncIterator[TurnEvent]:
        """Finish the shown answer, remember it and store what it rests on."""
        if not await self._handoff.bot_may_answer(turn.conversation_id):
            # A person claimed the conversation while the answer streamed: it is now theirs,
            # so the bot's answer is withdrawn rather than finished as if nothing happened.
            async for withdrawal in self._withdraw(turn, reply_id, answer):
                yield withdrawal
            return
        self._recorder.observe_answer(answer)
        yield AnswerFinished(reply_id, answer, offer_person=offer_person)
        yield HistoryChanged(
            rules.remember(
                turn.history, Turn("customer", turn.text), Turn("assistant", answer.text)
            )
        )
        await self._after_answer(turn, reply_id, answer)

    async def _withdraw(
        self, turn: CustomerTurn, reply_id: str, answer: Answer
    ) -> AsyncIterator[TurnEvent]:
        """Withdraw an answer a person overtook: the customer reads who has the conversation
        instead; the person gets the customer's message with its triage, as any message
        written while they own the conversation. The answer is not remembered, its
        citations are not stored, and it counts neither as an answer nor as a failure."""
        yield AnswerWithdrawn(reply_id, rules.WITHDRAWN_TEXT)
        if answer.triage is not None:
            await self._handoff.record_customer_turn(
                turn.conversation_id, turn.message_id, answer.triage.to_json(), None
            )
        yield HistoryChanged(rules.remember(turn.history, Turn("customer", turn.text)))

    async def ask_for_person(self, conversation_id: str) -> AsyncIterator[TurnEvent]:
        """The customer asked for a person (the button under an answer): unless one already
        has the conversation, say so and queue it."""
        if await self._handoff.bot_may_answer(conversation_id):
            yield HandoffNotice(HANDOFF_TEXT)
            await self._escalate(conversation_id, rules.ASKED_FOR_PERSON)

    async def rate(self, conversation_id: str, survey_id: str, rating: int) -> bool:
        """The customer's 1-5 rating of the people who resolved their conversation; False
        (nothing stored) for a survey not asked in this conversation or a rating outside
        1-5."""
        if not 1 <= rating <= 5:
            return False
        return await self._store.rate_conversation(conversation_id, survey_id, rating)

    async def take_comment(self, turn: CustomerTurn, survey_id: str) -> bool:
        """The customer's message is their comment on the rating they just gave: stored in
        the conversation like any message, kept with the rating, and not answered."""
        if not await self._store.take_customer_message(rules.customer_step(turn)):
            return False
        text = turn.text.strip()[: rules.COMMENT_CHARS]
        return await self._store.comment_on_rating(turn.conversation_id, survey_id, text)

    async def after_feedback(self, conversation_id: str, value: int) -> None:
        """A thumbs up (1) or down (0) was stored: counted, and a thumbs down is a failure."""
        self._recorder.count_feedback(value)
        if rules.is_failure_feedback(value):
            await self._after_failure(conversation_id)

    async def _after_answer(self, turn: CustomerTurn, reply_id: str, answer: Answer) -> None:
        """Store what the answer rests on, and escalate or count a failure."""
        conversation_id = turn.conversation_id
        citations = [rules.citation_row(c) for c in answer.citations]
        await self._store.record_citations(conversation_id, reply_id, citations)
        if answer.routing is not None:
            await self._store.record_routing(
                conversation_id, reply_id, answer.routing, answer.usage
            )
        if answer.triage is not None:
            topic = answer.escalation.topic if answer.escalation else None
            await self._handoff.record_customer_turn(
                conversation_id, turn.message_id, answer.triage.to_json(), topic
            )
        if answer.escalation is not None:
            await self._escalate(conversation_id, answer.escalation)
        elif rules.is_failure(answer):
            await self._after_failure(conversation_id)

    async def _after_failure(self, conversation_id: str) -> None:
        """The bot failed the customer (no answer, thumbs down): the second time escalates."""
        await self._store.settled(conversation_id)  # the failure just recorded is in the count
        if rules.failures_escalate(
            await self._handoff.failures(conversation_id)
        ) and await self._handoff.bot_may_answer(conversation_id):
            await self._escalate(conversation_id, rules.REPEATED_FAILURE)

    async def _escalate(self, conversation_id: str, escalation: Escalation) -> None:
        """Queue the conversation for a person; the customer's notice is a system message
        that app/handoff stores and publishes."""
        await self._store.settled(conversation_id)  # the turn's messages are stored first
        outcome = await self._handoff.escalate(
            conversation_id, escalation.reason, escalation.detail
        )
        if outcome.created:  # newly queued (not a further reason on a queued conversation)
            self._recorder.count_escalation(escalation.reason)
