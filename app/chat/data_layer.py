"""Chainlit's persistence on supportbot's own tables.

Chainlit 2.12's SQLAlchemy data layer logs SQL errors instead of raising them and binds
values wrongly on SQLite (see STACK_NOTES), so Chainlit talks to `SupportDataLayer` instead.
It only translates: Chainlit's dicts (ThreadDict, StepDict, ElementDict, Feedback) to and
from app.db.models, with the queries in app.db.conversations. The engine is the caller's
(sync, SQLite or PostgreSQL); each call does its work in a worker thread, in its own session
and transaction, and lets every error propagate.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast
from urllib.parse import quote

from chainlit.context import ChainlitContextException, context
from chainlit.data.base import BaseDataLayer
from chainlit.data.utils import queue_until_user_message
from chainlit.element import ElementDict
from chainlit.step import StepDict
from chainlit.types import (
    Feedback as ChainlitFeedback,
)
from chainlit.types import (
    FeedbackDict,
    PageInfo,
    PaginatedResponse,
    Pagination,
    ThreadDict,
    ThreadFilter,
)
from chainlit.user import PersistedUser, User
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db import conversations as repo
from app.db import escalations as escalation_repo
from app.db import routing as routing_repo
from app.db.engine import in_thread_transaction
from app.db.models import Conversation, Customer, Element, Feedback, Message, utc_now
from app.ground.errors import AppError
from app.ground.render import inert
from app.pipeline.types import RouteUsage, RoutingDecision

if TYPE_CHECKING:
    from chainlit.element import Element as ChainlitElement

P = ParamSpec("P")
T = TypeVar("T")

ROLE_OF_STEP_TYPE = {
    "user_message": "customer",
    "assistant_message": "assistant",
    "system_message": "system",
}
ROLES = ("customer", "assistant", "agent", "system")
PEOPLE = ("agent", "system")  # messages supportbot stores itself, as written
OWN_METADATA = ("triage", "policy_topic", "answer_kind", "role", "agent_id")
NAME_MAX = 255  # Chainlit names a thread after the first message, which can be much longer


def after_first_user_message(
    method: Callable[P, Coroutine[Any, Any, None]],
) -> Callable[P, Coroutine[Any, Any, None]]:
    """Chainlit's own queueing of step and element writes, where there is a chat session.

    Until a customer sends a first message, Chainlit queues these writes in the session and
    replays them after it names the thread, so a visitor who never types leaves no thread.
    Chainlit applies this to its abstract methods, so an override must apply it again. Outside
    a Chainlit session (the console, tests) there is nothing to wait for: run at once.
    """
    queued = cast(
        Callable[P, Coroutine[Any, Any, None]],
        queue_until_user_message()(method),  # type: ignore[no-untyped-call]
    )

    @functools.wraps(method)
    async def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            context.session  # noqa: B018 (raises outside a Chainlit context)
        except ChainlitContextException:
            return await method(*args, **kwargs)
        return await queued(*args, **kwargs)

    return run


def iso(moment: datetime) -> str:
    """Chainlit's timestamp format: naive UTC ISO 8601 with a `Z` (what `utc_now()` makes)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def parse_time(text: str | None) -> datetime | None:
    """A Chainlit timestamp as an aware datetime; one without a zone is UTC."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def merged_metadata(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Chainlit sends partial metadata (the user session, a share flag): merge it; None
    removes a key."""
    merged = {**current, **update}
    return {key: value for key, value in merged.items() if value is not None}


def persisted_user(customer: Customer) -> PersistedUser:
    return PersistedUser(
        id=customer.id,
        identifier=customer.identifier,
        display_name=customer.display_name,
        metadata=dict(customer.metadata_),
        createdAt=iso(customer.created_at),
    )


def apply_step(row: Message, step: StepDict) -> None:
    """Copy the fields present in `step` onto `row`: Chainlit's updates may be partial."""
    if "parentId" in step:
        row.parent_id = step["parentId"]
    if "type" in step:
        row.type = step["type"]
    if "name" in step:
        row.name = (step["name"] or "")[:NAME_MAX]
    if "output" in step:
        row.text = step["output"] or ""
    if "input" in step:
        row.input = step["input"]
    if "isError" in step:
        row.is_error = bool(step["isError"])
    if "streaming" in step:
        row.streaming = bool(step["streaming"])
    if "showInput" in step:
        show_input = step["showInput"]
        row.show_input = str(show_input).lower() if isinstance(show_input, bool) else show_input
    if "language" in step:
        row.language = step["language"]
    if "command" in step:
        row.command = step["command"]
    if "modes" in step:
        row.modes = step["modes"]
    if "tags" in step:
        row.tags = step["tags"]
    if "waitForAnswer" in step:
        row.wait_for_answer = step["waitForAnswer"]
    if "defaultOpen" in step:
        row.default_open = step["defaultOpen"]
    if "autoCollapse" in step:
        row.auto_collapse = step["autoCollapse"]
    if "generation" in step:
        row.generation = step["generation"]
    if "metadata" in step:
        # Chainlit sends the metadata it knows; what supportbot added (a turn's triage, an
        # answer's kind) must survive a later write of the same step.
        ours = {k: v for k, v in (row.metadata_ or {}).items() if k in OWN_METADATA}
        row.metadata_ = {**ours, **dict(step["metadata"] or {})}
    if step.get("icon"):  # Chainlit keeps a step's icon in its metadata too
        row.metadata_ = {**(row.metadata_ or {}), "icon": step["icon"]}
    if created_at := parse_time(step.get("createdAt")):
        row.created_at = created_at
    if "start" in step:
        row.start = parse_time(step["start"])
    if "end" in step:
        row.end = parse_time(step["end"])
    row.role = role_of(row.type, row.metadata_ or {})
    row.author = row.name if row.type in ROLE_OF_STEP_TYPE else None


def role_of(step_type: str, metadata: dict[str, Any]) -> str:
    """Who spoke. A human agent's reply is an assistant_message with metadata role=agent."""
    if metadata.get("role") in ROLES:
        return cast(str, metadata["role"])
    return ROLE_OF_STEP_TYPE.get(step_type, "system")


def show_input_value(stored: str | None) -> bool | str | None:
    return {"true": True, "false": False}.get(stored or "", stored)


def step_dict(row: Message, feedback: Feedback | None) -> StepDict:
    output = row.text
    if (row.metadata_ or {}).get("role") in PEOPLE:
        output = inert(output)  # stored as typed (for the console); shown literally here
    step: StepDict = {
        "id": row.id,
        "threadId": row.conversation_id,
        "parentId": row.parent_id,
        "name": row.name,
        "type": cast(Any, row.type),
        "output": output,
        "isError": row.is_error,
        "streaming": row.streaming,
        "showInput": show_input_value(row.show_input),
        "language": row.language,
        "command": row.command,
        "modes": row.modes,
        "tags": row.tags,
        "waitForAnswer": row.wait_for_answer,
        "defaultOpen": row.default_open,
        "autoCollapse": row.auto_collapse,
        "metadata": dict(row.metadata_ or {}),
        "generation": row.generation,
        "createdAt": iso(row.created_at),
        "start": iso(row.start) if row.start else None,
        "end": iso(row.end) if row.end else None,
    }
    if row.input is not None:
        step["input"] = row.input
    if feedback is not None:
        step["feedback"] = FeedbackDict(
            id=feedback.id,
            forId=feedback.message_id,
            value=cast(Any, feedback.value),
            comment=feedback.comment,
        )
    return step


def element_url(row: Element) -> str | None:
    """Where the browser loads the element from.

    Chainlit's UI fetches a Text element's body from its URL; a live session serves it from
    memory, which is gone when the thread is resumed. A `data:` URL carries the stored body.
    """
    if row.url or row.content is None:
        return row.url
    return f"data:{row.mime or 'text/plain'};charset=utf-8,{quote(row.content)}"


def element_dict(row: Element) -> ElementDict:
    return {
        "id": row.id,
        "threadId": row.conversation_id,
        "forId": row.for_id,
        "type": cast(Any, row.type),
        "name": row.name,
        "display": cast(Any, row.display),
        "url": element_url(row),
        "mime": row.mime,
        "language": row.language,
        "size": cast(Any, row.size),
        "page": row.page,
        "props": dict(row.props or {}),
    }


def thread_dict(
    conversation: Conversation,
    identifier: str | None,
    steps: list[StepDict],
    elements: list[ElementDict],
) -> ThreadDict:
    return {
        "id": conversation.id,
        "createdAt": iso(conversation.created_at),
        "name": conversation.name,
        "userId": conversation.customer_id,
        "userIdentifier": identifier,
        "tags": list(conversation.tags or []),
        "metadata": dict(conversation.metadata_ or {}),
        "steps": steps,
        "elements": elements,
    }


def store_step(session: Session, step: StepDict) -> None:
    """Insert or update the message; its conversation is created if Chainlit has not announced
    the thread yet."""
    row = session.get(Message, step["id"])
    if row is None:
        thread_id = step.get("threadId")
        if not thread_id:
            raise AppError("step_without_thread", f"step {step['id']!r} has no threadId")
        repo.ensure_conversation(session, thread_id)
        row = Message(
            id=step["id"], conversation_id=thread_id, type="undefined", name="", text="",
            metadata_={}, created_at=utc_now(),
        )  # fmt: skip
        session.add(row)
    first_seen = row.created_at
    apply_step(row, step)
    if first_seen is not None and row.handled_at is not None:
        row.created_at = first_seen  # a redelivered message keeps its place in the transcript
    repo.ensure_conversation(session, row.conversation_id).updated_at = utc_now()


def thread_key(thread_id: str | None) -> str:
    """The write-order key of a conversation's rows (see SupportDataLayer._write)."""
    return f"thread:{thread_id or ''}"


class SupportDataLayer(BaseDataLayer):
    """Chainlit's data layer on supportbot's tables; `SupportDataLayer(engine)`."""

    def __init__(
        self,
        engine: Engine,
        *,
        on_feedback: Callable[[str, int], Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        self._engine = engine
        # Called with the conversation id and the value (1 up, 0 down) after a vote is stored:
        # a thumbs down is a failure of the bot that counts towards escalation (app/handoff).
        self._on_feedback = on_feedback
        # Chainlit fires step writes as tasks it does not await (create, then update, of the
        # same message). Running a conversation's writes one at a time, in the order they were
        # issued, keeps a late-starting create from overwriting the update that followed it;
        # different conversations write in parallel (one lock for all made 50 customers wait
        # seconds for each other).
        self._order: dict[str, asyncio.Lock] = {}
        self._queued: dict[str, int] = {}

    async def _read(self, work: Callable[[Session], T]) -> T:
        return await in_thread_transaction(self._engine, work)

    async def _write(self, key: str, work: Callable[[Session], T]) -> T:
        """Run `work` in a transaction after the writes issued before it under `key` (a
        conversation, usually)."""
        lock = self._order.setdefault(key, asyncio.Lock())
        self._queued[key] = self._queued.get(key, 0) + 1
        try:
            async with lock:
                return await in_thread_transaction(self._engine, work)
        finally:
            self._queued[key] -= 1
            if not self._queued[key]:
                del self._queued[key], self._order[key]

    # Users ------------------------------------------------------------------------------

    async def get_user(self, identifier: str) -> PersistedUser | None:
        def work(session: Session) -> PersistedUser | None:
            customer = repo.customer_by_identifier(session, identifier=identifier)
            return persisted_user(customer) if customer else None

        return await self._read(work)

    async def create_user(self, user: User) -> PersistedUser | None:
        """Idempotent: a returning customer keeps their id; a new display name or metadata
        from the login is kept."""

        def work(session: Session) -> PersistedUser:
            customer = repo.customer_by_identifier(session, identifier=user.identifier)
            if customer is None:
                customer = Customer(identifier=user.identifier, metadata_={})
                session.add(customer)
            if user.display_name:
                customer.display_name = user.display_name
            customer.metadata_ = merged_metadata(customer.metadata_ or {}, user.metadata or {})
            session.flush()
            return persisted_user(customer)

        return await self._write(f"user:{user.identifier}", work)

    # Threads ----------------------------------------------------------------------------

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        def work(session: Session) -> None:
            conversation = repo.ensure_conversation(session, conversation_id=thread_id)
            if name is not None:
                conversation.name = name[:NAME_MAX]
            if user_id is not None:
                if session.get(Customer, user_id) is None:
                    raise AppError("unknown_customer", f"no customer with id {user_id!r}")
                conversation.customer_id = user_id
            if metadata is not None:
                conversation.metadata_ = merged_metadata(conversation.metadata_ or {}, metadata)
            if tags is not None:
                conversation.tags = list(tags)
            conversation.updated_at = utc_now()

        await self._write(thread_key(thread_id), work)

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        def work(session: Session) -> ThreadDict | None:
            conversation = session.get(Conversation, thread_id)
            if conversation is None:
                return None
            feedback = repo.feedback_of(session, conversation_id=thread_id)
            steps = [
                step_dict(row, feedback.get(row.id))
                for row in repo.transcript(session, conversation_id=thread_id)
            ]
            elements = [
                element_dict(row) for row in repo.elements_of(session, conversation_id=thread_id)
            ]
            identifier = repo.author_identifier(session, conversation_id=thread_id)
            return thread_dict(conversation, identifier, steps, elements)

        return await self._read(work)

    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]:
        """Newest first; the cursor is the id of the previous page's last thread. Threads
        come without steps or elements (the sidebar needs neither)."""

        def work(session: Session) -> list[ThreadDict]:
            rows = repo.conversation_page(
                session=session,
                limit=pagination.first + 1,  # one more tells whether a next page exists
                after_id=pagination.cursor,
                customer_id=filters.userId,
                name_contains=filters.search,
                feedback_value=filters.feedback,
            )
            return [
                thread_dict(conversation, identifier, [], []) for conversation, identifier in rows
            ]

        threads = await self._read(work)
        page = threads[: pagination.first]
        return PaginatedResponse(
            pageInfo=PageInfo(
                hasNextPage=len(threads) > pagination.first,
                startCursor=page[0]["id"] if page else None,
                endCursor=page[-1]["id"] if page else None,
            ),
            data=page,
        )

    async def get_thread_author(self, thread_id: str) -> str:
        """The owner's identifier; "" (Chainlit's "not found") for unknown or ownerless threads."""

        def work(session: Session) -> str:
            return repo.author_identifier(session, conversation_id=thread_id) or ""

        return await self._read(work)

    async def delete_thread(self, thread_id: str) -> None:
        def work(session: Session) -> None:
            repo.delete_conversation(session, conversation_id=thread_id)

        await self._write(thread_key(thread_id), work)

    # Steps ------------------------------------------------------------------------------

    async def _store_step(self, step: StepDict) -> None:
        await self._write(
            thread_key(step.get("threadId")), lambda session: store_step(session, step)
        )

    @after_first_user_message
    async def create_step(self, step_dict: StepDict) -> None:
        await self._store_step(step_dict)

    @after_first_user_message
    async def update_step(self, step_dict: StepDict) -> None:
        await self._store_step(step_dict)

    @after_first_user_message
    async def delete_step(self, step_id: str) -> None:
        def work(session: Session) -> None:
            repo.delete_message(session, message_id=step_id)

        await self._write(f"step:{step_id}", work)

    async def get_favorite_steps(self, user_id: str) -> list[StepDict]:  # noqa: ARG002
        """Favourites are off in supportbot's Chainlit config; nothing is ever a favourite."""
        return []

    async def set_step_favorite(
        self,
        step_dict: StepDict,
        favorite: bool,  # noqa: ARG002
    ) -> StepDict:
        """Favourites are off: the step is returned unchanged and nothing is stored."""
        return step_dict

    # supportbot's own writes about a chat, in line with Chainlit's ----------------------

    async def take_customer_message(self, step: StepDict) -> bool:
        """Store a customer message (if Chainlit has not yet) and mark it taken in hand, in
        one transaction; False when it already was: the same message delivered twice (same
        client id) is stored once and answered once."""

        def work(session: Session) -> bool:
            store_step(session, step)
            session.flush()
            return escalation_repo.mark_handled(session, step["id"])

        return await self._write(thread_key(step.get("threadId")), work)

    async def record_citations(
        self, thread_id: str, message_id: str, citations: Sequence[dict[str, Any]]
    ) -> None:
        """`conversations.record_citations`, once the conversation's pending writes have
        landed.

        A handler cannot wait for Chainlit's writes (`send()`/`update()` fire them as tasks),
        so a citation row written from its own session may race ahead of its message.
        """
        await self._after_pending_writes(
            thread_id, lambda session: repo.record_citations(session, message_id, citations)
        )

    async def record_routing(
        self,
        thread_id: str,
        message_id: str,
        decision: RoutingDecision,
        usage: dict[str, RouteUsage],
    ) -> None:
        """`routing.record_routing`, once the conversation's pending writes have landed."""
        await self._after_pending_writes(
            thread_id,
            lambda session: routing_repo.record_routing(
                session=session, message_id=message_id, decision=decision, usage=usage
            ),
        )

    async def settled(self, thread_id: str) -> None:
        """Wait until the writes Chainlit has fired so far for the conversation have landed."""
        await self._after_pending_writes(thread_id, lambda _session: None)

    async def _after_pending_writes(
        self, thread_id: str, work: Callable[[Session], object]
    ) -> None:
        await asyncio.sleep(0)  # write tasks Chainlit has just created queue first
        await self._write(thread_key(thread_id), work)

    # Feedback ---------------------------------------------------------------------------

    async def upsert_feedback(self, feedback: ChainlitFeedback) -> str:
        """One feedback per message: a second vote replaces the first. Returns its id."""

        def work(session: Session) -> tuple[str, str]:
            message = repo.require_message(session, message_id=feedback.forId)
            row = repo.feedback_for_message(session, message_id=message.id)
            if row is None:
                row = Feedback(message_id=message.id, conversation_id=message.conversation_id)
                if feedback.id:
                    row.id = feedback.id
                session.add(row)
            row.value = int(feedback.value)
            row.comment = feedback.comment
            row.updated_at = utc_now()
            session.flush()
            return row.id, message.conversation_id

        feedback_id, conversation_id = await self._write(f"feedback:{feedback.forId}", work)
        if self._on_feedback is not None:
            await self._on_feedback(conversation_id, int(feedback.value))
        return feedback_id

    async def delete_feedback(self, feedback_id: str) -> bool:
        def work(session: Session) -> None:
            row = session.get(Feedback, feedback_id)
            if row is not None:
                session.delete(row)

        await self._write(f"feedback:{feedback_id}", work)
        return True

    # Elements ---------------------------------------------------------------------------

    @after_first_user_message
    async def create_element(self, element: ChainlitElement) -> None:
        """Keep a text body inline; never read files (a path is local to this process)."""
        fields = element.to_dict()
        content = element.content if isinstance(element.content, str) else None

        def work(session: Session) -> None:
            thread_id = fields.get("threadId")
            if thread_id:
                repo.ensure_conversation(session, conversation_id=thread_id)
            row = session.get(Element, fields["id"])
            if row is None:
                row = Element(id=fields["id"], created_at=utc_now())
                session.add(row)
            row.conversation_id = thread_id
            row.for_id = fields.get("forId")
            row.type = fields["type"]
            row.name = (fields.get("name") or "")[:NAME_MAX]
            row.display = fields.get("display") or "inline"
            row.content = content
            row.url = fields.get("url")
            row.mime = fields.get("mime")
            row.language = fields.get("language")
            row.size = fields.get("size")
            row.page = fields.get("page")
            row.props = dict(fields.get("props") or {})

        await self._write(thread_key(fields.get("threadId")), work)

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        def work(session: Session) -> ElementDict | None:
            row = session.get(Element, element_id)
            if row is None or row.conversation_id != thread_id:
                return None
            return element_dict(row)

        return await self._read(work)

    @after_first_user_message
    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        def work(session: Session) -> None:
            row = session.get(Element, element_id)
            if row is not None and (thread_id is None or row.conversation_id == thread_id):
                session.delete(row)

        await self._write(thread_key(thread_id) if thread_id else f"element:{element_id}", work)

    # Lifecycle --------------------------------------------------------------------------

    async def build_debug_url(self) -> str:
        return ""

    async def close(self) -> None:
        """Nothing to release: the engine belongs to whoever passed it in."""
