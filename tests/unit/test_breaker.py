"""The model server's circuit breaker: open after repeated failures, then exactly one trial."""

from __future__ import annotations

from app.pipeline.generators.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_the_configured_failures_in_a_row() -> None:
    breaker = CircuitBreaker(3, 30.0, clock=Clock())
    breaker.failure()
    breaker.failure()
    assert breaker.allow()
    breaker.success()  # a success in between resets the count
    breaker.failure()
    breaker.failure()
    assert breaker.allow()
    breaker.failure()
    assert breaker.is_open
    assert not breaker.allow()


def test_after_the_reset_one_trial_goes_through_and_every_other_call_waits() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 30.0, clock=clock)
    breaker.failure()
    clock.now += 29.0
    assert not breaker.allow()
    clock.now += 2.0
    assert breaker.allow()  # the trial
    assert breaker.trial_running
    assert not breaker.allow()  # a second caller while the trial runs
    assert not breaker.allow()
    breaker.success()
    assert not breaker.is_open
    assert breaker.allow() and breaker.allow()


def test_a_failed_trial_opens_the_breaker_for_another_reset_period() -> None:
    clock = Clock()
    breaker = CircuitBreaker(3, 30.0, clock=clock)
    for _ in range(3):
        breaker.failure()
    clock.now += 31.0
    assert breaker.allow()
    breaker.failure()  # one failed trial is enough, whatever the threshold
    assert not breaker.allow()
    clock.now += 29.0
    assert not breaker.allow()
    clock.now += 2.0
    assert breaker.allow()


def test_a_trial_without_a_verdict_lets_the_next_call_try() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 30.0, clock=clock)
    breaker.failure()
    clock.now += 31.0
    assert breaker.allow()
    breaker.end_trial()  # the customer left before the first token
    assert breaker.allow()
    assert not breaker.allow()
