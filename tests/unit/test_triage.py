"""Per-turn triage: entities of every kind, sentiment labels, complaint or not (sarcasm and
polite complaints included), intents, and the history and prototype inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ground.products import ProductCatalog
from app.pipeline.triage import ComplaintPrototypes, Entity, extract_entities, triage
from app.pipeline.types import Turn


@pytest.fixture
def catalog(tmp_path: Path) -> ProductCatalog:
    (tmp_path / "products.toml").write_text(
        '[[product]]\nid = "LX-1200"\n\n[[product]]\nid = "LX-1200P"\naliases = ["LX-1200 Pro"]\n'
    )
    return ProductCatalog.load(tmp_path)


def values(text: str, kind: str, catalog: ProductCatalog | None = None) -> list[str]:
    return [e.value for e in extract_entities(text, catalog) if e.kind == kind]


# --- entities --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The sticker says SN: X7K9P2M4Q1, is it still under warranty?", ["X7K9P2M4Q1"]),
        ("S/N 4c8d2e9f01 on the box", ["4C8D2E9F01"]),
        ("my serial number is AB12CD34EF", ["AB12CD34EF"]),
        ("On the back it reads R2D2X9Y8Z7 under the barcode", ["R2D2X9Y8Z7"]),
        ("ROUTER stops WORKING at night", []),  # capitals without digits are shouting
    ],
)
def test_serials(text: str, expected: list[str]) -> None:
    assert values(text, "serial") == expected


def test_order_numbers() -> None:
    assert values("My order #123456 still hasn't shipped", "order") == ["123456"]
    assert values("It's about ORD-2024-11873, placed on Monday", "order") == ["ORD-2024-11873"]
    assert values("order number is 88412 from last week", "order") == ["88412"]
    assert values("I'd like to order 2 more cables", "order") == []


def test_tickets_and_rmas() -> None:
    assert values("Any news on T-25-0012?", "ticket") == ["T-25-0012"]
    assert values("I already opened ticket 4411 about this", "ticket") == ["4411"]
    assert values("Case #A-77120 was closed without a fix", "ticket") == ["A-77120"]
    assert values("Shipped it back under RMA-2024-0042 yesterday", "rma") == ["RMA-2024-0042"]
    assert values("my RMA number is 55123", "rma") == ["RMA-55123"]
    entities = extract_entities("Ticket T-25-0012 and RMA-2024-0042")
    assert [e.kind for e in entities] == ["ticket", "rma"]  # neither is also read as a model


def test_emails_and_phones() -> None:
    text = "Reach me at jane.doe+support@example.co.uk or on +44 20 7946 0958 after 6pm."
    assert values(text, "email") == ["jane.doe+support@example.co.uk"]
    assert values(text, "phone") == ["+442079460958"]
    assert values("call me back at (555) 123-4567 please", "phone") == ["5551234567"]
    assert values("my cell is 555-867-5309", "phone") == ["5558675309"]
    assert values("+1 415 555 0132 is my work line", "phone") == ["+14155550132"]
    assert values("order 123456 arrived", "phone") == []


def test_dates() -> None:
    assert values("It was delivered on 2024-03-15 to the wrong house", "date") == ["2024-03-15"]
    assert values("I bought it on March 3, 2025 at your store", "date") == ["2025-03-03"]
    assert values("charged on 25/12/2024 twice", "date") == ["2024-12-25"]
    assert "last Tuesday" in values("It stopped working last Tuesday", "date")


def test_amounts() -> None:
    assert values("You charged me $49.99 twice", "amount") == ["49.99 USD"]
    assert values("a refund of 49 EUR was promised", "amount") == ["49 EUR"]
    assert values("it cost €1,299.00 and broke in a week", "amount") == ["1299.00 EUR"]
    assert values("the fee was 12,50 EUR", "amount") == ["12.50 EUR"]
    assert values("I paid £15 for express shipping", "amount") == ["15 GBP"]


def test_products_from_the_catalog_and_model_codes(catalog: ProductCatalog) -> None:
    entities = extract_entities("My LX-1200 Pro reboots every hour", catalog)
    assert entities == (Entity("product", "LX-1200P", "LX-1200P"),)
    assert values("Does the LX-1200 fit a wall mount?", "product", catalog) == ["LX-1200"]
    # A code the catalog does not know is still a model number.
    assert values("Is the RT-AX88U compatible with your modem?", "model", catalog) == ["RT-AX88U"]
    assert values("it's model XR500 I think", "model") == ["XR500"]
    assert values("since COVID-19 deliveries are slow", "model") == []


def test_entities_come_with_the_text_as_written() -> None:
    (entity,) = extract_entities("ticket #4411")
    assert entity == Entity("ticket", "ticket #4411", "4411")


# --- sentiment -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thank you so much, the new router is fantastic!", "positive"),
        ("This is terrible, I am really angry about it.", "negative"),
        ("What are your opening hours on Saturday?", "neutral"),
        # Support vocabulary is not affect: VADER alone reads these as positive.
        ("Please help me set up the new router.", "neutral"),
        ("Customer care said my parcel is delayed again.", "negative"),
        # Sarcasm reads as negative.
        ("Thanks a lot for losing my suitcase, great work.", "negative"),
    ],
)
def test_sentiment_labels(text: str, label: str) -> None:
    result = triage(text)
    assert result.sentiment_label == label
    assert -1.0 <= result.sentiment_score <= 1.0


def test_addressees_carry_no_sentiment() -> None:
    assert triage("@united when does boarding start?").sentiment_label == "neutral"


# --- complaints ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "This is the third time my delivery has been late. Unacceptable.",
        "The blender arrived with a cracked jug and I want my money back.",
        "I've emailed support four times and nobody has replied.",
        "Your app logged me out again in the middle of a payment. Ridiculous!!",
        # sarcasm, with positive words only
        "Thanks for nothing, still no refund after a month.",
        "Great job losing my suitcase again \U0001f644",
        "Wow, only two hours on hold today. Must be a new record.",
        # polite, with no angry word
        "I'm sorry to say I'm rather disappointed that my repair has taken six weeks.",
        "I would like to raise a complaint about how my claim was handled.",
        # failure of the service, plainly reported
        "My parcel was marked delivered but it never arrived.",
    ],
)
def test_complaints(text: str) -> None:
    result = triage(text)
    assert result.complaint, (text, result.signals, result.complaint_score)
    assert result.complaint_score >= 0.5
    assert result.intent == "complaint"


@pytest.mark.parametrize(
    "text",
    [
        "How do I reset my password?",
        "Do you ship to Norway?",
        "Thanks, that fixed it!",
        "The technician was brilliant, thank you.",
        "I forgot my PIN, can you help me reset it?",
        "Oops, I entered the wrong address. Can you change it to 12 Elm Street?",
        "Could you send me last month's invoice please?",
        "Is the warehouse still open on Sundays?",
    ],
)
def test_not_complaints(text: str) -> None:
    result = triage(text)
    assert not result.complaint, (text, result.signals, result.complaint_score)
    assert result.complaint_score < 0.5


def test_a_problem_that_comes_back_counts_more() -> None:
    history = [
        Turn("customer", "My router is not working since the update."),
        Turn("assistant", "Try restarting it: hold the reset button for 10 seconds."),
    ]
    alone = triage("I did that, it didn't help.")
    again = triage("I did that, it didn't help.", history)
    assert "repeated_problem" in again.signals and "repeated_problem" not in alone.signals
    assert again.complaint_score > alone.complaint_score
    assert again.complaint


class _FixedMargin(ComplaintPrototypes):
    """Prototype similarity without a model: a fixed margin."""

    def __init__(self, margin: float) -> None:
        self._margin = margin

    def margin(self, _text: str) -> float:
        return self._margin


def test_prototype_similarity_moves_the_score() -> None:
    text = "The courier left my parcel at the wrong door."
    plain = triage(text).complaint_score
    assert triage(text, prototypes=_FixedMargin(0.2)).complaint_score > plain
    assert triage(text, prototypes=_FixedMargin(-0.2)).complaint_score < plain


def test_signals_explain_the_decision() -> None:
    result = triage("I want a refund, the heater is broken and nobody answers the phone!!")
    assert {"demand", "service_failure", "neglect", "frustrated_typing"} <= set(result.signals)
    assert result.to_json()["signals"] == list(result.signals)


# --- intent ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Can I speak to a real person please?", "human_request"),
        ("This is the worst service I have ever had, I want to talk to a human", "human_request"),
        ("Worst service ever. Absolutely useless.", "complaint"),
        ("How do I update the card on my subscription?", "account_billing"),
        ("How do I download last month's invoice?", "account_billing"),
        ("My router keeps rebooting every few minutes, how can I fix it?", "troubleshooting"),
        ("The light on the hub is blinking orange", "troubleshooting"),
        ("What are your opening hours?", "faq"),
        ("Do you ship to Norway?", "faq"),
        ("Hello there", "other"),
    ],
)
def test_intents(text: str, intent: str) -> None:
    assert triage(text).intent == intent


def test_complaint_and_human_request_are_both_kept() -> None:
    result = triage("This is a disgrace, put me through to someone in charge now!")
    assert result.intent == "human_request"
    assert result.complaint
