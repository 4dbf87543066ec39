"""The thread that runs triage for async callers, so that it never runs on an event loop.

Triage (spaCy, VADER, MiniLM prototypes) is CPU work of tens of milliseconds a message. On the
event loop it stalls every other chat of the process (under 50 customers the loop, not the
database, was the queue); on asyncio's default pool it competed with everything else sent
there. It gets a pool of its own, of one thread: on two cores more threads only take turns
holding the GIL and thrash the caches (the embedding model already uses the cores itself),
while one thread keeps the messages first come, first served. That thread also runs the
embedding model on one core (`one_inference_core`): torch's default of a thread per core made
each message's embedding five to ten times slower on a busy two-core machine.
`AnswerPipeline.stream` and the conversation service's handed-off path both triage through
`in_triage_thread`.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from app.ground.embedding import one_inference_core

P = ParamSpec("P")
T = TypeVar("T")

TRIAGE_THREADS = 1
THREAD_NAME_PREFIX = "supportbot-triage"

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def triage_executor() -> ThreadPoolExecutor:
    """The process's triage thread (made at first use)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(TRIAGE_THREADS, thread_name_prefix=THREAD_NAME_PREFIX)
        return _executor


def pending() -> int:
    """Triage jobs waiting for the thread (the benchmark's profile samples it)."""
    executor = _executor
    return 0 if executor is None else executor._work_queue.qsize()


async def in_triage_thread(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`work(*args, **kwargs)` on the triage thread, with the caller's context variables
    (as `asyncio.to_thread` passes them)."""

    def job() -> T:
        # Each time, not once per thread: the model (torch) may load after the thread started.
        one_inference_core()
        return work(*args, **kwargs)

    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(triage_executor(), context.run, job)
