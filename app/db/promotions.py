"""Queries on model promotions. Functions take the session keyword-only and do not commit."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.db.models import ModelPromotion

log = logging.getLogger(__name__)


def record_promotion(
    *,
    session: Session,
    model_name: str,
    adapter_path: str | None,
    replaced: str,
    evaluation: dict[str, Any],
) -> ModelPromotion:
    """Add a promotion; from its commit on, the app asks the server for `model_name`."""
    promotion = ModelPromotion(
        model_name=model_name, adapter_path=adapter_path, replaced=replaced, evaluation=evaluation
    )
    session.add(promotion)
    return promotion


def promoted_model(*, session: Session) -> str | None:
    """The latest promoted model name; None when nothing was ever promoted."""
    query = select(ModelPromotion.model_name).order_by(ModelPromotion.id.desc()).limit(1)
    return session.scalar(query)


def model_to_ask(*, session: Session, default: str) -> str:
    """The model the app asks the server for: the latest promotion, else `default`."""
    return promoted_model(session=session) or default


def promotion_history(*, session: Session, limit: int = 20) -> list[ModelPromotion]:
    """The latest promotions, newest first."""
    query = select(ModelPromotion).order_by(ModelPromotion.id.desc()).limit(limit)
    return list(session.scalars(query))


class PromotedModelName:
    """The model name to ask the server for: the latest promotion, else `default`.

    Read at most every `ttl_s` seconds, so a promotion reaches every app process within that
    time without a restart, and a busy chat does not query the database on every answer. A
    database that cannot be read keeps the last name known (the default at first).
    """

    def __init__(self, engine: Engine, default: str, *, ttl_s: float = 5.0) -> None:
        self._engine = engine
        self._name = default
        self._ttl_s = ttl_s
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        self._warned = ""

    def __call__(self) -> str:
        with self._lock:
            if time.monotonic() - self._read_at >= self._ttl_s:
                self._read_at = time.monotonic()
                try:
                    with Session(self._engine) as session:
                        self._name = model_to_ask(session=session, default=self._name)
                except SQLAlchemyError as exc:
                    if str(exc) != self._warned:  # once per kind of failure, not every read
                        self._warned = str(exc)
                        log.warning("promoted model not read (%s); asking for %s", exc, self._name)
            return self._name
