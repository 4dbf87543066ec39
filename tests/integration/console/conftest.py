"""Fixtures for the console tests: the app on SQLite (most tests), or on each database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from app.ground.config import Settings
from tests.integration.conftest import fresh_postgres_database
from tests.integration.console_client import console_app, engine_of


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    if request.param == "postgres":
        with fresh_postgres_database() as url:
            yield url
    else:
        yield sqlite_url


@pytest.fixture
def app(settings: Settings, sqlite_url: str) -> Iterator[FastAPI]:
    """The console on SQLite (most tests; the flows run on both databases)."""
    built = console_app(settings, sqlite_url)
    yield built
    engine_of(built).dispose()


@pytest.fixture
def any_app(settings: Settings, db_url: str) -> Iterator[FastAPI]:
    built = console_app(settings, db_url)
    yield built
    engine_of(built).dispose()
