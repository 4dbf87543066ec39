"""Who a customer is (name, e-mail, the embedding site's id for them) and their other
conversations, for the chat (is the customer known?) and the console (who is this?).

Session keyword-only; nothing here commits. The values were checked before they came here
(app/ground/contact.py); they are personal data, so nothing here logs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Conversation, Customer, Escalation, Message

SOURCES = ("site", "form")  # the embedding site's signed token, or the pre-chat form


@dataclass(frozen=True)
class Profile:
    name: str | None
    email: str | None
    site_customer_id: str | None
    source: str | None  # one of SOURCES, None while nothing is known

    @property
    def known(self) -> bool:
        return bool(self.name or self.email)


@dataclass(frozen=True)
class EarlierConversation:
    conversation_id: str
    started_at: datetime
    first_question: str | None
    state: str  # the escalation's (queued, assigned, resolved), else "bot": no person involved


def profile_of(customer: Customer) -> Profile:
    return Profile(
        name=customer.contact_name,
        email=customer.contact_email,
        site_customer_id=customer.site_customer_id,
        source=customer.profile_source,
    )


def profile_by_identifier(*, session: Session, identifier: str) -> Profile | None:
    """The customer's profile; None when the chat has never seen the customer."""
    customer = session.scalars(select(Customer).where(Customer.identifier == identifier)).first()
    return profile_of(customer) if customer else None


def save_profile(
    *,
    session: Session,
    identifier: str,
    name: str | None,
    email: str | None,
    source: str,
    site_customer_id: str | None = None,
) -> Customer:
    """Keep who the customer is, creating the customer when new. A value not given leaves
    the one kept before (a site's token without an e-mail does not erase the e-mail).
    Flushes."""
    if source not in SOURCES:
        raise ValueError(f"profile source must be one of {SOURCES}, not {source!r}")
    customer = session.scalars(select(Customer).where(Customer.identifier == identifier)).first()
    if customer is None:
        customer = Customer(identifier=identifier, metadata_={"role": "customer"})
        session.add(customer)
    if name:
        customer.contact_name = name
    if email:
        customer.contact_email = email
    if site_customer_id:
        customer.site_customer_id = site_customer_id
    customer.profile_source = source
    session.flush()
    return customer


def earlier_conversations(
    *, session: Session, customer_id: str, besides: str, limit: int = 10
) -> list[EarlierConversation]:
    """The customer's other conversations in which they wrote, newest first, each with its
    first question and how far it went."""
    first_question = (
        select(Message.text)
        .where(Message.conversation_id == Conversation.id, Message.role == "customer")
        .order_by(Message.created_at, Message.id)
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    query = (
        select(Conversation.id, Conversation.created_at, first_question, Escalation.state)
        .outerjoin(Escalation, Escalation.conversation_id == Conversation.id)
        .where(Conversation.customer_id == customer_id, Conversation.id != besides)
        .where(first_question.is_not(None))
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(limit)
    )
    return [
        EarlierConversation(
            conversation_id=cid, started_at=at, first_question=text, state=state or "bot"
        )
        for cid, at, text, state in session.execute(query)
    ]
