"""How many messages a customer, and a client address, may send in a window of time.

The chat's socket gate (app/chat/gate.py) asks `MessageRates.admit` before a customer's
message reaches Chainlit: a script that floods the chat would otherwise have every message
stored, triaged and answered. Two budgets apply, per customer identity and per client IP
address (a new cookie is a new customer, so the address catches a client that sheds them).
Counts live in this process: with several app processes each keeps its own, which bounds a
flood per process rather than exactly. The clock is injected so tests need no waiting.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """At most `count` messages in any `window_s` seconds."""

    count: int
    window_s: float


class SlidingWindow:
    """The moments of the messages admitted per key within the last window."""

    def __init__(self, budget: Budget, clock: Callable[[], float]) -> None:
        self._budget = budget
        self._clock = clock
        self._sent: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        sent = self._sent.setdefault(key, deque())
        horizon = self._clock() - self._budget.window_s
        while sent and sent[0] <= horizon:
            sent.popleft()
        if not sent:
            del self._sent[key]  # keys of quiet clients do not pile up
            return deque()
        return sent

    def has_room(self, key: str) -> bool:
        return len(self._recent(key)) < self._budget.count

    def record(self, key: str) -> None:
        self._sent.setdefault(key, deque()).append(self._clock())


class MessageRates:
    """`MessageRates(per_customer, per_ip)`: both budgets must have room for a message."""

    def __init__(
        self, per_customer: Budget, per_ip: Budget, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._customers = SlidingWindow(per_customer, clock)
        self._addresses = SlidingWindow(per_ip, clock)

    def admit(self, customer: str, address: str) -> bool:
        """Count the message and say True, or say False and count nothing (a refused message
        does not use up the budget, so a customer who waits can write again)."""
        if not (self._customers.has_room(customer) and self._addresses.has_room(address)):
            return False
        self._customers.record(customer)
        self._addresses.record(address)
        return True
