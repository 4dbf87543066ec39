"""Chat persistence on the real migrated schema, SQLite and PostgreSQL: Chainlit's data layer
driven the way Chainlit drives it, and the repository the app uses beside it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import unquote

import pytest
from chainlit.context import init_ws_context
from chainlit.element import Text
from chainlit.session import WebsocketSession
from chainlit.step import StepDict
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import User
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.chat.data_layer import SupportDataLayer
from app.db import conversations as repo
from app.db import escalations
from app.db.chat_writes import ChatWrites
from app.db.engine import make_engine, upgrade
from app.db.models import Citation, Conversation, Element, Message
from app.db.models import Feedback as FeedbackRow
from app.ground.errors import AppError


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    url: str = request.getfixturevalue(f"{request.param}_url")
    upgrade(url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def writes(engine: Engine) -> ChatWrites:
    return ChatWrites(engine)


@dataclass
class Voter:
    """The customer behind the current request, as Chainlit's routes would name them."""

    identifier: str | None = "customer:owner"


@pytest.fixture
def voter() -> Voter:
    return Voter()


@pytest.fixture
def layer(engine: Engine, writes: ChatWrites, voter: Voter) -> SupportDataLayer:
    return SupportDataLayer(engine, writes=writes, requester=lambda: voter.identifier)


async def own(layer: SupportDataLayer, thread_id: str, identifier: str = "customer:owner") -> None:
    """Give the conversation an owner, as Chainlit does when it names the thread."""
    customer = await layer.create_user(User(identifier=identifier))
    assert customer is not None
    await layer.update_thread(thread_id, user_id=customer.id)


def message(
    step_id: str, thread_id: str, kind: str, output: str, at: str, **extra: Any
) -> StepDict:
    """A step as `cl.Message.to_dict()` sends it."""
    step: dict[str, Any] = {
        "id": step_id, "threadId": thread_id, "parentId": None, "createdAt": at,
        "command": None, "modes": None, "start": at, "end": at, "output": output,
        "name": "Customer" if kind == "user_message" else "Assistant", "type": kind,
        "language": None, "streaming": False, "isError": False, "waitForAnswer": None,
        "metadata": {}, "tags": None,
    }  # fmt: skip
    step.update(extra)
    return cast(StepDict, step)


def citation(marker: int, source: str) -> dict[str, Any]:
    return {
        "marker": marker, "passage_id": f"{source}#{marker}", "source": source,
        "title": "AP-1 Guide", "heading_path": ["AP-1 Guide", "Reset"], "url": None,
        "page": marker, "product": "AP-1", "snippet": f"Hold the reset button ({marker}).",
    }  # fmt: skip


def count(engine: Engine, model: type[Any]) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_conversation_round_trip(layer: SupportDataLayer, voter: Voter) -> None:
    voter.identifier = "customer:3f2a"

    async def scenario() -> None:
        user = await layer.create_user(User(identifier="customer:3f2a", metadata={"plan": "pro"}))
        again = await layer.create_user(User(identifier="customer:3f2a", display_name="Ann"))
        assert user is not None and again is not None
        assert again.id == user.id and again.display_name == "Ann"
        assert again.metadata == {"plan": "pro"}
        assert (await layer.get_user("customer:3f2a")) == again
        assert await layer.get_user("customer:nobody") is None

        # Chainlit persists the steps before it names the thread.
        question = "My AP-1 blinks amber, how do I reset it?"
        await layer.create_step(
            message("s1", "t1", "user_message", question, "2026-11-20T10:00:00.000001Z")
        )
        await layer.create_step(
            message("s2", "t1", "assistant_message", "", "2026-11-20T10:00:01Z", streaming=True)
        )
        await layer.update_step(
            message("s2", "t1", "assistant_message", "Hold reset for 10 s [1].",
                    "2026-11-20T10:00:01Z")
        )  # fmt: skip
        await layer.update_thread(
            "t1", name=question, user_id=user.id, metadata={"a": 1}, tags=["ap-1"]
        )
        await layer.update_thread("t1", metadata={"b": 2, "a": None})  # merged; None removes
        await layer.create_element(
            Text(
                name="Source 1", content="**AP-1 Guide › Reset**\n\nHold 10 s & release.",
                display="side", for_id="s2", thread_id="t1", mime="text/plain",
            )
        )  # fmt: skip
        first = await layer.upsert_feedback(Feedback(forId="s2", value=1, threadId="t1"))
        second = await layer.upsert_feedback(Feedback(forId="s2", value=0, comment="too short"))
        assert first == second

        thread = await layer.get_thread("t1")
        assert thread is not None
        assert thread["name"] == question
        assert thread["userId"] == user.id and thread["userIdentifier"] == "customer:3f2a"
        assert thread["tags"] == ["ap-1"] and thread["metadata"] == {"b": 2}
        steps = thread["steps"]
        assert [s["id"] for s in steps] == ["s1", "s2"]
        assert [s["output"] for s in steps] == [question, "Hold reset for 10 s [1]."]
        assert steps[0]["createdAt"] == "2026-11-20T10:00:00.000001Z"  # Chainlit's own format
        assert steps[1]["streaming"] is False
        assert "feedback" not in steps[0]
        assert steps[1]["feedback"] == {
            "id": first, "forId": "s2", "value": 0, "comment": "too short",
        }  # fmt: skip
        (element,) = thread["elements"] or []
        assert element["forId"] == "s2" and element["display"] == "side"
        url = element["url"] or ""
        assert url.startswith("data:text/plain;charset=utf-8,")
        assert unquote(url.split(",", 1)[1]) == "**AP-1 Guide › Reset**\n\nHold 10 s & release."
        assert await layer.get_element("t1", element["id"]) == element
        assert await layer.get_element("other-thread", element["id"]) is None
        assert await layer.get_thread_author("t1") == "customer:3f2a"
        assert await layer.get_thread_author("unknown") == ""
        assert await layer.get_thread("unknown") is None

    asyncio.run(scenario())


def test_threads_are_listed_by_owner_and_name_newest_first_page_by_page(
    layer: SupportDataLayer, voter: Voter
) -> None:
    voter.identifier = "customer:ann"

    async def scenario() -> None:
        ann = await layer.create_user(User(identifier="customer:ann"))
        bob = await layer.create_user(User(identifier="customer:bob"))
        assert ann is not None and bob is not None
        for thread_id, name in [("a1", "WiFi drops"), ("a2", "Reset AP-1"), ("a3", "wifi slow")]:
            await layer.update_thread(thread_id, name=name, user_id=ann.id)
        await layer.update_thread("b1", name="WiFi drops", user_id=bob.id)

        page = await layer.list_threads(Pagination(first=2), ThreadFilter(userId=ann.id))
        assert [t["id"] for t in page.data] == ["a3", "a2"]
        assert page.pageInfo.hasNextPage is True
        assert (page.pageInfo.startCursor, page.pageInfo.endCursor) == ("a3", "a2")
        assert page.data[0]["userIdentifier"] == "customer:ann"
        rest = await layer.list_threads(
            Pagination(first=2, cursor=page.pageInfo.endCursor), ThreadFilter(userId=ann.id)
        )
        assert [t["id"] for t in rest.data] == ["a1"]
        assert rest.pageInfo.hasNextPage is False
        assert rest.to_dict()["pageInfo"]["endCursor"] == "a1"  # what Chainlit serves

        found = await layer.list_threads(
            Pagination(first=10), ThreadFilter(userId=ann.id, search="WIFI")
        )
        assert [t["id"] for t in found.data] == ["a3", "a1"]
        nothing = await layer.list_threads(Pagination(first=10), ThreadFilter(search="100%"))
        assert nothing.data == [] and nothing.pageInfo.endCursor is None

        await layer.create_step(
            message("m1", "a2", "assistant_message", "Hold reset.", "2026-11-20T10:00:00Z")
        )
        await layer.upsert_feedback(Feedback(forId="m1", value=0))
        disliked = await layer.list_threads(Pagination(first=10), ThreadFilter(feedback=0))
        assert [t["id"] for t in disliked.data] == ["a2"]
        liked = await layer.list_threads(Pagination(first=10), ThreadFilter(feedback=1))
        assert liked.data == []

    asyncio.run(scenario())


def test_deleting_a_thread_removes_its_steps_elements_feedback_and_citations(
    layer: SupportDataLayer, engine: Engine
) -> None:
    async def scenario() -> None:
        for thread_id in ("gone", "kept"):
            await layer.create_step(
                message(
                    f"{thread_id}-s",
                    thread_id,
                    "assistant_message",
                    "Hi [1]",
                    "2026-11-20T10:00:00Z",
                )
            )
            await layer.create_element(
                Text(name="Source 1", content="passage", for_id=f"{thread_id}-s",
                     thread_id=thread_id, mime="text/plain")
            )  # fmt: skip
            await own(layer, thread_id)
            await layer.upsert_feedback(Feedback(forId=f"{thread_id}-s", value=1))
            with Session(engine) as session, session.begin():
                repo.record_citations(session, f"{thread_id}-s", [citation(1, "ap.md")])

        await layer.delete_thread("gone")
        assert await layer.get_thread("gone") is None
        kept = await layer.get_thread("kept")
        assert kept is not None and len(kept["steps"]) == 1 and len(kept["elements"] or []) == 1

    asyncio.run(scenario())
    for model in (Conversation, Message, Element, FeedbackRow, Citation):
        assert count(engine, model) == 1, model.__name__


def test_a_step_of_an_unknown_thread_is_stored_and_json_comes_back_as_objects(
    layer: SupportDataLayer, engine: Engine
) -> None:
    async def scenario() -> None:
        await layer.create_step(
            {
                "id": "tool-1", "threadId": "new-thread", "parentId": None, "name": "search",
                "type": "tool", "input": '{"q": "reset"}', "output": "3 passages",
                "showInput": "json", "isError": False, "streaming": False,
                "metadata": {"k": [1, 2]}, "tags": ["retrieval"], "defaultOpen": True,
                "generation": {"model": "support"}, "createdAt": "2026-11-20T10:00:00Z",
                "start": "2026-11-20T10:00:00Z", "end": "2026-11-20T10:00:02.5Z",
            }
        )  # fmt: skip
        await layer.update_step({"id": "tool-1", "output": "4 passages", "showInput": False})
        await layer.update_thread("new-thread", metadata={"env": {}}, tags=["x"])
        thread = await layer.get_thread("new-thread")
        assert thread is not None and thread["userId"] is None
        (step,) = thread["steps"]
        assert step["output"] == "4 passages" and step["input"] == '{"q": "reset"}'
        assert step["showInput"] is False and step["defaultOpen"] is True
        assert step["metadata"] == {"k": [1, 2]} and step["tags"] == ["retrieval"]
        assert step["generation"] == {"model": "support"}
        assert step["end"] == "2026-11-20T10:00:02.500000Z"

    asyncio.run(scenario())
    with Session(engine) as session:
        conversation = session.get(Conversation, "new-thread")
        assert conversation is not None
        assert conversation.metadata_ == {"env": {}} and conversation.tags == ["x"]
        assert conversation.status == "bot"
        row = session.get(Message, "tool-1")
        assert row is not None and row.role == "system" and row.author is None
        assert isinstance(row.metadata_, dict) and isinstance(row.tags, list)
        assert row.created_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
        assert row.created_at.utcoffset() == timedelta(0)  # aware and UTC on both backends


def test_writes_fired_as_tasks_land_in_the_order_chainlit_issued_them(
    layer: SupportDataLayer,
) -> None:
    async def scenario() -> None:
        at = "2026-11-20T10:00:00Z"
        # Chainlit's Message.send() and .update() both use asyncio.create_task, unawaited.
        await asyncio.gather(
            asyncio.create_task(
                layer.create_step(message("m", "t", "assistant_message", "", at, streaming=True))
            ),
            asyncio.create_task(
                layer.update_step(message("m", "t", "assistant_message", "done", at))
            ),
        )
        thread = await layer.get_thread("t")
        assert thread is not None
        assert [(s["output"], s["streaming"]) for s in thread["steps"]] == [("done", False)]

    asyncio.run(scenario())


def test_citations_written_in_the_chats_write_order_wait_for_fired_step_writes(
    layer: SupportDataLayer, writes: ChatWrites, engine: Engine
) -> None:
    async def scenario() -> None:
        at = "2026-11-20T10:00:00Z"
        # What a handler does: reply.update() fires the write, then citations are recorded.
        reply = asyncio.create_task(
            layer.update_step(message("r", "t", "assistant_message", "A", at))
        )
        await writes.record_citations("t", "r", [citation(1, "ap.md")])
        await reply

    asyncio.run(scenario())
    with Session(engine) as session:
        assert [c.source for c in repo.citations_of(session, "r")] == ["ap.md"]


def test_a_customer_message_delivered_twice_is_stored_and_taken_once(
    layer: SupportDataLayer, writes: ChatWrites, engine: Engine
) -> None:
    async def scenario() -> list[bool]:
        at = "2026-11-20T10:00:00Z"
        step = message("client-1", "t", "user_message", "my LR-200 drops wifi", at)
        first = await writes.take_customer_message(step)
        # Chainlit writes the same step again (with its own metadata) and it arrives again.
        await layer.update_step(step)
        return [first, await writes.take_customer_message(step)]

    assert asyncio.run(scenario()) == [True, False]
    with Session(engine) as session:
        rows = repo.transcript(session, "t")
        assert [(m.id, m.text) for m in rows] == [("client-1", "my LR-200 drops wifi")]
        assert rows[0].handled_at is not None


def test_a_sessions_writes_wait_for_the_customers_first_message(layer: SupportDataLayer) -> None:
    """Inside a Chainlit chat, a visitor who never types leaves no thread behind."""

    async def scenario() -> None:
        session = WebsocketSession(
            id="session-1", socket_id="socket-1", emit=lambda *_: None,
            emit_call=lambda *_: None, user_env={}, client_type="webapp", thread_id="t",
        )  # fmt: skip
        init_ws_context(session)
        try:
            welcome = message("hello", "t", "assistant_message", "Hi!", "2026-11-20T10:00:00Z")
            await layer.create_step(welcome)
            assert await layer.get_thread("t") is None  # queued in the session
            session.has_first_interaction = True  # what Chainlit does on the first message
            await session.flush_method_queue()
            thread = await layer.get_thread("t")
            assert thread is not None and [s["output"] for s in thread["steps"]] == ["Hi!"]
        finally:
            await session.delete()

    asyncio.run(scenario())


def test_errors_propagate(layer: SupportDataLayer) -> None:
    async def scenario() -> None:
        with pytest.raises(AppError, match="no answer"):
            await layer.upsert_feedback(Feedback(forId="no-such-step", value=1))
        with pytest.raises(AppError, match="no customer"):
            await layer.update_thread("t", user_id="no-such-customer")
        with pytest.raises(AppError, match="no conversation"):
            await layer.list_threads(Pagination(first=2, cursor="gone"), ThreadFilter())
        with pytest.raises(AppError, match="no threadId"):
            await layer.create_step({"id": "orphan", "type": "user_message", "output": "hi"})

    asyncio.run(scenario())


def test_deleting_steps_elements_and_feedback(layer: SupportDataLayer, engine: Engine) -> None:
    async def scenario() -> None:
        at = "2026-11-20T10:00:00Z"
        await layer.create_step(message("q", "t", "user_message", "hi", at))
        await layer.create_step(message("a", "t", "assistant_message", "hello", at))
        text = Text(name="Source 1", content="x", for_id="a", thread_id="t", mime="text/plain")
        await layer.create_element(text)
        await own(layer, "t")
        feedback_id = await layer.upsert_feedback(Feedback(forId="a", value=1))
        assert await layer.delete_feedback(feedback_id) is True
        assert await layer.delete_feedback(feedback_id) is False  # already gone
        await layer.delete_element(text.id, "other-thread")  # not this thread's: kept
        assert await layer.get_element("t", text.id) is not None
        await layer.upsert_feedback(Feedback(forId="a", value=0))
        await layer.delete_step("a")  # takes its element and feedback along
        thread = await layer.get_thread("t")
        assert thread is not None
        assert [s["id"] for s in thread["steps"]] == ["q"] and thread["elements"] == []
        assert "feedback" not in thread["steps"][0]

    asyncio.run(scenario())
    assert count(engine, FeedbackRow) == 0 and count(engine, Element) == 0


def test_repository_citations_transcript_status_and_feedback_counts(
    layer: SupportDataLayer, engine: Engine
) -> None:
    async def steps() -> None:
        # Stored out of order: the transcript follows createdAt, not insertion.
        await layer.create_step(
            message("late", "t", "assistant_message", "B", "2026-11-20T10:00:05Z")
        )
        await layer.create_step(message("early", "t", "user_message", "A", "2026-11-20T10:00:00Z"))
        await own(layer, "t")
        await layer.upsert_feedback(Feedback(forId="late", value=0))

    asyncio.run(steps())
    with Session(engine) as session, session.begin():
        # A person's reply is stored by the handoff, which sets who spoke.
        escalations.add_message(
            session, conversation_id="t", message_id="agent", role="agent",
            author="Dana (support)", text="C",
        )  # fmt: skip
    with Session(engine) as session, session.begin():
        rows = repo.transcript(session, "t")
        assert [(m.id, m.role, m.author) for m in rows] == [
            ("early", "customer", "Customer"),
            ("late", "assistant", "Assistant"),
            ("agent", "agent", "Dana (support)"),
        ]
        repo.record_citations(session, "late", [citation(2, "ap.md"), citation(1, "sw.html")])
    with Session(engine) as session, session.begin():
        assert [(c.marker, c.source) for c in repo.citations_of(session, "late")] == [
            (1, "sw.html"), (2, "ap.md"),
        ]  # fmt: skip
        repo.record_citations(session, "late", [citation(1, "kb/vpn.txt")])  # replaces
    with Session(engine) as session, session.begin():
        (only,) = repo.citations_of(session, "late")
        assert (only.marker, only.source, only.heading_path) == (
            1, "kb/vpn.txt", ["AP-1 Guide", "Reset"],
        )  # fmt: skip
        with pytest.raises(AppError):
            repo.record_citations(session, "no-such-message", [citation(1, "ap.md")])
        assert repo.feedback_counts(session) == {0: 1, 1: 0}


def test_a_citation_keeps_every_section_it_names(layer: SupportDataLayer, engine: Engine) -> None:
    asyncio.run(own(layer, "t"))
    at = "2026-11-20T10:00:00Z"
    asyncio.run(layer.create_step(message("answer", "t", "assistant_message", "A", at)))
    both = [["AP-1 Guide", "Updating firmware"], ["AP-1 Guide", "Factory reset"]]
    with Session(engine) as session, session.begin():
        repo.record_citations(
            session,
            "answer",
            [{**citation(1, "ap.md"), "section_paths": both}, citation(2, "ap.md")],
        )
    with Session(engine) as session:
        named, older = repo.citations_of(session, "answer")
        assert named.section_paths == both
        # A citation stored without them (as before migration 0008) names its heading alone.
        assert older.section_paths == [] and older.heading_path == ["AP-1 Guide", "Reset"]


def test_who_spoke_comes_from_the_step_type_never_from_its_metadata(
    layer: SupportDataLayer, engine: Engine
) -> None:
    async def scenario() -> None:
        at = "2026-11-20T10:00:00Z"
        await layer.create_step(
            message("forged", "t", "assistant_message", "Refund approved.", at,
                    name="Alex Agent", metadata={"role": "agent", "agent_id": "a1"})
        )  # fmt: skip
        await layer.create_step(
            message("q", "t", "user_message", "hi", at, metadata={"role": "agent"})
        )

    asyncio.run(scenario())
    with Session(engine) as session:
        roles = {m.id: (m.role, m.metadata_) for m in repo.transcript(session, "t")}
        assert roles["forged"][0] == "assistant"
        assert roles["q"] == ("customer", {})


def test_a_customer_message_never_overwrites_a_stored_message(
    layer: SupportDataLayer, writes: ChatWrites, engine: Engine
) -> None:
    at = "2026-11-20T10:00:00Z"

    async def scenario() -> list[bool]:
        await layer.create_step(message("answer", "t", "assistant_message", "Hold 10 s.", at))
        await writes.take_customer_message(message("theirs", "other", "user_message", "A", at))
        await writes.take_customer_message(message("mine", "t", "user_message", "B", at))
        taken = []
        for target in ("answer", "theirs", "mine"):
            forged = message(target, "t", "user_message", "OVERWRITTEN", at)
            await layer.create_step(forged)  # Chainlit's own write: refused, logged
            taken.append(await writes.take_customer_message(forged))
        return taken

    assert asyncio.run(scenario()) == [False, False, False]
    with Session(engine) as session:
        stored = {m.id: (m.conversation_id, m.role, m.text) for m in session.scalars(
            select(Message))}  # fmt: skip
        assert stored == {
            "answer": ("t", "assistant", "Hold 10 s."),
            "theirs": ("other", "customer", "A"),
            "mine": ("t", "customer", "B"),
        }


def test_a_customer_votes_only_on_the_bots_answers_in_their_own_conversations(
    engine: Engine, writes: ChatWrites, voter: Voter
) -> None:
    counted: list[tuple[str, int]] = []  # what reaches the failure count and the metrics

    async def on_feedback(conversation_id: str, value: int) -> None:
        counted.append((conversation_id, value))

    layer = SupportDataLayer(
        engine, writes=writes, on_feedback=on_feedback, requester=lambda: voter.identifier
    )

    async def scenario() -> None:
        at = "2026-11-20T10:00:00Z"
        for thread_id, owner in (("ann-t", "customer:ann"), ("bob-t", "customer:bob")):
            await layer.create_step(message(f"{thread_id}-q", thread_id, "user_message", "?", at))
            await layer.create_step(
                message(f"{thread_id}-a", thread_id, "assistant_message", "!", at)
            )
            await own(layer, thread_id, owner)
        voter.identifier = "customer:bob"
        bobs = await layer.upsert_feedback(Feedback(forId="bob-t-a", value=1))
        # The chat UI votes on the run step an answer hangs under: the bot's too.
        await layer.create_step(message("bob-t-run", "bob-t", "run", "", at, name="on_message"))
        await layer.upsert_feedback(Feedback(forId="bob-t-run", value=1))
        voter.identifier = "customer:ann"
        for target in ("bob-t-a", "ann-t-q"):  # another's answer; one's own question
            with pytest.raises(AppError) as refused:
                await layer.upsert_feedback(Feedback(forId=target, value=0))
            assert refused.value.code == "not_found"
        assert await layer.delete_feedback(bobs) is False
        voter.identifier = None  # no signed-in customer behind the request
        with pytest.raises(AppError):
            await layer.upsert_feedback(Feedback(forId="bob-t-a", value=0))

    asyncio.run(scenario())
    assert counted == [("bob-t", 1), ("bob-t", 1)]  # Ann's refused thumbs down never counted
    with Session(engine) as session:
        votes = [(f.message_id, f.value) for f in session.scalars(select(FeedbackRow))]
        assert sorted(votes) == [("bob-t-a", 1), ("bob-t-run", 1)]
