"""Tables. Names carry the `sb_` prefix so supportbot can share a database with other apps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names: Alembic can then drop or alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IngestRun(Base):
    """One `supportbot ingest` run: the history an operator checks after the nightly job."""

    __tablename__ = "sb_ingest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    duration_s: Mapped[float] = mapped_column(Float)
    roots: Mapped[list[str]] = mapped_column(JSON)
    added: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    passages_total: Mapped[int] = mapped_column(Integer)
    report_path: Mapped[str | None] = mapped_column(String(1024))
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
