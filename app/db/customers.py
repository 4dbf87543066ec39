"""Chat customers as Chainlit logs them in. Session keyword-only; nothing here commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.db import conversations as repo
from app.db.models import Customer


def merged_metadata(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Chainlit sends partial metadata (the user session, a share flag): merge it; None
    removes a key."""
    merged = {**current, **update}
    return {key: value for key, value in merged.items() if value is not None}


def customer_by_identifier(*, session: Session, identifier: str) -> Customer | None:
    return repo.customer_by_identifier(session, identifier=identifier)


def upsert_customer(
    *,
    session: Session,
    identifier: str,
    display_name: str | None,
    metadata: dict[str, Any],
) -> Customer:
    """Idempotent: a returning customer keeps their id; a new display name or metadata from
    the login is kept. Flushes (the new row's id is read at once)."""
    customer = repo.customer_by_identifier(session, identifier=identifier)
    if customer is None:
        customer = Customer(identifier=identifier, metadata_={})
        session.add(customer)
    if display_name:
        customer.display_name = display_name
    customer.metadata_ = merged_metadata(customer.metadata_ or {}, metadata)
    session.flush()
    return customer
