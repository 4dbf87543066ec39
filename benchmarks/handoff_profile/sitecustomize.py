"""`handoff_load.py --profile DIR`: a sampling profile of each app process, for benchmarks only.

Python imports `sitecustomize` at start-up when this folder is on PYTHONPATH (the benchmark
puts it there for the app processes it starts, and only then). With SUPPORTBOT_PROFILE_FILE
set, a daemon thread samples every 20 ms:

- the event loop's thread stack: the innermost frame of our own code (app/) and the innermost
  frame overall, counted, so that what holds the loop up shows by name;
- every 0.5 s: the loop's lag (a callback scheduled from this thread until it runs) and the
  queues of asyncio's default pool, the database pool (app.db.engine) and the triage thread
  (app.pipeline.triage_pool).

It rewrites SUPPORTBOT_PROFILE_FILE (JSON) every 2 s, so a killed process leaves its profile.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import sys
import threading
import time
from typing import Any

# "%p" becomes the process id: a restarted process does not overwrite the killed one's profile.
PROFILE_FILE = os.environ.get("SUPPORTBOT_PROFILE_FILE", "").replace("%p", str(os.getpid()))
_state: dict[str, Any] = {"loop": None, "thread": None}


def _queue(executor: Any) -> int:
    queue = getattr(executor, "_work_queue", None)
    return int(queue.qsize()) if queue is not None else 0


def _pools(loop: asyncio.AbstractEventLoop) -> dict[str, int]:
    engine = sys.modules.get("app.db.engine")
    triage = sys.modules.get("app.pipeline.triage_pool")
    return {
        "default": _queue(getattr(loop, "_default_executor", None)),
        "database": _queue(getattr(engine, "_executor", None)),
        "triage": _queue(getattr(triage, "_executor", None)),
    }


def _where(frame: Any) -> tuple[str, str]:
    innermost = f"{frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.f_code.co_name}"
    if innermost == "selectors.py:select":
        return "(idle: waiting for I/O)", innermost
    ours = ""
    while frame is not None:
        name = frame.f_code.co_filename
        if "/app/" in name and "site-packages" not in name:
            ours = f"{name.split('/app/', 1)[1]}:{frame.f_code.co_name}"
            break
        frame = frame.f_back
    return ours or "-", innermost


def _sampler() -> None:
    ours: collections.Counter[str] = collections.Counter()
    inner: collections.Counter[str] = collections.Counter()
    series: list[dict[str, Any]] = []
    samples = 0
    next_probe = next_dump = time.monotonic()
    while True:
        time.sleep(0.02)
        loop, thread = _state["loop"], _state["thread"]
        if loop is None or loop.is_closed():
            continue
        frame = sys._current_frames().get(thread)
        if frame is not None:
            samples += 1
            mine, innermost = _where(frame)
            ours[mine] += 1
            inner[innermost] += 1
        now = time.monotonic()
        if now >= next_probe:
            next_probe = now + 0.5
            asked = time.monotonic()
            ran = threading.Event()
            loop.call_soon_threadsafe(ran.set)
            lag = (time.monotonic() - asked) * 1000 if ran.wait(10) else 10_000.0
            series.append({"at": round(time.time(), 2), "lag_ms": round(lag, 1), **_pools(loop)})
        if now >= next_dump:
            next_dump = now + 2
            profile = {
                "pid": os.getpid(),
                "loop_samples": samples,
                "loop_ours": ours.most_common(25),
                "loop_innermost": inner.most_common(25),
                "series": series,
            }
            tmp = PROFILE_FILE + ".tmp"
            with open(tmp, "w") as out:
                json.dump(profile, out)
            os.replace(tmp, PROFILE_FILE)


def _install() -> None:
    original = asyncio.base_events.BaseEventLoop.run_forever

    def run_forever(self: asyncio.base_events.BaseEventLoop) -> None:
        if _state["loop"] is None:
            _state["loop"], _state["thread"] = self, threading.get_ident()
            threading.Thread(target=_sampler, name="benchmark-profile", daemon=True).start()
        original(self)

    asyncio.base_events.BaseEventLoop.run_forever = run_forever  # type: ignore[method-assign]


if PROFILE_FILE:
    _install()
