"""The chat's message budgets per customer and per client address (app/chat/limits.py), on a
clock the test moves by hand."""

from __future__ import annotations

from app.chat.limits import Budget, MessageRates


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_customer_over_their_budget_waits_for_the_window_to_pass() -> None:
    clock = Clock()
    rates = MessageRates(Budget(3, 60), Budget(100, 60), clock)
    assert [rates.admit("ann", "10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert rates.admit("bob", "10.0.0.1") is True  # another customer has their own budget
    clock.now += 59.9
    assert rates.admit("ann", "10.0.0.1") is False
    clock.now += 0.2  # the first three messages are a minute old now
    assert rates.admit("ann", "10.0.0.1") is True


def test_an_address_that_sheds_identities_is_held_to_its_own_budget() -> None:
    clock = Clock()
    rates = MessageRates(Budget(3, 60), Budget(5, 60), clock)
    admitted = [rates.admit(f"customer-{n}", "10.0.0.9") for n in range(7)]
    assert admitted == [True] * 5 + [False] * 2
    assert rates.admit("customer-99", "10.0.0.10") is True  # another address


def test_a_refused_message_uses_up_no_budget() -> None:
    clock = Clock()
    rates = MessageRates(Budget(1, 60), Budget(2, 60), clock)
    assert rates.admit("ann", "a") is True
    for _ in range(10):
        assert rates.admit("ann", "a") is False  # refused: the address's budget is untouched
    assert rates.admit("bob", "a") is True
