"""The fine-tuning loop's rules: scoring answers, refusing worse adapters, de-duplicating and
splitting examples, and keeping personal data out of the training set."""

from __future__ import annotations

from app.finetune.dataset import Example, remove_near_duplicates, split
from app.finetune.evaluate import abstained, score_answers
from app.finetune.pairs import SourceBlock, SourceDocument, UnreadableSource, source_pairs
from app.finetune.promote import reasons_to_refuse
from app.ground.redaction import scrub
from app.index.models import Passage
from app.pipeline.generators.base import GenerationRequest
from app.pipeline.generators.vllm import build_messages
from app.pipeline.retrieval import RetrievedPassage

PASSAGES = (
    "Hold the reset button for ten seconds until the LED blinks.",
    "Update the firmware from the web page under System > Firmware.",
)


def _row(reference: str, *, abstain: bool = False) -> dict[str, object]:
    found = tuple(
        RetrievedPassage(
            passage=Passage(
                id=f"p{n}",
                text=text,
                source="guide.md",
                root="/corpus",
                title="Guide",
                heading_path=(),
                section_paths=(),
                doc_type="manual",
                content_hash=f"p{n}",
                source_hash="guide",
                source_passages=len(PASSAGES),
                ordinal=n,
            ),
            score=1.0,
            dense_score=None,
            keyword_score=None,
        )
        for n, text in enumerate(PASSAGES)
    )
    request = GenerationRequest(question="q", history=(), passages=found, product=None)
    return {
        "abstain": abstain,
        "passages": len(PASSAGES),
        "messages": [*build_messages(request), {"role": "assistant", "content": reference}],
    }


def test_answers_are_scored_on_wording_valid_citations_and_abstaining_when_they_should() -> None:
    rows = [
        _row("Hold the reset button for ten seconds [1]."),
        _row("Update the firmware from the web page [2]."),
        _row("I don't know.", abstain=True),
    ]
    answers = [
        "Hold the reset button for ten seconds [1].",  # right, cited
        "Update the firmware [3].",  # cites a passage that does not exist
        "Sorry, I do not know; shall I bring in a person?",  # abstains, as it should
    ]
    scores = score_answers("m", rows, answers)
    assert scores.citation_validity == 0.5
    # A marker in range on a claim its passage does not make is not a valid citation.
    unsupported = ["Hold the reset button for 30 seconds [1].", answers[1], answers[2]]
    assert score_answers("m", rows, unsupported).citation_validity == 0.0
    wrong_passage = ["Hold the reset button for ten seconds [2].", answers[1], answers[2]]
    assert score_answers("m", rows, wrong_passage).citation_validity == 0.0
    assert scores.abstention_accuracy == 1.0
    assert 0.5 < scores.rouge_l < 1.0
    assert abstained("no citation at all") and not abstained("Do this [1].")


def _report(candidate: dict[str, float], current: dict[str, float]) -> dict[str, object]:
    def scored(values: dict[str, float]) -> dict[str, float]:
        return {**values, "score": sum(values.values()) / 3}

    return {"models": {"candidate": scored(candidate), "current": scored(current)}}


def test_an_adapter_is_refused_when_it_scores_lower_or_loses_much_on_one_measure() -> None:
    good = {"rouge_l": 0.4, "citation_validity": 0.9, "abstention_accuracy": 0.8}
    assert reasons_to_refuse(_report(good, good)) == []
    better_wording_worse_citations = {**good, "rouge_l": 0.7, "citation_validity": 0.8}
    reasons = reasons_to_refuse(_report(better_wording_worse_citations, good))
    assert len(reasons) == 1 and "citation_validity" in reasons[0]
    worse = {**good, "rouge_l": 0.38}
    assert any("score" in r for r in reasons_to_refuse(_report(worse, good)))


def _example(n: int, question: str, answer: str) -> Example:
    messages = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer},
    ]
    return Example(f"ticket:t.csv:{n}", "ticket", messages, abstain=False, passages=1)


def test_near_duplicates_are_kept_once_and_the_split_is_stable() -> None:
    examples = [
        _example(1, "The LA-6 keeps dropping Wi-Fi every half hour", "Turn off fast roaming [1]."),
        _example(2, "the LA-6 keeps dropping Wi-Fi every half hour!", "Turn off fast roaming [1]."),
        *(
            _example(n, f"Question number {n} about ports", f"Answer {n} [1].")
            for n in range(3, 23)
        ),
    ]
    kept, removed = remove_near_duplicates(examples)
    assert removed == 1 and len(kept) == 21
    train, validation = split(kept, 0.15)
    assert len(validation) == 3 and len(train) == 18
    again_train, again_validation = split(list(reversed(kept)), 0.15)
    assert {e.id for e in again_validation} == {e.id for e in validation}


def test_personal_data_becomes_placeholders() -> None:
    text = (
        "Hi, this is Maria Lopez (maria.lopez@example.com, +44 20 7946 0958), "
        "serial LS24P-6B2R-00431, order 4711-2231."
    )
    scrubbed = scrub(text)
    for secret in ("Maria", "Lopez", "maria.lopez@example.com", "7946", "LS24P-6B2R-00431"):
        assert secret not in scrubbed
    assert "[name]" in scrubbed and "[email]" in scrubbed and "[serial]" in scrubbed


def test_product_names_units_and_model_numbers_are_not_taken_for_names() -> None:
    text = (
        "Thanks, Tom Becker. Speed tests during the next all-hands averaged 45 Mbps. "
        "The LA-6 reached 940 Mbps over WPA3 after the LR-400 update."
    )
    scrubbed = scrub(text)
    assert "Tom Becker" not in scrubbed and "[name]" in scrubbed
    for kept in ("45 Mbps", "LA-6", "940 Mbps", "WPA3", "LR-400"):
        assert kept in scrubbed


def test_pairs_come_from_tickets_and_articles_and_say_why_a_source_gave_none() -> None:
    ticket = SourceDocument(
        source="tickets/t.jsonl",
        title="Router reboots",
        doc_type="ticket",
        record_id="T-1",
        product="r1",
        blocks=(
            SourceBlock("My router reboots every hour.", ("Router reboots",)),
            SourceBlock("Customer: it reboots", ("Router reboots", "Conversation")),
            SourceBlock("Update the firmware to 2.1.", ("Router reboots", "Resolution")),
        ),
    )
    article = SourceDocument(
        source="kb/wifi.md",
        title="Reset the Wi-Fi password",
        doc_type="kb",
        blocks=(SourceBlock("Open Settings. Choose Wi-Fi. Set a new password. Save it."),),
    )
    manual = SourceDocument(
        source="manuals/r1.md", title="R1", doc_type="manual", blocks=(SourceBlock("x"),)
    )
    empty = SourceDocument(source="kb/empty.md", title="Empty", doc_type="kb", blocks=())
    skipped: list[str] = []
    pairs = source_pairs(
        [UnreadableSource("kb/broken.md", "empty file"), ticket, manual, article, empty],
        skipped,
    )
    assert [(p.kind, p.question, p.answer) for p in pairs] == [
        ("ticket", "My router reboots every hour.", "Update the firmware to 2.1."),
        ("kb", "Reset the Wi-Fi password", "Open Settings. Choose Wi-Fi. Set a new password."),
    ]
    assert pairs[0].id == "ticket:tickets/t.jsonl:T-1" and pairs[0].product == "r1"
    assert skipped == ["kb/broken.md: empty file", "kb/empty.md: Empty: no question or no answer"]
