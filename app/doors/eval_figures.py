"""The figures of `supportbot eval`, from what happened to each question.

Pure functions over the suite's questions and, aligned with them, each question's first hit
rank and the kind of answer the bot gave; app/doors/evaluation.py gathers those and defines
every figure in its docstring. Kept apart so that the definitions can be checked on
constructed cases without an index or a model.

Rates over an empty set of questions are null: "0.0 of no underspecified questions were
met with a question" would read as a failure. The figures the eval reported before
multi-turn suites existed keep their old convention (0.0) so old reports still compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.doors.eval_suite import EXPECTS, Question
from app.pipeline.types import AnswerKind

Rank = int | None  # 1-based rank of the first hit within the first 10 entries; None: no hit
_ANSWERABLE = ("answer", "partial")
_REFUSALS = ("abstain", "clarify")  # the bot gave no answer: it declined, or asked back
NO_KIND = "(none)"  # the group of questions without a kind, in a suite where others have one


def retrieval_figures(questions: Sequence[Question], ranks: Sequence[Rank]) -> dict[str, Any]:
    """hit@k and MRR over questions with gold, and hit@5 over the follow-ups among them."""
    scored = [rank for question, rank in zip(questions, ranks, strict=True) if question.gold]
    followups = [
        rank
        for question, rank in zip(questions, ranks, strict=True)
        if question.gold and question.history
    ]
    return {
        "questions": len(questions),
        "answerable": len(scored),
        "hit@1": _hit_share(scored, 1) or 0.0,
        "hit@5": _hit_share(scored, 5) or 0.0,
        "hit@10": _hit_share(scored, 10) or 0.0,
        "mrr@10": round(sum(1 / r for r in scored if r is not None) / (len(scored) or 1), 4),
        "followups": len(followups),
        "followup_hit@5": _hit_share(followups, 5),
    }


def behaviour_figures(questions: Sequence[Question], kinds: Sequence[AnswerKind]) -> dict[str, Any]:
    """How the bot treated each expected behaviour: abstained, asked back or answered."""
    pairs = list(zip(questions, kinds, strict=True))
    total = len(pairs)
    return {
        "abstain_rate": _share(_count(kinds, "abstain"), total) or 0.0,
        "abstain_rate_answerable": _expected_rate(pairs, _ANSWERABLE, ("abstain",)) or 0.0,
        "abstain_rate_unanswerable": _expected_rate(pairs, ("abstain",), ("abstain",)) or 0.0,
        "clarify_rate": _share(_count(kinds, "clarify"), total) or 0.0,
        "clarify_rate_underspecified": _expected_rate(pairs, ("clarify",), ("clarify",)),
        "refusal_rate_answerable": _expected_rate(pairs, _ANSWERABLE, _REFUSALS),
        "expected": {e: sum(1 for q in questions if q.expect == e) for e in EXPECTS},
    }


def figures_by_kind(
    questions: Sequence[Question],
    ranks: Sequence[Rank],
    kinds: Sequence[AnswerKind] | None,
) -> dict[str, dict[str, Any]]:
    """The main figures per question `kind` (every rate null where its group is empty)."""
    groups: dict[str, list[int]] = {}
    for index, question in enumerate(questions):
        groups.setdefault(question.kind or NO_KIND, []).append(index)
    return {
        kind: _kind_figures(
            [questions[i] for i in indexes],
            [ranks[i] for i in indexes],
            None if kinds is None else [kinds[i] for i in indexes],
        )
        for kind, indexes in groups.items()
    }


def _kind_figures(
    questions: list[Question], ranks: list[Rank], kinds: list[AnswerKind] | None
) -> dict[str, Any]:
    scored = [rank for question, rank in zip(questions, ranks, strict=True) if question.gold]
    figures: dict[str, Any] = {
        "n": len(questions),
        "answerable": len(scored),
        "hit@5": _hit_share(scored, 5),
    }
    if kinds is not None:
        pairs = list(zip(questions, kinds, strict=True))
        figures |= {
            "abstain_rate": _share(_count(kinds, "abstain"), len(kinds)),
            "clarify_rate": _share(_count(kinds, "clarify"), len(kinds)),
            "abstain_rate_unanswerable": _expected_rate(pairs, ("abstain",), ("abstain",)),
            "clarify_rate_underspecified": _expected_rate(pairs, ("clarify",), ("clarify",)),
            "refusal_rate_answerable": _expected_rate(pairs, _ANSWERABLE, _REFUSALS),
        }
    return figures


def _expected_rate(
    pairs: Sequence[tuple[Question, AnswerKind]],
    expected: Sequence[str],
    given: Sequence[str],
) -> float | None:
    """Share of the questions expecting one of `expected` that got an answer of `given` kind."""
    kinds = [kind for question, kind in pairs if question.expect in expected]
    return _share(sum(1 for kind in kinds if kind in given), len(kinds))


def _hit_share(ranks: Sequence[Rank], k: int) -> float | None:
    return _share(sum(1 for r in ranks if r is not None and r <= k), len(ranks))


def _count(kinds: Sequence[AnswerKind], kind: AnswerKind) -> int:
    return sum(1 for k in kinds if k == kind)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
