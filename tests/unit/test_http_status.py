"""The one AppError code -> HTTP status table, and the typed reads of `app.state`."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.console import state as app_state
from app.console.deps import LimiterDep
from app.console.limiter import LoginLimiter
from app.ground.errors import HTTP_STATUS, AppError


def test_codes_map_to_statuses_and_the_rest_is_400() -> None:
    assert AppError("not_found", "x").http_status == 404
    assert AppError("forbidden", "x").http_status == 403
    assert AppError("handoff_conflict", "x").http_status == 409
    assert AppError("too_long", "x").http_status == 400
    assert all(400 <= status < 500 for status in HTTP_STATUS.values())


def test_app_state_is_read_typed() -> None:
    app = FastAPI()
    with pytest.raises(RuntimeError, match="app.state.engine is not set"):
        app_state.typed(app, "engine", LoginLimiter)
    app.state.engine = "not an engine"
    with pytest.raises(RuntimeError, match="is not a LoginLimiter"):
        app_state.typed(app, "engine", LoginLimiter)
    app.state.login_limiter = LoginLimiter()

    @app.get("/limiter")
    def limiter(found: LimiterDep) -> dict[str, int]:
        """A route names the dependency; FastAPI reads app.state through app.console.state."""
        return {"max": found.max_failures}

    assert TestClient(app).get("/limiter").json() == {"max": 5}
