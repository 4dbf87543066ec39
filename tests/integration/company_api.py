"""A stand-in for a company's own order API (a fake, named as such: the real systems are the
company's), served by the standard library's HTTP server in a thread on 127.0.0.1.

It records every request it gets (method, raw path, headers), so a test can tell what left
the app and where it went; a second instance plays a host outside the allowlist ("evil"),
which must never be called. Orders it knows answer JSON; some order numbers stand for the
ways a real system fails: slow (past the action's timeout), 503, a redirect to another host,
an answer too large, and an answer that is not JSON.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ORDERS: dict[str, dict[str, Any]] = {
    "12345-678": {
        "status": "shipped",
        "carrier": "ParcelPost",
        "eta": "2026-12-11",
        "internal_note": "customer called twice, VIP",  # never shown: not in `show`
        "shipment": {"tracking": "PP-99812"},
    },
    "55555-001": {"status": "being packed", "carrier": "ParcelPost", "eta": "2026-12-14"},
}
SLOW = "99999-999"  # answers after SLOW_SECONDS
SLOW_SECONDS = 4.0
UNAVAILABLE = "50300-000"  # 503
REDIRECTED = "30200-000"  # 302 to the address in `redirect_to`
HUGE = "41300-000"  # a JSON answer of about 1 MB
NOT_JSON = "20000-000"  # 200 with an HTML page


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class StandInAPI:
    """A running stand-in: its base URL, its "host:port", and the requests it got."""

    base: str
    host: str
    requests: list[Request] = field(default_factory=list)
    redirect_to: str = ""


@contextmanager
def stand_in_api() -> Iterator[StandInAPI]:
    """Serve the stand-in on a free port for the duration of the block."""
    api = StandInAPI(base="", host="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (the standard library's name)
            self._answer()

        def do_POST(self) -> None:  # noqa: N802
            self._answer()

        def _answer(self) -> None:
            api.requests.append(Request(self.command, self.path, dict(self.headers.items())))
            number = self.path.rsplit("/", 1)[-1]
            if number == SLOW:
                time.sleep(SLOW_SECONDS)
            if number == UNAVAILABLE:
                self._send(503, b'{"error": "maintenance"}')
            elif number == REDIRECTED:
                self.send_response(302)
                self.send_header("Location", api.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif number == HUGE:
                self._send(200, json.dumps({"status": "x" * 1_000_000}).encode())
            elif number == NOT_JSON:
                self._send(200, b"<html>login</html>", "text/html")
            elif number in ORDERS or number == SLOW:
                self._send(200, json.dumps(ORDERS.get(number, ORDERS["12345-678"])).encode())
            else:
                self._send(404, b'{"error": "no such order"}')

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the app gave up on it (a timeout): what the test is about

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ARG002
            return None  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    api.base, api.host = f"http://127.0.0.1:{port}", f"127.0.0.1:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def actions_toml(company: StandInAPI, *, down_port: int) -> str:
    """actions.toml for the stand-in: order status by intent or order number, a customer
    look-up by e-mail address (whose values carry `@`), and an RMA look-up whose service is
    down (nothing listens on `down_port`)."""
    return f"""
[[action]]
name = "order_status"
source = "our order system"
intents = ["order_status"]
entity = "order"
url = "{company.base}/orders/{{order}}"
auth = "orders"
timeout_s = 1.5
show = ["status", "carrier", "eta", "shipment.tracking"]
answer = "order {{order}} is {{status}}, with {{carrier}}, expected on {{eta}}."

[[action]]
name = "customer_lookup"
source = "our customer records"
on_entity = true
entity = "email"
url = "{company.base}/customers/{{email}}"
show = ["status"]
answer = "the account of {{email}} is {{status}}."

[[action]]
name = "rma_status"
source = "our returns system"
entity = "rma"
url = "http://127.0.0.1:{down_port}/rma/{{rma}}"
timeout_s = 1
show = ["state"]
answer = "return {{rma}} is {{state}}."
"""
