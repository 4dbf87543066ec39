"""Shared pieces of the handoff benchmarks (handoff_latency.py, handoff_load.py).

- `fresh_postgres_database(admin_url)`: a PostgreSQL database with a unique name, dropped on
  exit (what tests/integration/conftest.py does, without importing the test fixtures).
- `create_agents(...)`: console logins through the real CLI (`supportbot agents create
  --password-stdin`), as an administrator would make them.
- `ConsoleAgent`: one agent's browser on the console, with httpx: the login form, the JSON
  API (`Accept: application/json`, CSRF token from `/console/api/me`) and the server-sent
  event stream `GET /console/events`, read as the console page reads it and time-stamped on
  arrival (`time.perf_counter()`, the clock the benchmarks use for everything).
- `stats(values)`: n, p50, p95, max in milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.doors.evaluation import percentile  # noqa: E402

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AGENT_PASSWORD = "benchmark password 1234"
CHAT_SECRET = "handoff-benchmark-" + "s" * 32
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- setup ---------------------------------------------------------------------------------


@contextmanager
def fresh_postgres_database(admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """Create a PostgreSQL database with a unique name; yield its URL; drop it on exit."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(drivername="postgresql", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_env(home: Path, data: Path, **env: str) -> dict[str, str]:
    return {
        **os.environ,
        "SUPPORTBOT_HOME": str(home),
        "SUPPORTBOT_DATA_DIR": str(data),
        **env,
    }


def create_agents(
    home: Path,
    data: Path,
    env: dict[str, str],
    usernames: Sequence[tuple[str, str]],
    *,
    role: str = "agent",
    password: str = AGENT_PASSWORD,
) -> None:
    """`supportbot agents create USERNAME --role ROLE --name NAME --password-stdin` for each
    (username, display name), run side by side."""
    environment = app_env(home, data, **env)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.doors.cli",
                "agents",
                "create",
                username,
                "--role",
                role,
                "--name",
                name,
                "--password-stdin",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=REPO,
        )
        for username, name in usernames
    ]
    failures = []
    for process in processes:
        out, _ = process.communicate(f"{password}\n".encode(), timeout=180)
        if process.returncode != 0:
            failures.append(out.decode(errors="replace")[-2000:])
    if failures:
        raise RuntimeError("agents create failed:\n" + "\n".join(failures))


def copy_home(source: Path, target: Path) -> None:
    """A second app home with the first one's index, so that its ingest finds nothing to do."""
    for item in source.iterdir():
        # chainlit/: each process writes its own UI files (links into the package), and a
        # copy would turn those links into folders it then cannot replace.
        if item.name in ("serve.log", "supportbot.db", "chainlit"):
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target / item.name)


def log_problems(log: Path) -> list[str]:
    """Tracebacks and ERROR lines in a server log (each a line of context)."""
    if not log.exists():
        return []
    lines = log.read_text(errors="replace").splitlines()
    return [
        line.strip()[:200]
        for line in lines
        if line.startswith("Traceback") or " ERROR " in line or line.startswith("ERROR")
    ]


# --- the console ---------------------------------------------------------------------------


class ConsoleAgent:
    """One agent's console: httpx with its cookies, the JSON API and the event stream."""

    def __init__(self, base: str, username: str, password: str = AGENT_PASSWORD) -> None:
        self.base = base
        self.username = username
        self.password = password
        # Idle connections are dropped before uvicorn's 5 s keep-alive ends them: a request
        # sent on a connection the server is closing fails with ReadError (client-side noise).
        self.http = httpx.AsyncClient(
            base_url=base,
            headers={"Accept": "application/json"},
            timeout=60,
            limits=httpx.Limits(keepalive_expiry=2.0),
        )
        self.csrf = ""
        # (arrival time, event) for every `data:` line of the event stream, in order.
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.wake = asyncio.Event()  # set at every event; whoever waits clears it
        self.listeners: list[Callable[[float, dict[str, Any]], None]] = []
        self.stream_errors: list[str] = []
        self._stream_task: asyncio.Task[None] | None = None
        self._opened = asyncio.Event()

    async def login(self) -> None:
        """The login form (its own CSRF token), then the session's token from /api/me."""
        page = await self.http.get("/console/login", headers={"Accept": "text/html"})
        page.raise_for_status()
        match = _CSRF_FIELD.search(page.text)
        if not match:
            raise RuntimeError("no csrf_token on the console login form")
        response = await self.http.post(
            "/console/login",
            data={
                "username": self.username,
                "password": self.password,
                "csrf_token": match.group(1),
            },
            headers={"Accept": "text/html"},
            follow_redirects=False,
        )
        if response.status_code != 303:
            raise RuntimeError(f"login of {self.username} failed: {response.status_code}")
        me = await self.http.get("/console/api/me")
        me.raise_for_status()
        self.csrf = me.json()["csrf_token"]

    async def open_events(self, timeout: float = 15) -> None:
        """Open GET /console/events and keep reading it in a task."""
        self._stream_task = asyncio.create_task(self._read_events())
        await asyncio.wait_for(self._opened.wait(), timeout)

    async def _read_events(self) -> None:
        try:
            async with self.http.stream(
                "GET", "/console/events", headers={"Accept": "text/event-stream"}, timeout=None
            ) as response:
                if response.status_code != 200:
                    self.stream_errors.append(f"event stream answered {response.status_code}")
                    return
                event_name = ""
                async for line in response.aiter_lines():
                    if not self._opened.is_set():
                        self._opened.set()
                    if line.startswith("event:"):
                        event_name = line[6:].strip()
                    elif line.startswith("data:"):
                        arrived = time.perf_counter()
                        data = json.loads(line[5:])
                        if event_name:
                            data = {"kind": f"stream:{event_name}", **data}
                        self.events.append((arrived, data))
                        for listener in self.listeners:
                            listener(arrived, data)
                        self.wake.set()
                    elif not line:
                        event_name = ""
        except (httpx.HTTPError, asyncio.CancelledError) as exc:
            if not isinstance(exc, asyncio.CancelledError):
                self.stream_errors.append(f"event stream: {exc!r}")

    async def queue(self, state: str = "") -> list[dict[str, Any]]:
        response = await self.http.get(
            "/console/api/queue", params={"state": state} if state else None
        )
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/console/api/conversations/{conversation_id}")
        response.raise_for_status()
        view: dict[str, Any] = response.json()
        return view

    async def act(
        self, conversation_id: str, action: str, data: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST /console/conversations/{id}/{action} as JSON (200, or 403/404/409/400)."""
        return await self.http.post(
            f"/console/conversations/{conversation_id}/{action}",
            data=data,
            headers={"X-CSRF-Token": self.csrf},
        )

    async def close(self) -> None:
        if self._stream_task is not None:
            self._stream_task.cancel()
            try:
                await self._stream_task
            except (asyncio.CancelledError, Exception):
                pass
        await self.http.aclose()


# --- small helpers -------------------------------------------------------------------------


async def until(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float, interval: float = 0.01
) -> bool:
    """Poll `condition` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.perf_counter() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return True
        if time.perf_counter() >= deadline:
            return False
        await asyncio.sleep(interval)


def stats(values_ms: Sequence[float]) -> dict[str, float]:
    """n, p50, p95 and max of a list of milliseconds (empty: n 0)."""
    if not values_ms:
        return {"n": 0}
    return {
        "n": len(values_ms),
        "p50": round(percentile(list(values_ms), 50), 1),
        "p95": round(percentile(list(values_ms), 95), 1),
        "max": round(max(values_ms), 1),
    }


def print_table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> None:
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))
