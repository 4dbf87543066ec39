"""The login rate limit: failed sign-ins per (username, address), kept in memory.

In memory is enough for its job (slowing down password guessing against one account); each
app process counts on its own, so N processes allow N times the attempts. One limiter lives
on each app (app.console.state), so two apps in one process (tests) do not share counts.
"""

from __future__ import annotations

import time
from collections import deque


class LoginLimiter:
    """Failed logins per (username, address): `max_failures` in `window_s` seconds."""

    def __init__(self, *, max_failures: int = 5, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def retry_after(self, key: tuple[str, str]) -> float:
        """Seconds until `key` may try again; 0 when it may now."""
        now = time.monotonic()
        failures = self._recent(key, now)
        if len(failures) < self.max_failures:
            return 0.0
        return failures[0] + self.window_s - now

    def failed(self, key: tuple[str, str]) -> None:
        now = time.monotonic()
        if len(self._failures) > 10_000:  # forget idle keys rather than grow without end
            for stale in [k for k, v in self._failures.items() if not self._recent(k, now)]:
                del self._failures[stale]
        failures = self._recent(key, now)
        failures.append(now)
        self._failures[key] = failures

    def succeeded(self, key: tuple[str, str]) -> None:
        self._failures.pop(key, None)
