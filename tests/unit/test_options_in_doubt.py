"""When "which one do you mean?" is asked (app/pipeline/options.py), on passages made here."""

from __future__ import annotations

from app.index.models import Passage
from app.pipeline.options import options_in_doubt
from app.pipeline.retrieval import RetrievedPassage

_SPARE = "The spare unit ships within two days and must be registered on arrival."
_LOAN = "A loan unit is lent for thirty days while yours is repaired at the depot."


def _doc(
    title: str, text: str, score: float, *, products: tuple[str, ...] = (), doc_type: str = "kb"
) -> RetrievedPassage:
    passage = Passage(
        id=title,
        text=text,
        source=f"{title}.md",
        root="/corpus",
        title=title,
        heading_path=(title,),
        section_paths=((title,),),
        doc_type=doc_type,
        content_hash="h",
        source_hash="s",
        source_passages=1,
        ordinal=0,
        products=products,
    )
    return RetrievedPassage(passage, score, dense_score=0.6, keyword_score=None)


def test_two_close_documents_the_question_does_not_choose_between_are_offered() -> None:
    found = [_doc("Spare units", _SPARE, 1.0), _doc("Loan units", _LOAN, 0.95)]
    assert options_in_doubt(found, ["How long do I keep the unit?"], 0.9) == [
        "Spare units",
        "Loan units",
    ]


def test_no_question_back_when_the_conversation_names_one() -> None:
    found = [_doc("Spare units", _SPARE, 1.0), _doc("Loan units", _LOAN, 0.95)]
    assert options_in_doubt(found, ["How long do I keep the loan unit?"], 0.9) == []
    assert options_in_doubt(found, ["How long?", "I got a spare from you"], 0.9) == []


def test_no_question_back_when_one_passage_leads_or_they_are_about_one_thing() -> None:
    question = ["How long do I keep the unit?"]
    leader = [_doc("Spare units", _SPARE, 1.0), _doc("Loan units", _LOAN, 0.7)]
    assert options_in_doubt(leader, question, 0.9) == []
    same_product = [
        _doc("Spare units", _SPARE, 1.0, products=("LR-200",)),
        _doc("Loan units", _LOAN, 0.95, products=("LR-200",)),
    ]
    assert options_in_doubt(same_product, question, 0.9) == []
    copies = [_doc("Spare units", _SPARE, 1.0), _doc("Spare units (old)", _SPARE, 0.95)]
    assert options_in_doubt(copies, question, 0.9) == []
    ticket_first = [
        _doc("Unit stuck", _SPARE, 1.0, doc_type="ticket"),
        _doc("Loan units", _LOAN, 0.95),
    ]
    assert options_in_doubt(ticket_first, question, 0.9) == []


def test_at_most_three_options() -> None:
    found = [
        _doc(f"Plan {name}", f"{name} plan text about {name} things number {i}", 1.0 - i / 100)
        for i, name in enumerate(["alpha", "beta", "gamma", "delta"])
    ]
    assert options_in_doubt(found, ["Which plan?"], 0.9) == [
        "Plan alpha",
        "Plan beta",
        "Plan gamma",
    ]
