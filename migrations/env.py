"""Alembic environment: the URL comes from the caller's config (built from Settings), or
from Settings when run through the `alembic` command."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from app.db.engine import make_engine, normalize_url
from app.db.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    from app.ground.config import get_settings

    url = normalize_url(get_settings().resolved_database_url)


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    engine.pool = pool.NullPool(engine.pool._creator)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
