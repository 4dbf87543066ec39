"""`handoff_load.py --kill-midway`: the customers' app process killed and restarted mid-run.

- `RestartableApp`: an app process on a fixed port that can be killed (SIGKILL, as a crash or
  an OOM kill would end it: no shutdown, nothing flushed) and started again on the same port
  and home, so customers come back to the address they know.
- `stay_connected(client, ...)`: what the chat page does after its socket drops: sign in
  again and reconnect to the same conversation (Chainlit's resume), then send again, with the
  same client id, any message of the customer's that the resumed transcript lacks (one in
  flight when the process died; the server takes a message once, so this never duplicates).
- `customer_screen(client)`: what the customer's chat shows at the end: the last resumed
  transcript, then every message pushed since, one per id (the UI replaces a message it
  already shows rather than adding it again).
- `screen_checks(...)`: every agent reply on its customer's screen exactly once, and no reply
  on another customer's: the loss check that holds across a restart (a reply stored while the
  process was down never reaches a socket; the customer sees it when the chat resumes).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import socketio

from benchmarks.handoff_common import REPO, app_env
from tests.integration.chat_server import ChatClient, _wait_healthy, free_port


class RestartableApp:
    """`supportbot serve` on `home`, killed and restarted on demand (see the module doc)."""

    def __init__(self, home: Path, data: Path, env: dict[str, str]) -> None:
        self.environment = app_env(home, data, **env)
        self.log_path = home / "serve.log"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def ingest(self) -> None:
        cli = [sys.executable, "-m", "app.doors.cli", "ingest"]
        subprocess.run(cli, env=self.environment, cwd=REPO, check=True, capture_output=True)

    def start(self) -> None:
        cli = [sys.executable, "-m", "app.doors.cli"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*cli, "serve", "--port", str(self.port)],
                env=self.environment,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_healthy(self.base, self.process, self.log_path)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


async def reconnect(client: ChatClient, thread_id: str, give_up_at: float) -> bool:
    """Sign in again and resume `thread_id` on a fresh socket, retrying while the process
    restarts; True once the resumed transcript has arrived."""
    while time.perf_counter() < give_up_at:
        if client.sio.connected:
            with contextlib.suppress(Exception):
                await client.sio.disconnect()
        client.sio = socketio.AsyncClient(reconnection=False)
        client.sio.on("*", client._record)
        start = len(client.events)
        try:
            (await client.http.post("/chat/auth/header")).raise_for_status()
            cookie = "; ".join(f"{k}={v}" for k, v in client.http.cookies.items())
            await client.sio.connect(
                client.base,
                socketio_path="/chat/ws/socket.io",
                headers={"Cookie": cookie, "Origin": client.base},
                auth={
                    "sessionId": client.session_id,
                    "clientType": "webapp",
                    "threadId": thread_id,
                },
                transports=["websocket"],
            )
            await client.sio.emit("connection_successful")
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline and client.sio.connected:
                if client.events_named("resume_thread", start):
                    return True
                await asyncio.sleep(0.05)
        except Exception:  # noqa: BLE001 (the process is still restarting: try again)
            pass
        await asyncio.sleep(0.2)
    return False


async def stay_connected(
    client: ChatClient, thread_id: str, sent: list[tuple[str, str, float]], give_up_at: float
) -> int:
    """Reconnect if the socket dropped, and send again what the resumed transcript lacks;
    returns how many messages were sent again (0 when the socket never dropped)."""
    if client.sio.connected:
        return 0
    if not await reconnect(client, thread_id, give_up_at):
        raise TimeoutError(f"could not resume {thread_id}")
    resumed = client.events_named("resume_thread")[-1]
    stored = {step.get("id") for step in resumed.get("steps", [])}
    again = 0
    for client_id, text, _ in sent[1:]:  # the first one was answered before any kill
        if client_id not in stored:
            await client.sio.emit("client_message", client.message_payload(text, client_id))
            again += 1
    return again


def customer_screen(client: ChatClient) -> dict[str, dict[str, Any]]:
    """Id -> message, as the customer's chat shows it at the end (see the module doc)."""
    screen: dict[str, dict[str, Any]] = {}
    for event, data in client.events:
        if event == "resume_thread":
            screen = {str(step.get("id")): step for step in data.get("steps", [])}
        elif event == "new_message":
            screen[str(data.get("id"))] = data
    return screen


def on_screen(client: ChatClient | None, containing: str) -> int:
    """How many messages on the customer's screen contain `containing`."""
    if client is None:
        return 0
    return sum(
        1 for data in customer_screen(client).values() if containing in (data.get("output") or "")
    )
