"""Chainlit's persistence on supportbot's own tables: a translator, nothing more.

Chainlit 2.12's SQLAlchemy data layer logs SQL errors instead of raising them and binds
values wrongly on SQLite (see STACK_NOTES), so Chainlit talks to `SupportDataLayer` instead.
It only translates Chainlit's calls into the functions of app/db (steps, threads, customers,
feedback, elements) and their rows into Chainlit's dicts (app/chat/chainlit_dicts.py). Every
call runs through `app.db.chat_writes.ChatWrites`: its own transaction in a worker thread,
writes in the order they were issued per conversation, every error propagating (but for a
customer message whose id is taken: that write is a task nobody awaits, so it is logged).

Nothing a client says about itself is taken on trust here: a customer's message is stored
as that session's customer's (app.db.steps.store_customer_message), and a vote is checked
against the customer who sent the request (app.chat.http_guard.requester).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from chainlit.context import ChainlitContextException, context
from chainlit.data.base import BaseDataLayer
from chainlit.data.utils import queue_until_user_message
from chainlit.element import ElementDict
from chainlit.step import StepDict
from chainlit.types import (
    Feedback as ChainlitFeedback,
)
from chainlit.types import (
    PageInfo,
    PaginatedResponse,
    Pagination,
    ThreadDict,
    ThreadFilter,
)
from chainlit.user import PersistedUser, User
from sqlalchemy import Engine

from app.chat.chainlit_dicts import element_dict, persisted_user, step_dict, thread_dict
from app.chat.http_guard import requester
from app.db import conversations as repo
from app.db import customers, elements, steps, threads
from app.db import feedback as feedback_repo
from app.db.chat_writes import ChatWrites, thread_key
from app.db.steps import iso, parse_time
from app.ground.errors import AppError

if TYPE_CHECKING:
    from chainlit.element import Element as ChainlitElement
    from sqlalchemy.orm import Session

__all__ = ["SupportDataLayer", "iso", "parse_time", "step_dict"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


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


def _session_customer() -> str | None:
    """The identifier of the chat session's customer, when there is a session with one."""
    try:
        user = context.session.user
    except ChainlitContextException:
        return None
    return user.identifier if user is not None else None


class SupportDataLayer(BaseDataLayer):
    """Chainlit's data layer on supportbot's tables; `SupportDataLayer(engine)`.

    `writes` is the process's write order, shared with the conversation service (a new one
    when not given); `on_feedback` is called with the conversation id and the value (1 up,
    0 down) after a vote is stored: a thumbs down is a failure of the bot (app/conversation).
    `requester` names the customer behind the current request (votes are checked against
    it); by default the one Chainlit authenticated (app.chat.http_guard.requester).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        writes: ChatWrites | None = None,
        on_feedback: Callable[[str, int], Coroutine[Any, Any, None]] | None = None,
        requester: Callable[[], str | None] = requester,
    ) -> None:
        self._writes = writes or ChatWrites(engine)
        self._on_feedback = on_feedback
        self._requester = requester

    # Users ------------------------------------------------------------------------------

    async def get_user(self, identifier: str) -> PersistedUser | None:
        def work(session: Session) -> PersistedUser | None:
            customer = customers.customer_by_identifier(session=session, identifier=identifier)
            return persisted_user(customer) if customer else None

        return await self._writes.read(work)

    async def create_user(self, user: User) -> PersistedUser | None:
        """Idempotent: a returning customer keeps their id; a new display name or metadata
        from the login is kept."""
        return await self._writes.write(
            f"user:{user.identifier}",
            lambda session: persisted_user(
                customers.upsert_customer(
                    session=session,
                    identifier=user.identifier,
                    display_name=user.display_name,
                    metadata=user.metadata or {},
                )
            ),
        )

    # Threads ----------------------------------------------------------------------------

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        await self._writes.write(
            thread_key(thread_id),
            lambda session: threads.update_thread(
                session=session,
                thread_id=thread_id,
                name=name,
                customer_id=user_id,
                metadata=metadata,
                tags=tags,
            ),  # fmt: skip
        )

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        def work(session: Session) -> ThreadDict | None:
            contents = threads.thread_contents(session=session, thread_id=thread_id)
            if contents is None:
                return None
            return thread_dict(
                contents.conversation,
                contents.identifier,
                [step_dict(row, contents.feedback.get(row.id)) for row in contents.messages],
                [element_dict(row) for row in contents.elements],
            )

        return await self._writes.read(work)

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

        found = await self._writes.read(work)
        page = found[: pagination.first]
        return PaginatedResponse(
            pageInfo=PageInfo(
                hasNextPage=len(found) > pagination.first,
                startCursor=page[0]["id"] if page else None,
                endCursor=page[-1]["id"] if page else None,
            ),
            data=page,
        )

    async def get_thread_author(self, thread_id: str) -> str:
        """The owner's identifier; "" (Chainlit's "not found") for unknown or ownerless threads."""
        return await self._writes.read(
            lambda session: repo.author_identifier(session, conversation_id=thread_id) or ""
        )

    async def delete_thread(self, thread_id: str) -> None:
        await self._writes.write(
            thread_key(thread_id),
            lambda session: repo.delete_conversation(session, conversation_id=thread_id),
        )

    # Steps ------------------------------------------------------------------------------

    async def _store_step(self, step: StepDict) -> None:
        if step.get("type") == "user_message":
            await self._store_customer_message(step)
            return
        await self._writes.write(
            thread_key(step.get("threadId")),
            lambda session: steps.store_step(session=session, step=step),
        )

    async def _store_customer_message(self, step: StepDict) -> None:
        """The customer's message, authored by the session's customer whatever the step says
        (app/chat/gate.py builds it so already). Chainlit fires this write as a task nobody
        awaits: an id that is taken is logged, and the gate has told the customer."""
        trusted = {**step, "name": _session_customer() or step.get("name") or ""}
        try:
            await self._writes.write(
                thread_key(step.get("threadId")),
                lambda session: steps.store_customer_message(session=session, step=trusted),
            )
        except AppError as exc:
            if exc.code != "message_id_taken":
                raise
            log.warning("a customer message was not stored: %s", exc.message)

    @after_first_user_message
    async def create_step(self, step_dict: StepDict) -> None:
        await self._store_step(step_dict)

    @after_first_user_message
    async def update_step(self, step_dict: StepDict) -> None:
        await self._store_step(step_dict)

    @after_first_user_message
    async def delete_step(self, step_id: str) -> None:
        await self._writes.write(
            f"step:{step_id}", lambda session: repo.delete_message(session, message_id=step_id)
        )

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

    # Feedback ---------------------------------------------------------------------------

    async def upsert_feedback(self, feedback: ChainlitFeedback) -> str:
        """One feedback per message: a second vote replaces the first. Returns its id. Only
        the customer who sent the request (app.chat.http_guard) may vote, and only on the
        bot's answers in their own conversations: AppError "not_found" otherwise."""
        customer = self._requester_or_refuse()
        feedback_id, conversation_id = await self._writes.write(
            f"feedback:{feedback.forId}",
            lambda session: feedback_repo.upsert_feedback(
                session=session,
                message_id=feedback.forId,
                value=int(feedback.value),
                comment=feedback.comment,
                customer=customer,
            ),  # fmt: skip
        )
        if self._on_feedback is not None:
            await self._on_feedback(conversation_id, int(feedback.value))
        return feedback_id

    async def delete_feedback(self, feedback_id: str) -> bool:
        """Deletes the requester's own feedback; False when there is none with that id."""
        customer = self._requester_or_refuse()
        return await self._writes.write(
            f"feedback:{feedback_id}",
            lambda session: feedback_repo.delete_feedback(
                session=session, feedback_id=feedback_id, customer=customer
            ),
        )

    def _requester_or_refuse(self) -> str:
        customer = self._requester()
        if customer is None:
            raise AppError("forbidden", "feedback needs a signed-in customer")
        return customer

    # Elements ---------------------------------------------------------------------------

    @after_first_user_message
    async def create_element(self, element: ChainlitElement) -> None:
        """Keep a text body inline; never read files (a path is local to this process)."""
        fields = element.to_dict()
        content = element.content if isinstance(element.content, str) else None
        await self._writes.write(
            thread_key(fields.get("threadId")),
            lambda session: elements.store_element(
                session=session, fields=cast(dict[str, Any], fields), content=content
            ),
        )

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        def work(session: Session) -> ElementDict | None:
            row = elements.element_in(session=session, thread_id=thread_id, element_id=element_id)
            return element_dict(row) if row is not None else None

        return await self._writes.read(work)

    @after_first_user_message
    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        await self._writes.write(
            thread_key(thread_id) if thread_id else f"element:{element_id}",
            lambda session: elements.delete_element(
                session=session, element_id=element_id, thread_id=thread_id
            ),
        )

    # Lifecycle --------------------------------------------------------------------------

    async def build_debug_url(self) -> str:
        return ""

    async def close(self) -> None:
        """Nothing to release: the engine belongs to whoever passed it in."""
