"""The conversation service's turn rules, with fakes for the pipeline, handoff and store:
no database, no model, no framework."""

# ruff: noqa: ARG002  (the fakes take the arguments of what they stand in for)

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

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
from app.conversation.service import ConversationService
from app.ground.errors import AppError
from app.pipeline.answering import HANDOFF_TEXT, AnswerEvent, Done, Restart, TextDelta
from app.pipeline.triage import Triage
from app.pipeline.types import Answer, Citation, Escalation, RoutingDecision, Turn

TRIAGE = Triage(0.0, "neutral", False, 0.0, "question", ())
CITATION = Citation(
    marker=1, passage_id="ap.md#1", source="ap.md", title="AP-1 Guide",
    heading_path=("AP-1 Guide", "Reset"), section_paths=(("AP-1 Guide", "Reset"),), url=None,
    page=2, product="AP-1", doc_type="manual", snippet="Hold the reset button.",
)  # fmt: skip


def answer(kind: str = "answer", **changes: Any) -> Answer:
    base = Answer(
        kind=kind,  # type: ignore[arg-type]
        intent="question", text="Hold reset [1].", citations=(CITATION,), confidence=0.9,
        product="AP-1", query="reset", triage=TRIAGE,
    )  # fmt: skip
    return replace(base, **changes)


@dataclass
class FakePipeline:
    events: list[AnswerEvent] = field(default_factory=list)
    error: AppError | None = None
    asked: list[tuple[str, tuple[Turn, ...]]] = field(default_factory=list)

    def triage(self, message: str, history: tuple[Turn, ...] = ()) -> Triage:
        return TRIAGE

    async def stream(
        self, message: str, history: tuple[Turn, ...] = (), *, triage: Triage | None = None
    ) -> AsyncIterator[AnswerEvent]:
        self.asked.append((message, history))
        if self.error is not None:
            raise self.error
        for event in self.events:
            yield event


@dataclass
class Outcome:
    created: bool


@dataclass
class FakeHandoff:
    bot_answers: bool = True
    failure_count: int = 0
    already_queued: bool = False
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    async def bot_may_answer(self, conversation_id: str, sent_at: datetime | None = None) -> bool:
        return self.bot_answers

    async def customer_message_arrived(self, conversation_id: str, message_id: str) -> None:
        self.calls.append(("arrived", conversation_id, message_id))

    async def record_customer_turn(
        self, conversation_id: str, message_id: str, triage: dict[str, Any], topic: str | None
    ) -> None:
        self.calls.append(("turn", conversation_id, message_id, topic))

    async def failures(self, conversation_id: str) -> int:
        return self.failure_count

    async def escalate(self, conversation_id: str, reason: str, detail: str = "") -> Outcome:
        self.calls.append(("escalate", conversation_id, reason))
        self.bot_answers = False
        return Outcome(created=not self.already_queued)


@dataclass
class FakeStore:
    taken: set[str] = field(default_factory=set)
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    async def take_customer_message(self, step: dict[str, Any]) -> bool:
        self.calls.append(("take", step))
        if step["id"] in self.taken:
            return False
        self.taken.add(step["id"])
        return True

    async def record_citations(self, thread_id: str, message_id: str, citations: Any) -> None:
        self.calls.append(("citations", thread_id, message_id, [c["marker"] for c in citations]))

    async def record_routing(
        self, thread_id: str, message_id: str, decision: Any, usage: Any
    ) -> None:
        self.calls.append(("routing", thread_id, message_id, decision.route))

    async def settled(self, thread_id: str) -> None:
        self.calls.append(("settled", thread_id))


@dataclass
class FakeRecorder:
    seen: list[tuple[str, Any]] = field(default_factory=list)

    def observe_answer(self, answer: Answer) -> None:
        self.seen.append(("answer", answer.kind))

    def first_token_clock(self) -> FakeRecorder:
        return self

    def text(self) -> None:
        self.seen.append(("token", None))

    def count_escalation(self, reason: str) -> None:
        self.seen.append(("escalation", reason))

    def count_feedback(self, value: int) -> None:
        self.seen.append(("feedback", value))


@dataclass
class World:
    pipeline: FakePipeline = field(default_factory=FakePipeline)
    handoff: FakeHandoff = field(default_factory=FakeHandoff)
    store: FakeStore = field(default_factory=FakeStore)
    recorder: FakeRecorder = field(default_factory=FakeRecorder)

    @property
    def service(self) -> ConversationService:
        return ConversationService(self.pipeline, self.handoff, self.store, self.recorder)

    def turn(self, turn: CustomerTurn) -> list[TurnEvent]:
        async def collect() -> list[TurnEvent]:
            return [event async for event in self.service.take_turn(turn)]

        return asyncio.run(collect())


SENT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TURN = CustomerTurn("t", "m1", "how do I reset my AP-1?", "customer:3f2a", SENT)


def test_an_answer_streams_then_finishes_then_its_citations_and_triage_are_stored() -> None:
    world = World()
    world.pipeline.events = [TextDelta("Hold "), Restart("model down"), TextDelta("Hold"),
                             Done(answer())]  # fmt: skip
    events = world.turn(TURN)
    reply_id = events[0].reply_id  # type: ignore[union-attr]
    assert events == [
        AnswerPiece(reply_id, "Hold "),
        AnswerRestarted(reply_id, "model down"),
        AnswerPiece(reply_id, "Hold"),
        AnswerFinished(reply_id, answer(), offer_person=True),
        HistoryChanged(
            (Turn("customer", "how do I reset my AP-1?"), Turn("assistant", "Hold reset [1]."))
        ),
    ]
    step = world.store.calls[0][1]
    assert step == {
        "id": "m1", "threadId": "t", "type": "user_message", "name": "customer:3f2a",
        "output": "how do I reset my AP-1?", "createdAt": "2026-11-20T10:00:00Z",
    }  # fmt: skip
    assert world.store.calls[1:] == [("citations", "t", reply_id, [1])]
    assert world.handoff.calls == [("turn", "t", "m1", None)]
    assert world.recorder.seen == [("token", None), ("token", None), ("answer", "answer")]


def test_a_message_delivered_twice_is_answered_once() -> None:
    world = World()
    world.pipeline.events = [Done(answer())]
    assert world.turn(TURN)
    assert world.turn(TURN) == []
    assert len(world.pipeline.asked) == 1


def test_while_a_person_has_the_conversation_the_bot_keeps_quiet() -> None:
    world = World(handoff=FakeHandoff(bot_answers=False))
    history = (Turn("customer", "hi"), Turn("assistant", "Hello!"))
    events = world.turn(replace(TURN, history=history))
    assert events == [HistoryChanged((*history, Turn("customer", "how do I reset my AP-1?")))]
    assert world.pipeline.asked == []
    # The console hears of the message before its triage (seconds under load), then again
    # with the triage.
    assert world.handoff.calls == [("arrived", "t", "m1"), ("turn", "t", "m1", None)]


@dataclass
class ClaimedMidStream(FakePipeline):
    """An answer during whose streaming an agent claims the conversation."""

    handoff: FakeHandoff = field(default_factory=FakeHandoff)

    async def stream(
        self, message: str, history: tuple[Turn, ...] = (), *, triage: Triage | None = None
    ) -> AsyncIterator[AnswerEvent]:
        yield TextDelta("Hold the reset ")
        self.handoff.bot_answers = False  # Ana claims it here, in the console
        yield TextDelta("button [1].")
        yield Done(answer(kind="abstain"))


def test_an_answer_overtaken_by_a_person_is_withdrawn_not_delivered() -> None:
    handoff = FakeHandoff()
    world = World(pipeline=ClaimedMidStream(handoff=handoff), handoff=handoff)
    events = world.turn(TURN)
    reply_id = events[0].reply_id  # type: ignore[union-attr]
    assert events[2:] == [
        AnswerWithdrawn(reply_id, rules.WITHDRAWN_TEXT),
        HistoryChanged((Turn("customer", "how do I reset my AP-1?"),)),  # no answer kept
    ]
    assert not any(isinstance(e, AnswerFinished) for e in events)
    assert isinstance(events[2], Refused)  # shown by every front door that shows refusals
    # The person gets the message with its triage; nothing of the answer is stored, and the
    # withdrawn abstention counts neither as an answer nor as a failure.
    assert world.handoff.calls == [("turn", "t", "m1", None)]
    assert [call[0] for call in world.store.calls] == ["take"]
    assert ("answer", "abstain") not in world.recorder.seen


def test_a_message_the_pipeline_refuses_gets_a_refusal_and_nothing_else() -> None:
    world = World(pipeline=FakePipeline(error=AppError("too_long", "the message is too long")))
    events = world.turn(TURN)
    assert len(events) == 1 and isinstance(events[0], Refused)
    assert events[0].text == "Sorry, I can't answer that: the message is too long."
    assert [call[0] for call in world.store.calls] == ["take"]


def test_an_escalating_answer_queues_the_conversation_and_counts_it_once() -> None:
    world = World()
    complaint = Escalation("complaint", "angry", topic=None)
    world.pipeline.events = [Done(answer("handoff", escalation=complaint))]
    events = world.turn(TURN)
    finished = [e for e in events if isinstance(e, AnswerFinished)]
    assert finished and not finished[0].offer_person
    assert world.handoff.calls[-1] == ("escalate", "t", "complaint")
    assert ("escalation", "complaint") in world.recorder.seen
    assert ("settled", "t") in world.store.calls  # the turn's messages land first

    again = World(handoff=FakeHandoff(already_queued=True))
    again.pipeline.events = [Done(answer("handoff", escalation=complaint))]
    again.turn(TURN)
    assert not [s for s in again.recorder.seen if s[0] == "escalation"]


def test_the_second_failure_escalates_and_the_first_does_not() -> None:
    for failures, escalated in [(1, False), (2, True)]:
        world = World(handoff=FakeHandoff(failure_count=failures))
        world.pipeline.events = [Done(answer("abstain", citations=()))]
        events = world.turn(TURN)
        assert [e for e in events if isinstance(e, AnswerFinished)][0].offer_person
        assert (("escalate", "t", "repeated_failure") in world.handoff.calls) is escalated


def test_feedback_is_counted_and_a_thumbs_down_is_a_failure() -> None:
    world = World(handoff=FakeHandoff(failure_count=2))
    asyncio.run(world.service.after_feedback("t", 1))
    assert world.handoff.calls == []
    asyncio.run(world.service.after_feedback("t", 0))
    assert world.handoff.calls == [("escalate", "t", "repeated_failure")]
    assert world.recorder.seen == [("feedback", 1), ("feedback", 0),
                                   ("escalation", "repeated_failure")]  # fmt: skip


def test_routing_is_stored_with_the_reply() -> None:
    world = World()
    decision = RoutingDecision(route="large", reason="low_confidence", confidence=0.2,
                               threshold=0.5, small_model="s", large_model="l")  # fmt: skip
    world.pipeline.events = [Done(answer(routing=decision))]
    world.turn(TURN)
    assert [c for c in world.store.calls if c[0] == "routing"][0][3] == "large"


def test_asking_for_a_person_says_so_and_escalates_unless_one_has_it() -> None:
    async def ask(world: World) -> list[TurnEvent]:
        return [event async for event in world.service.ask_for_person("t")]

    world = World()
    assert asyncio.run(ask(world)) == [HandoffNotice(HANDOFF_TEXT)]
    assert world.handoff.calls == [("escalate", "t", "asked_for_human")]
    assert asyncio.run(ask(world)) == []  # now a person has it


@pytest.mark.parametrize(
    ("kind", "offers"),
    [
        ("answer", True),
        ("abstain", True),
        ("handoff", False),
        ("smalltalk", False),
        ("clarify", False),
    ],
)
def test_which_answers_offer_a_person(kind: str, offers: bool) -> None:
    assert rules.offers_person(answer(kind)) is offers


def test_history_keeps_the_last_twenty_turns_and_is_rebuilt_from_stored_messages() -> None:
    many = [Turn("customer", str(i)) for i in range(25)]
    assert rules.remember(many, Turn("assistant", "x"))[0] == Turn("customer", "6")
    steps = [
        {"type": "user_message", "output": "hi"},
        {"type": "assistant_message", "output": "Hello!"},
        {"type": "system_message", "output": "queued"},
        {"type": "tool", "output": "4 passages"},
        {"type": "assistant_message", "output": None},
    ]
    assert rules.history_from_messages(steps) == (
        Turn("customer", "hi"), Turn("assistant", "Hello!"), Turn("assistant", ""),
    )  # fmt: skip


def test_failures_escalate_at_two() -> None:
    assert not rules.failures_escalate(1) and rules.failures_escalate(2)
    assert rules.is_failure_feedback(0) and not rules.is_failure_feedback(1)
    assert rules.is_failure(answer("abstain"))
    assert not rules.is_failure(answer("abstain", escalation=Escalation("complaint", "x")))
