"""The conversation service's action step, with the fakes of test_conversation_rules.py and a
fake `Actions` port: a look-up's reply is the turn's answer; without one the pipeline answers
on the triage already taken; a person who has the conversation keeps it."""

# ruff: noqa: ARG002  (the fakes take the arguments of what they stand in for)

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from app.actions.runner import ActionReply
from app.conversation.events import AnswerFinished, AnswerPiece, HistoryChanged, TurnEvent
from app.conversation.service import ConversationService
from app.pipeline.answering import Done
from app.pipeline.triage import Triage
from app.pipeline.types import Turn
from tests.unit.test_conversation_rules import TURN, FakeHandoff, FakePipeline, World, answer


@dataclass
class FakeActions:
    reply_with: ActionReply | None = None
    seen: list[tuple[str, Triage]] = field(default_factory=list)

    async def reply(
        self, message: str, history: tuple[Turn, ...], triage: Triage
    ) -> ActionReply | None:
        self.seen.append((message, triage))
        return self.reply_with


@dataclass
class TriageCountingPipeline(FakePipeline):
    triaged: int = 0
    given: list[Triage | None] = field(default_factory=list)

    def triage(self, message: str, history: tuple[Turn, ...] = ()) -> Triage:
        self.triaged += 1
        return super().triage(message, history)

    async def stream(self, message, history=(), *, triage=None):  # type: ignore[no-untyped-def]
        self.given.append(triage)
        async for event in super().stream(message, history, triage=triage):
            yield event


def take(world: World, actions: FakeActions) -> list[TurnEvent]:
    service = ConversationService(
        world.pipeline, world.handoff, world.store, world.recorder, actions
    )

    async def collect() -> list[TurnEvent]:
        return [event async for event in service.take_turn(TURN)]

    return asyncio.run(collect())


def test_a_look_up_answers_the_turn_and_is_remembered() -> None:
    world = World(pipeline=TriageCountingPipeline())
    said = "From our order system: order 12345-678 is shipped."
    actions = FakeActions(ActionReply("order_status", "answered", said, offer_person=False))
    events = take(world, actions)
    reply_id = events[0].reply_id  # type: ignore[union-attr]
    assert events[0] == AnswerPiece(reply_id, said)
    finished = events[1]
    assert isinstance(finished, AnswerFinished) and not finished.offer_person
    assert finished.answer.kind == "action" and finished.answer.text == said
    assert finished.answer.generator == "action:order_status"
    assert events[2] == HistoryChanged((Turn("customer", TURN.text), Turn("assistant", said)))
    assert world.pipeline.asked == []  # the answer pipeline was not asked
    assert world.handoff.calls == [("turn", "t", "m1", None)]  # the triage is stored
    assert ("answer", "action") in world.recorder.seen


def test_a_failed_look_up_offers_a_person_and_is_no_failure_of_the_bot() -> None:
    world = World(handoff=FakeHandoff(failure_count=1))
    text = "Sorry, I couldn't get an answer from our order system just now."
    events = take(world, FakeActions(ActionReply("order_status", "timeout", text, True)))
    finished = events[1]
    assert isinstance(finished, AnswerFinished) and finished.offer_person
    assert not [c for c in world.handoff.calls if c[0] == "escalate"]


def test_without_a_look_up_the_pipeline_answers_on_the_triage_taken_once() -> None:
    world = World(pipeline=TriageCountingPipeline())
    world.pipeline.events = [Done(answer())]
    actions = FakeActions()
    events = take(world, actions)
    assert isinstance(events[-2], AnswerFinished) and events[-2].answer.kind == "answer"
    pipeline = world.pipeline
    assert isinstance(pipeline, TriageCountingPipeline)
    assert pipeline.triaged == 1 and pipeline.given == [actions.seen[0][1]]


def test_while_a_person_has_the_conversation_no_look_up_is_made() -> None:
    world = World(handoff=FakeHandoff(bot_answers=False))
    actions = FakeActions(ActionReply("order_status", "answered", "x", False))
    take(world, actions)
    assert actions.seen == []
