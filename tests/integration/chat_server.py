"""A real `supportbot serve` in a subprocess, and a real socket.io chat client for it.

The chat is tested the way a browser uses it: over HTTP for the customer identity and the
Chainlit login, then over socket.io for messages (the protocol Chainlit's own UI speaks).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import socketio

REPO = Path(__file__).resolve().parents[2]


_MANUAL = """---
product: {product}
url: https://support.example.com/manuals/{slug}
---
# {product} Access Point Guide

## Reset

### Factory reset

Hold the reset button of the {product} for {seconds} seconds until the LED blinks {colour}.
The access point then restarts with its default settings and must be adopted again.

## Mounting

Screw the bracket to the ceiling and clip the {product} on until it clicks. Keep it one
metre away from metal ducts, which weaken the signal.
"""


def write_access_point_corpus(data: Path, *, starter: str) -> Path:
    """Two sibling access points whose manuals differ only in their facts, a product
    catalog, and one starter question labelled `starter`."""
    (data / "manuals").mkdir(parents=True, exist_ok=True)
    for product, seconds, colour in (("AP-1", 10, "amber"), ("AP-2", 25, "purple")):
        (data / "manuals" / f"{product.lower()}.md").write_text(
            _MANUAL.format(product=product, slug=product.lower(), seconds=seconds, colour=colour),
            encoding="utf-8",
        )
    (data / "products.toml").write_text(
        '[[product]]\nid = "AP-1"\n\n[[product]]\nid = "AP-2"\n', encoding="utf-8"
    )
    (data / "starters.toml").write_text(
        f'[[starter]]\nlabel = "{starter}"\nmessage = "How do I reset my AP-1?"\n',
        encoding="utf-8",
    )
    return data


# A load test's customers all come from this machine: lift the chat's message budgets (per
# customer and per client address) so the benchmark measures the app, not its flood guard.
UNLIMITED_MESSAGES = {
    "SUPPORTBOT_CHAT__RATE_PER_CUSTOMER": "1000000",
    "SUPPORTBOT_CHAT__RATE_PER_IP": "1000000",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_environment(home: Path, data_dir: Path, **env: str) -> dict[str, str]:
    """The environment of an app process (or a CLI command) on `home` and `data_dir`."""
    return {
        **os.environ,
        "SUPPORTBOT_HOME": str(home),
        "SUPPORTBOT_DATA_DIR": str(data_dir),
        **env,
    }


def create_agent(
    home: Path,
    data_dir: Path,
    username: str,
    password: str,
    *,
    name: str,
    role: str = "agent",
    **env: str,
) -> None:
    """A console login made as an operator would: `supportbot agents create`."""
    subprocess.run(
        [sys.executable, "-m", "app.doors.cli", "agents", "create", username, "--role", role,
         "--name", name, "--password-stdin"],
        input=f"{password}\n".encode(),
        env=app_environment(home, data_dir, **env),
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip


@contextmanager
def serve(home: Path, data_dir: Path, **env: str) -> Iterator[str]:
    """Ingest `data_dir` into `home`, start the app on a free port, yield its base URL."""
    port = free_port()
    environment = app_environment(home, data_dir, **env)
    cli = [sys.executable, "-m", "app.doors.cli"]
    subprocess.run([*cli, "ingest"], env=environment, cwd=REPO, check=True, capture_output=True)
    log = (home / "serve.log").open("wb")
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=environment,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process, home / "serve.log")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = (
        time.monotonic() + 300
    )  # generous: an upper bound on a busy machine, not a speed test
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"serve did not become healthy:\n{log.read_text()[-3000:]}")


class ChatClient:
    """One customer's browser: its cookies, and a socket.io connection to the chat."""

    def __init__(self, base: str, cookies: httpx.Cookies | None = None) -> None:
        self.base = base
        self.http = httpx.AsyncClient(base_url=base, cookies=cookies)
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.session_id = ""
        self.sio.on("*", self._record)

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))

    async def login(self) -> None:
        """What the chat page does: get a customer cookie, then a Chainlit session token."""
        (await self.http.get("/chat/")).raise_for_status()
        (await self.http.post("/chat/auth/header")).raise_for_status()

    async def connect(self, thread_id: str | None = None) -> None:
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        self.session_id = str(uuid.uuid4())
        await self.sio.connect(
            self.base,
            socketio_path="/chat/ws/socket.io",
            headers={"Cookie": cookie, "Origin": self.base},
            auth={"sessionId": self.session_id, "clientType": "webapp", "threadId": thread_id},
            transports=["websocket"],
        )
        await self.sio.emit("connection_successful")
        if thread_id:  # as the UI does, wait for the old messages before typing
            await self.wait_for("resume_thread")

    async def wait_for(self, name: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events_named(name)
            if found:
                return found[-1]
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no {name!r} event; got {[e for e, _ in self.events]}")

    async def ask(self, text: str, timeout: float = 60) -> dict[str, Any]:
        """Send a message; return the assistant's final message (after streaming ends)."""
        start = len(self.events)
        await self.sio.emit("client_message", self.message_payload(text))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answered_since(start):
                return self.final_message(start)
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no answer to {text!r}; events: {[e for e, _ in self.events[start:]]}")

    @staticmethod
    def message_payload(text: str, client_id: str | None = None) -> dict[str, Any]:
        """What the chat UI emits when the customer sends `text` (its id is made client-side)."""
        return {
            "message": {
                "id": client_id or str(uuid.uuid4()),
                "threadId": "",
                "name": "customer",
                "type": "user_message",
                "output": text,
                "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            },
            "fileReferences": None,
        }

    def answered_since(self, start: int) -> bool:
        """The assistant's message was streamed and then updated with its final text."""
        events = self.events[start:]
        streamed = {
            data["id"]
            for event, data in events
            if event == "stream_start"
            or (event == "new_message" and data.get("type") == "assistant_message")
        }
        return any(
            event == "update_message" and data.get("id") in streamed for event, data in events
        ) and any(event == "task_end" for event, _ in events)

    def final_message(self, start: int = 0) -> dict[str, Any]:
        """The last assistant message as it stands after its updates."""
        latest: dict[str, dict[str, Any]] = {}
        for event, data in self.events[start:]:
            if event in ("new_message", "update_message") and data.get("type") == (
                "assistant_message"
            ):
                latest[data["id"]] = data
        if not latest:
            raise AssertionError(f"no assistant message among {self.events[start:]}")
        return list(latest.values())[-1]

    async def wait_for_message(self, containing: str, timeout: float = 30) -> dict[str, Any]:
        """The first message pushed to this customer whose text contains `containing`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for data in self.events_named("new_message"):
                if containing in (data.get("output") or ""):
                    return dict(data)
            await asyncio.sleep(0.05)
        outputs = [d.get("output") for d in self.events_named("new_message")]
        raise TimeoutError(f"no message containing {containing!r}; got {outputs}")

    def events_named(self, name: str, start: int = 0) -> list[Any]:
        return [data for event, data in self.events[start:] if event == name]

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
        await self.http.aclose()
