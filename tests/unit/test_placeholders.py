"""Placeholders in saved replies (app.console.placeholders): filled when known, left as
written otherwise, and no macro text can make filling fail."""

from __future__ import annotations

from app.console.placeholders import fill, first_order

VALUES = {"customer_name": "Dana", "order_number": None, "agent_name": "Ana"}


def test_known_placeholders_are_filled_and_the_rest_left_visible() -> None:
    text = "Hi {customer_name}, order {order_number}; {agent_name} ({unknown}) {0} {} { {{x}}"
    assert fill(text, VALUES) == ("Hi Dana, order {order_number}; Ana ({unknown}) {0} {} { {{x}}")


def test_a_value_is_inserted_as_text_and_not_filled_again() -> None:
    values = {"customer_name": "{agent_name}", "agent_name": "Ana"}
    assert fill("{customer_name} / {agent_name}", values) == "{agent_name} / Ana"


def test_the_order_number_is_the_first_order_entity() -> None:
    entities = [
        {"kind": "product", "text": "AP-1", "value": "AP-1"},
        {"kind": "order", "text": "#55123", "value": "55123"},
        {"kind": "order", "text": "77", "value": "77"},
    ]
    assert first_order(entities) == "55123"
    assert first_order([{"kind": "product", "value": "AP-1"}]) is None
