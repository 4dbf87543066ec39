"""The model server's circuit breaker: stop calling a server that keeps failing, then test it.

States: closed (calls go through) -> after `failures` failures in a row, open (calls fail at
once, so customers get the extractive answer without waiting for a timeout) -> after
`reset_s`, half-open: exactly one trial call goes through while every other call is still
refused. The trial's success closes the breaker; its failure opens it for another `reset_s`.
A trial that ends with no verdict (the caller stopped reading the stream) lets the next call
be the trial. Letting every waiting call through at the reset would send a burst of requests
at a server that may still be down, each one waiting for its own timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    """Counts consecutive failures and admits one trial call after the reset time."""

    def __init__(
        self, failures: int, reset_s: float, *, clock: Callable[[], float] = time.monotonic
    ):
        self._threshold = failures
        self._reset_s = reset_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def is_open(self) -> bool:
        """True while a call would be refused without trying the server."""
        if self._opened_at is None:
            return False
        return self._trial_running or self._clock() - self._opened_at < self._reset_s

    @property
    def trial_running(self) -> bool:
        """True while the one half-open trial call is in flight."""
        return self._trial_running

    def allow(self) -> bool:
        """Closed: yes. Open: no. Open long enough and no trial in flight: yes, as the trial."""
        if self._opened_at is None:
            return True
        if self.is_open:
            return False
        self._trial_running = True
        return True

    def success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def failure(self) -> None:
        self._failures += 1
        if self._trial_running or self._failures >= self._threshold:
            self._opened_at = self._clock()
        self._trial_running = False

    def end_trial(self) -> None:
        """The trial ended with no verdict: the breaker stays open and the next call tries."""
        self._trial_running = False
