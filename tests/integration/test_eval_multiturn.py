"""`supportbot eval` on multi-turn suites: history, expected behaviour, the figures on them.

The suite is written here (our own questions about the demo corpus in data/, a fictional
network-equipment maker). The figures are checked twice: on constructed outcomes, where the
answer is known by arithmetic, and end to end on the demo corpus, with questions whose
treatment by the pipeline is known (a named product is answered, an ambiguous one asked
back, an off-topic one declined).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from app.doors.assistant import build_pipeline, load_catalog
from app.doors.cli import main
from app.doors.eval_figures import behaviour_figures, figures_by_kind, retrieval_figures
from app.doors.eval_suite import Question, load_questions, parse_question
from app.doors.evaluation import evaluate_suite, resolved_question
from app.ground.config import IndexSettings, Settings
from app.ground.embedding import SentenceTransformerEmbedder
from app.ground.errors import AppError
from app.index.store import open_reader
from app.pipeline.types import AnswerKind, Turn
from tests.conftest import REPO

RESET_QUESTION = "How do I factory reset my LA-6?"
LIGHT_QUESTION = "Which colour is the light ring during a firmware update?"
LA6_RESET_GOLD = [
    {"source": "manuals/la-6-installation-guide.md", "section": "Reset > Factory reset"},
    {"source": "kb/articles.json", "section": "Factory reset on LA-6"},
]

# Seven turns, each with a treatment the pipeline is known to give on the demo corpus.
DEMO_QUESTIONS: list[dict[str, Any]] = [
    # Named product: answered.
    {"id": "reset", "question": RESET_QUESTION, "gold": LA6_RESET_GOLD, "kind": "opening"},
    # The follow-up means nothing alone; with its history it is the LA-6 reset again.
    {"id": "reset-hold", "question": "and how long do I hold it?", "gold": LA6_RESET_GOLD,
     "history": [{"role": "customer", "text": RESET_QUESTION},
                 {"role": "assistant", "text": "Keep it powered and press the pinhole."}],
     "expect": "answer", "kind": "follow-up"},
    # The same words without the conversation: nothing to go on, so the bot declines.
    {"id": "reset-hold-alone", "question": "and how long do I hold it?",
     "gold": LA6_RESET_GOLD, "kind": "no-context"},
    # Off topic: declined, as expected (no gold, no expect: abstain by default).
    {"id": "capital", "question": "What is the capital of Australia?", "gold": [],
     "kind": "opening"},
    # Two access points differ here and none is named: asked back, as expected.
    {"id": "light", "question": LIGHT_QUESTION, "gold": [], "expect": "clarify",
     "kind": "opening"},
    # The customer answers the question back: the turn is read with the one before it.
    {"id": "light-pro", "question": "the LA-6 Pro",
     "gold": [{"source": "manuals/la-6-pro-installation-guide.md", "section": "Firmware update"}],
     "history": [{"role": "customer", "text": LIGHT_QUESTION},
                 {"role": "assistant", "text": "Which product is this about: LA-6 Pro or LA-6?"}],
     "kind": "follow-up"},
    # Routers and an access point share this wording: the bot asks back, which this suite
    # counts as a refusal (it expects a partial answer).
    {"id": "pinhole", "question": "How long do I hold the reset pinhole?",
     "gold": [{"source": "manuals/lr-400-admin-guide.pdf", "section": "Reset button"}],
     "expect": "partial", "kind": "opening"},
]  # fmt: skip


def write_suite(root: Path, questions: list[dict[str, Any]], corpus: Path | None = None) -> Path:
    """A suite folder: the corpus (copied, or an empty one) and questions.jsonl."""
    if corpus is not None:
        shutil.copytree(corpus, root / "corpus")
    else:
        (root / "corpus").mkdir(parents=True)
    lines = [q if isinstance(q, str) else json.dumps(q) for q in questions]
    (root / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def question(expect: str | None = None, *, gold: bool = True, **fields: Any) -> Question:
    row: dict[str, Any] = {
        "id": "q",
        "question": "how do I reset it?",
        "gold": [{"source": "a.md", "section": None}] if gold else [],
        **fields,
    }
    if expect is not None:
        row["expect"] = expect
    return parse_question(row)


# --- reading a suite -----------------------------------------------------------------------


def test_history_expect_and_kind_are_read(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", DEMO_QUESTIONS[:4])
    first, follow_up, _, off_topic = load_questions(suite)
    assert first.history == () and first.expect == "answer" and first.kind == "opening"
    assert follow_up.history == (
        Turn("customer", RESET_QUESTION),
        Turn("assistant", "Keep it powered and press the pinhole."),
    )
    assert off_topic.expect == "abstain"  # no gold and no expect: the old meaning


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"expect": "maybe"},
         "expect must be one of answer, partial, abstain, clarify, not 'maybe'"),
        ({"history": [{"role": "agent", "text": "hi"}]},
         "history turn 1: role must be 'customer' or 'assistant', not 'agent'"),
        ({"history": [{"role": "customer"}]}, "history turn 1: text must be a string"),
        ({"history": "hello"}, "history must be a list of turns"),
        ({"kind": 3}, "kind must be a string, not 3"),
    ],
)  # fmt: skip
def test_a_bad_line_names_the_file_the_line_and_the_problem(
    tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    suite = write_suite(tmp_path / "suite", [DEMO_QUESTIONS[0], DEMO_QUESTIONS[3] | change])
    with pytest.raises(AppError) as raised:
        load_questions(suite)
    assert raised.value.code == "usage"
    assert str(raised.value) == f"{suite / 'questions.jsonl'}:2: {problem}"


def test_a_bad_expect_is_a_usage_error_before_the_model_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = write_suite(tmp_path / "suite", [DEMO_QUESTIONS[0] | {"expect": "answered"}])
    assert main(["eval", str(suite)]) == 2
    error = capsys.readouterr().err
    assert f"{suite / 'questions.jsonl'}:1: expect must be one of" in error
    assert "not 'answered'" in error


# --- the figures, on constructed outcomes ----------------------------------------------------


def test_each_behaviour_is_rated_among_the_questions_that_expect_it() -> None:
    questions = [
        question("answer"),  # answered: right
        question("answer"),  # abstained: wrongly refused
        question("partial"),  # asked back: wrongly met with a question
        question("partial"),  # answered: right
        question("abstain", gold=False),  # abstained: right
        question("abstain", gold=False),  # answered: invented
        question("abstain", gold=False),  # abstained: right
        question("clarify", gold=False),  # asked back: right
        question("clarify", gold=False),  # answered: guessed
    ]
    kinds: list[AnswerKind] = [
        "answer", "abstain", "clarify", "answer",
        "abstain", "answer", "abstain",
        "clarify", "answer",
    ]  # fmt: skip
    figures = behaviour_figures(questions, kinds)
    assert figures["abstain_rate"] == round(3 / 9, 4)
    assert figures["abstain_rate_answerable"] == 0.25  # 1 of 4 answer/partial
    assert figures["abstain_rate_unanswerable"] == round(2 / 3, 4)
    assert figures["clarify_rate"] == round(2 / 9, 4)
    assert figures["clarify_rate_underspecified"] == 0.5
    assert figures["refusal_rate_answerable"] == 0.5  # 2 of 4: one abstained, one asked back
    assert figures["expected"] == {"answer": 2, "partial": 2, "abstain": 3, "clarify": 2}


def test_a_handoff_or_small_talk_is_not_counted_as_a_refusal() -> None:
    figures = behaviour_figures([question("answer"), question("answer")], ["handoff", "smalltalk"])
    assert figures["refusal_rate_answerable"] == 0.0 and figures["abstain_rate"] == 0.0


def test_a_suite_without_expect_keeps_the_old_figures() -> None:
    """Gold decides: the unanswerable rate is over gold-empty questions, as before; rates
    that did not exist before are null rather than a misleading 0."""
    questions = [question(), question(), question(gold=False), question(gold=False)]
    figures = behaviour_figures(questions, ["answer", "abstain", "abstain", "clarify"])
    assert figures["abstain_rate_answerable"] == 0.5
    assert figures["abstain_rate_unanswerable"] == 0.5
    assert figures["clarify_rate_underspecified"] is None
    only_answerable = behaviour_figures([question()], ["answer"])
    assert only_answerable["abstain_rate_unanswerable"] == 0.0  # the old convention


def test_followup_hit_at_5_counts_only_questions_with_history_and_gold() -> None:
    earlier = {"history": [{"role": "customer", "text": "my LA-6 will not start"}]}
    questions = [
        question(),  # rank 1, but no history: not a follow-up
        question(**earlier),  # rank 3: a hit at 5
        question(**earlier),  # rank 7: no hit at 5
        question(gold=False, **earlier),  # no gold: not scored
    ]
    figures = retrieval_figures(questions, [1, 3, 7, None])
    assert figures["answerable"] == 3 and figures["followups"] == 2
    assert figures["followup_hit@5"] == 0.5
    assert figures["hit@5"] == round(2 / 3, 4)
    assert retrieval_figures([question()], [1])["followup_hit@5"] is None


def test_figures_by_kind_split_the_suite_by_its_own_labels() -> None:
    questions = [
        question("answer", kind="follow-up"),
        question("answer", kind="follow-up"),
        question("abstain", gold=False, kind="follow-up"),
        question("clarify", gold=False, kind="n/a"),
        question("answer"),  # no kind
    ]
    kinds: list[AnswerKind] = ["answer", "clarify", "abstain", "answer", "answer"]
    groups = figures_by_kind(questions, [2, 9, None, None, 1], kinds)
    assert list(groups) == ["follow-up", "n/a", "(none)"]
    follow_up = groups["follow-up"]
    assert follow_up["n"] == 3 and follow_up["answerable"] == 2 and follow_up["hit@5"] == 0.5
    assert follow_up["abstain_rate"] == round(1 / 3, 4)
    assert follow_up["refusal_rate_answerable"] == 0.5
    assert follow_up["abstain_rate_unanswerable"] == 1.0
    assert follow_up["clarify_rate_underspecified"] is None  # none of its questions expects it
    assert groups["n/a"]["hit@5"] is None and groups["n/a"]["clarify_rate_underspecified"] == 0.0
    retrieval_only = figures_by_kind(questions, [2, 9, None, None, 1], None)
    assert set(retrieval_only["n/a"]) == {"n", "answerable", "hit@5"}


# --- end to end on the demo corpus -----------------------------------------------------------


@contextmanager
def _no_supportbot_environment() -> Iterator[None]:
    """Module fixtures run before the per-test environment is cleaned: clean it here too, so
    a developer's configured model server does not answer instead of the extractive one."""
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("SUPPORTBOT_")]:
            patch.delenv(key)
        yield


@pytest.fixture(scope="module")
def demo_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_suite(
        tmp_path_factory.mktemp("multiturn") / "suite", DEMO_QUESTIONS, REPO / "data"
    )


@pytest.fixture(scope="module")
def kept_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite's index, kept so that later tests re-ingest nothing."""
    return tmp_path_factory.mktemp("kept-index")


@pytest.fixture(scope="module")
def demo_metrics(
    demo_suite: Path,
    kept_index: Path,
    embedder: SentenceTransformerEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    with _no_supportbot_environment():
        settings = Settings(home=tmp_path_factory.mktemp("home"))
        return evaluate_suite(
            demo_suite, settings=settings, embedder=embedder, index_home=kept_index
        )


@pytest.mark.slow
def test_a_follow_up_is_searched_with_its_history(demo_metrics: dict[str, Any]) -> None:
    by_kind = demo_metrics["by_kind"]
    # With the reset question before it, "and how long do I hold it?" finds the LA-6 reset;
    # the same words alone do not.
    assert by_kind["follow-up"]["hit@5"] == 1.0
    assert by_kind["no-context"]["hit@5"] == 0.0
    assert demo_metrics["followups"] == 2 and demo_metrics["followup_hit@5"] == 1.0
    assert demo_metrics["answerable"] == 5 and demo_metrics["hit@5"] == 0.8


@pytest.mark.slow
def test_the_behaviour_figures_on_the_demo_suite(demo_metrics: dict[str, Any]) -> None:
    # Treatment: reset, reset-hold, light-pro answered; reset-hold-alone and capital
    # declined; light and pinhole asked back.
    assert demo_metrics["expected"] == {"answer": 4, "partial": 1, "abstain": 1, "clarify": 1}
    assert demo_metrics["abstain_rate"] == round(2 / 7, 4)
    assert demo_metrics["clarify_rate"] == round(2 / 7, 4)
    assert demo_metrics["abstain_rate_unanswerable"] == 1.0  # capital
    assert demo_metrics["clarify_rate_underspecified"] == 1.0  # light
    assert demo_metrics["abstain_rate_answerable"] == 0.2  # reset-hold-alone, of 5
    assert demo_metrics["refusal_rate_answerable"] == 0.4  # ... and pinhole, asked back
    assert demo_metrics["by_kind"]["follow-up"]["refusal_rate_answerable"] == 0.0
    assert demo_metrics["by_kind"]["opening"]["n"] == 4


@pytest.mark.slow
def test_eval_searches_what_the_chat_searches(
    demo_suite: Path,
    kept_index: Path,
    demo_metrics: dict[str, Any],
    embedder: SentenceTransformerEmbedder,
) -> None:
    """The resolved query eval scores is the query the pipeline's answer reports."""
    assert demo_metrics["ingest_failed"] == 0
    follow_up = next(q for q in load_questions(demo_suite) if q.id == "reset-hold")
    with _no_supportbot_environment():
        settings = Settings(home=kept_index, index=IndexSettings(backend="edge"))
    catalog = load_catalog(settings, demo_suite / "corpus")
    reader = open_reader(settings)
    try:
        pipeline = build_pipeline(settings, reader, embedder, catalog=catalog)
        answer = asyncio.run(pipeline.answer(follow_up.question, follow_up.history))
    finally:
        reader.close()
    resolved = resolved_question(follow_up, catalog)
    # Searched as the follow-up's own words plus the topic's content words and product.
    assert resolved.follow_up and resolved.query.startswith(follow_up.question.strip())
    assert {"factory", "reset", "la-6"} <= set(resolved.query.lower().split())
    assert answer.query == resolved.query and answer.product == "LA-6"


@pytest.mark.slow
def test_the_json_line_carries_the_multi_turn_figures(
    demo_suite: Path, kept_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The kept index makes this re-ingest incremental: nothing changed, nothing embedded.
    assert main(["eval", str(demo_suite), "--json", "--keep-index", str(kept_index)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    metrics = json.loads(out[-1])
    for key in (
        "abstain_rate_unanswerable",
        "clarify_rate_underspecified",
        "refusal_rate_answerable",
        "followup_hit@5",
    ):
        assert key in metrics
    assert set(metrics["by_kind"]) == {"opening", "follow-up", "no-context"}
    assert any(line.strip().startswith("follow-up: {") for line in out[:-1])
