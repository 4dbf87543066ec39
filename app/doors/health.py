"""Readiness: can this process answer customers right now? (/readyz)

Three checks, run concurrently, each with a short deadline: the index answers a count, the
database answers `SELECT 1`, and (when one is configured) the model server lists the model
the app asks for. The result names each check; a failure says only the kind of error, since
/readyz needs no login: the details go to the log. Liveness (/healthz) is separate and checks
nothing: a process that is alive but not ready should be taken out of rotation, not killed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import Engine

from app.db.engine import ping
from app.ground.config import ModelSettings
from app.index.protocols import IndexReader

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[dict[str, Any]]]


async def readiness(
    *,
    reader: IndexReader,
    engine: Engine,
    model: ModelSettings,
    timeout_s: float = 3.0,
) -> tuple[bool, dict[str, Any]]:
    """(ready, {check name: its result}); every result has "ok": true or false."""

    async def index() -> dict[str, Any]:
        return {"passages": await asyncio.to_thread(reader.count)}

    async def database() -> dict[str, Any]:
        await asyncio.to_thread(ping, engine)
        return {}

    async def model_server() -> dict[str, Any]:
        return await _model_listed(model, timeout_s)

    checks: dict[str, Check] = {"index": index, "database": database}
    if model.base_url:
        checks["model"] = model_server
    results = await asyncio.gather(*(_timed(name, c, timeout_s) for name, c in checks.items()))
    body = dict(zip(checks, results, strict=True))
    if not model.base_url:
        body["model"] = {"ok": True, "configured": False}  # extractive answers need no server
    return all(r["ok"] for r in body.values()), body


async def _timed(name: str, check: Check, timeout_s: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = {"ok": True, **await asyncio.wait_for(check(), timeout_s)}
    except Exception as exc:  # any failure means "not ready"; its kind is the answer
        log.warning("readiness check %s failed: %r", name, exc)
        result = {"ok": False, "error": _kind(exc)}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _kind(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


class ModelNotServed(Exception):
    """The model server is up but does not list the model (or LoRA adapter) we ask for."""


async def _model_listed(model: ModelSettings, timeout_s: float) -> dict[str, Any]:
    """GET {base_url}/models; ready when the configured model (or adapter) is among them."""
    assert model.base_url is not None
    key = model.api_key.get_secret_value()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx.AsyncClient(timeout=timeout_s) as client:
        response = await client.get(f"{model.base_url.rstrip('/')}/models", headers=headers)
    response.raise_for_status()
    served = [m.get("id") for m in response.json().get("data", []) if isinstance(m, dict)]
    if model.name not in served:
        raise ModelNotServed(f"the server serves {served}, not {model.name!r}")
    return {"name": model.name}
