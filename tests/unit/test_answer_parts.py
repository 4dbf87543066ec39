"""The answer pipeline's parts that need no index: markers, intents, follow-ups, wording."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.ground.products import ProductCatalog
from app.ground.text import rouge_l_f1
from app.index.models import Passage
from app.pipeline.conversation import resolve
from app.pipeline.generators.base import GenerationRequest
from app.pipeline.generators.extractive import ExtractiveGenerator, compose_answer
from app.pipeline.markers import MarkerFilter, strip_markers, tidy_spacing
from app.pipeline.retrieval import RetrievedPassage
from app.pipeline.routes import answer_route
from app.pipeline.support import unsupported_claims
from app.pipeline.triage import triage
from app.pipeline.types import Turn


def _passage(
    text: str, *, ordinal: int = 0, source: str = "kb.md", score: float = 1.0
) -> RetrievedPassage:
    passage = Passage(
        id=f"p{ordinal}-{source}",
        text=text,
        source=source,
        root="/corpus",
        title="Guide",
        heading_path=("Guide",),
        section_paths=(("Guide",),),
        doc_type="manual",
        content_hash="h",
        source_hash="s",
        source_passages=3,
        ordinal=ordinal,
    )
    return RetrievedPassage(passage, score, dense_score=0.7, keyword_score=None)


def _request(question: str, *passages: RetrievedPassage) -> GenerationRequest:
    return GenerationRequest(question=question, history=(), passages=passages, product=None)


def test_marker_filter_drops_markers_that_point_nowhere_even_split_across_chunks() -> None:
    markers = MarkerFilter(passages=2)
    shown = "".join(
        markers.feed(chunk)
        for chunk in ["Hold reset [", "1] for 10 s [7]. Then [2", ", 9] wait [x]."]
    )
    shown += markers.finish()
    assert shown == "Hold reset [1] for 10 s . Then [2] wait [x]."
    assert markers.cited == [1, 2]
    assert tidy_spacing(shown) == "Hold reset [1] for 10 s. Then [2] wait [x]."


def test_marker_filter_releases_a_held_back_bracket_when_the_stream_ends() -> None:
    markers = MarkerFilter(passages=1)
    assert markers.feed("see [1") == "see "
    assert markers.finish() == "see [1"[4:]  # an unfinished marker is not a citation
    assert markers.cited == []


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("Can I talk to a human please?", "human"),
        ("agent", "human"),
        ("I want to speak with a real person about my order", "human"),
        ("This is unacceptable, third router in a month!", "complaint"),
        ("I want a refund, your product is useless", "complaint"),
        ("hello there!", "greeting"),
        ("thanks, that fixed it", "thanks"),
        ("How do I reset my LA-6?", "question"),
        ("Hello, how do I open port 443 on the LR-200?", "question"),
    ],
)
def test_routes_read_off_the_triage(message: str, intent: str) -> None:
    assert answer_route(triage(message), message) == intent


def _catalog(tmp_path: Path) -> ProductCatalog:
    (tmp_path / "products.toml").write_text(
        '[[product]]\nid = "LR-200"\naliases = ["LR200"]\n\n'
        '[[product]]\nid = "LR-400"\n\n[[product]]\nid = "LR-400X"\n'
    )
    return ProductCatalog.load(tmp_path)


def test_a_short_follow_up_is_searched_with_the_previous_question(tmp_path: Path) -> None:
    history = (
        Turn("customer", "My LR200 Wi-Fi drops every few minutes"),
        Turn("assistant", "Try moving to channel 1 [1]"),
    )
    resolved = resolve("it still drops", history, _catalog(tmp_path))
    assert resolved.follow_up and resolved.still_stuck
    # The message's own words, then the topic's content words and the product.
    assert resolved.query.startswith("it still drops") and "wi-fi" in resolved.query
    assert resolved.product == "LR-200"  # carried over from the history
    assert resolved.focus == "it still drops"
    assert resolved.previous_answer == "Try moving to channel 1 [1]"


def test_naming_another_product_switches_product_but_keeps_the_topic(tmp_path: Path) -> None:
    history = (Turn("customer", "How do I set up WireGuard on the LR-200?"),)
    resolved = resolve("what about the LR-400X?", history, _catalog(tmp_path))
    assert resolved.product == "LR-400X"
    assert "wireguard" in resolved.query.lower()


def test_a_new_full_question_stands_on_its_own(tmp_path: Path) -> None:
    history = (Turn("customer", "How do I set up WireGuard on the LR-400?"),)
    resolved = resolve(
        "Which PoE budget does the switch have per port?", history, _catalog(tmp_path)
    )
    assert not resolved.follow_up
    assert resolved.query == "Which PoE budget does the switch have per port?"


def test_catalog_finds_every_product_a_title_names(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    assert catalog.detect_all("LR-400 / LR-400X Administrator Guide") == ["LR-400", "LR-400X"]
    assert catalog.detect_all("LR-400X quick start") == ["LR-400X"]
    assert catalog.detect("my lr200 drops") == "LR-200"


def test_extractive_answer_quotes_the_matching_sentences_with_citations() -> None:
    text = (
        "The LS-8P has eight PoE+ ports. Its total PoE budget is 120 W. "
        "The fan is silent below 40 degrees. Mount it in a rack with the supplied ears."
    )
    answer = compose_answer(_request("What is the PoE budget of the LS-8P?", _passage(text)))
    assert "Its total PoE budget is 120 W. [1]" in answer
    assert "rack" not in answer
    assert set(answer.split("[1]")[-1].strip()) <= set(".")  # every sentence is cited


def test_extractive_answer_gives_the_whole_procedure_from_neighbouring_passages() -> None:
    intro = _passage("Use a factory reset when the password is lost. It erases all settings.")
    steps = _passage(
        "1. Keep the unit powered on.\n2. Hold the reset pinhole for 15 seconds.\n"
        "3. Wait two minutes.",
        ordinal=1,
        score=0.95,
    )
    answer = compose_answer(_request("How do I factory reset it?", intro, steps))
    lines = answer.splitlines()
    assert lines[0].startswith("Use a factory reset") and lines[0].endswith("[1]")
    assert lines[1:] == [
        "1. Keep the unit powered on. [2]",
        "2. Hold the reset pinhole for 15 seconds. [2]",
        "3. Wait two minutes. [2]",
    ]


def test_extractive_stream_yields_the_same_text_in_pieces() -> None:
    request = _request(
        "power budget", _passage("The budget is 120 W. Per port it is 30 W. Fans are quiet.")
    )

    async def collect() -> list[str]:
        return [piece async for piece in ExtractiveGenerator().stream(request)]

    pieces = asyncio.run(collect())
    assert len(pieces) >= 2 and "".join(pieces) == compose_answer(request)


def test_rouge_l_rewards_the_reference_words_in_order() -> None:
    assert rouge_l_f1("Use tildes around the words", "Use ~~tildes around the words~~.") == 1.0
    assert rouge_l_f1("words the around tildes", "use tildes around the words") < 0.5
    assert rouge_l_f1("", "anything") == 0.0
    assert strip_markers("Hold it [1]. Then wait [2].") == "Hold it. Then wait."


def _ticket(number: str, title: str, *sections: tuple[str | None, str]) -> RetrievedPassage:
    """A ticket's passage from its sections in order (None: the customer's description;
    "Conversation" or "Resolution": the loader's sub-headings), each a line or more."""
    heading = f"Ticket {number}: {title}"
    paths: list[tuple[str, ...]] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for name, body in sections:
        path = (heading,) if name is None else (heading, name)
        if path not in paths:
            paths.append(path)
        spans.append((offset, paths.index(path)))
        offset += len(body) + 1
    passage = Passage(
        id=number,
        text="\n".join(body for _, body in sections),
        source="tickets.jsonl",
        root="/corpus",
        title=title,
        heading_path=paths[0],
        section_paths=tuple(paths),
        doc_type="ticket",
        content_hash="h",
        source_hash="s",
        source_passages=1,
        ordinal=0,
        section_spans=tuple(spans),
    )
    return RetrievedPassage(passage, 1.0, dense_score=0.8, keyword_score=None)


def test_a_ticket_is_answered_from_its_resolution_never_its_exchange() -> None:
    retrieved = _ticket(
        "T-1",
        "Satellite will not pair",
        (None, "The mesh satellite will not pair with my LR-200, the light stays amber."),
        (
            "Conversation",
            "Customer: My LR-200 mesh satellite will not pair, the light stays amber.\n"
            "Agent: Could you tell me the firmware version of both units?",
        ),
        (
            "Resolution",
            "A satellite pairs only after a factory reset: hold its reset pinhole for 6 s.",
        ),
    )
    answer = compose_answer(_request("My LR-200 mesh satellite will not pair", retrieved))
    assert "factory reset" in answer and "6 s" in answer
    assert "Customer:" not in answer and "Agent:" not in answer
    assert "light stays amber" not in answer  # the customer's own description is not quoted


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("Hold the reset button for 10 seconds [1].", []),
        ("Hold the reset button for 10 seconds. [1]", []),  # a marker after the stop
        ("Here is how:\n- Hold the reset button for 10 seconds [1]", []),
        ("Hold the reset button for 10 seconds.", ["no citation"]),
        ("Hold the reset button for 25 seconds [1].", ["not in [1]"]),
        ("The LR-900 reset button sits behind the cover [1].", ["not in [1]"]),
        ("Invoices are emailed every month [1].", ["not in [1]"]),
        ("Invoices are emailed every month [2]. Hold the button for 10 seconds [1].", []),
    ],
)
def test_each_claim_must_stand_on_what_it_cites(text: str, problems: list[str]) -> None:
    passages = [
        "Hold the reset button for 10 seconds until the LED blinks amber.",
        "Invoices are emailed on the first working day of each month.",
    ]
    assert [p.reason for p in unsupported_claims(text, passages)] == problems


def test_a_ticket_exchange_ranked_first_gives_way_to_the_next_passage() -> None:
    first = _ticket(
        "T-2",
        "VPN from hotels",
        (
            "Conversation",
            "Customer: WireGuard fails from hotel Wi-Fi.\nAgent: Which port do you use?",
        ),
    )
    manual = _passage(
        "Hotel networks often block UDP ports. Move WireGuard to UDP port 443.", source="vpn.md"
    )
    answer = compose_answer(_request("WireGuard fails from hotel Wi-Fi", first, manual))
    assert "UDP port 443" in answer and "[2]" in answer and "Customer:" not in answer
