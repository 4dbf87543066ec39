"""`supportbot eval`: score retrieval and answers on a QA suite (format:
shared/datasets/README.md; the suite is read by app/doors/eval_suite.py).

The suite's corpus is ingested into a fresh temporary home, never the live index. Each
question is asked as the next customer turn of its conversation: with its `history` (none
for a single-turn suite) through the same pipeline the chat uses, and its retrieval is
measured on the query the pipeline searches, the question resolved against that history
(app/pipeline/conversation.py), so a follow-up such as "and how long do I hold it?" is
searched together with the question before it, exactly as in the chat.

Hits are counted on sections, not passages: the ranked passages (30 per question) become a
ranked list of distinct (source, heading path) entries, each passage contributing every
heading path it spans. Retrieval figures:
- questions; answerable: the questions with gold, which hit@k and MRR are over;
- hit@1, hit@5, hit@10: share of questions with gold that have a hit among the first k
  entries; mrr@10: mean of 1/rank of the first hit within 10 (0 without one), over the same;
- followup_hit@5: hit@5 over the questions that have both a non-empty history and gold
  (`followups` of them); null when there are none;
- p50_ms, p95_ms: retrieval latency (resolving, embedding, searching).

Answers come from the same pipeline the chat uses (`Answer.kind` is what it did). Each
question expects a behaviour (`expect`: answer, partial, abstain or clarify; absent, answer
when it has gold and abstain when not), and each behaviour is reported on its own so that
one cannot hide another:
- rougeL_f1: ROUGE-L F1 of the answer text (markers removed) against the reference answer,
  over questions with gold and a reference that were answered;
- citation_precision: share of cited passages that hit a gold entry, over answered questions
  with gold;
- abstain_rate: share of all questions the bot abstained on (kind "abstain");
- abstain_rate_answerable: share abstained among questions expecting answer or partial;
- abstain_rate_unanswerable: share abstained among questions expecting abstain;
- clarify_rate: share of all questions answered with a clarifying question (kind "clarify",
  "which product?");
- clarify_rate_underspecified: share met with a clarifying question among questions
  expecting clarify;
- refusal_rate_answerable: share abstained on or met with a clarifying question among
  questions expecting answer or partial (a handoff or small talk is neither);
- expected: how many questions expect each behaviour (the denominators above);
- routed_to_large_rate (only with model routing configured): share of the model's answers
  that the larger model wrote, which is what the routing threshold costs.
The four rates that existed before `expect` are 0.0 when their set of questions is empty;
the newer ones are null (app/doors/eval_figures.py). For a suite without `expect`, expect
follows the gold, so the old figures keep their meaning.

When questions carry a `kind` (e.g. follow-up, clarification), `by_kind` repeats per kind:
n, answerable, hit@5 and, with answers, abstain_rate, clarify_rate,
abstain_rate_unanswerable, clarify_rate_underspecified and refusal_rate_answerable (null
where the kind has no question of that sort; questions without a kind form "(none)").
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.doors.assistant import build_pipeline, load_catalog
from app.doors.eval_figures import Rank, behaviour_figures, figures_by_kind, retrieval_figures
from app.doors.eval_suite import Gold, Question, load_questions
from app.ground.config import AnswerSettings, IndexSettings, Settings
from app.ground.embedding import Embedder
from app.ground.errors import AppError
from app.ground.measures import percentile
from app.ground.products import ProductCatalog
from app.ground.text import rouge_l_f1
from app.index.store import open_reader
from app.pipeline.answering import AnswerPipeline
from app.pipeline.conversation import ResolvedMessage, resolve
from app.pipeline.generators.base import Generator
from app.pipeline.markers import strip_markers
from app.pipeline.retrieval import HybridRetriever, ProductPreference, RetrievedPassage
from app.pipeline.types import Answer, Citation

# Gold, Question and load_questions moved to eval_suite; importers keep finding them here.
__all__ = [
    "Gold",
    "Question",
    "evaluate_suite",
    "first_hit_rank",
    "hits",
    "load_questions",
    "percentile",
    "ranked_sections",
    "resolved_question",
]

SectionEntry = tuple[str, tuple[str, ...]]
_RANK_DEPTH = 10
_PASSAGES_PER_QUERY = 30  # enough passages to fill 10 distinct sections


def ranked_sections(passages: Sequence[RetrievedPassage]) -> list[SectionEntry]:
    """Distinct (source, heading path) entries in rank order."""
    seen: set[SectionEntry] = set()
    entries: list[SectionEntry] = []
    for retrieved in passages:
        for path in retrieved.passage.section_paths or (retrieved.passage.heading_path,):
            entry = (retrieved.passage.source, tuple(path))
            if entry not in seen:
                seen.add(entry)
                entries.append(entry)
    return entries


def hits(entry: SectionEntry, gold: Gold) -> bool:
    """Does a ranked entry satisfy a gold item (source equal, section a contiguous run)?"""
    source, path = entry
    if source != gold.source:
        return False
    if gold.section is None:
        return True
    lowered = [c.strip().lower() for c in path]
    n = len(gold.section)
    return any(tuple(lowered[i : i + n]) == gold.section for i in range(len(lowered) - n + 1))


def first_hit_rank(entries: Sequence[SectionEntry], gold: Sequence[Gold]) -> int | None:
    """1-based rank of the first entry that hits any gold item, within the first 10."""
    for rank, entry in enumerate(entries[:_RANK_DEPTH], 1):
        if any(hits(entry, g) for g in gold):
            return rank
    return None


def evaluate_suite(
    suite_dir: Path,
    *,
    settings: Settings,
    embedder: Embedder,
    generator: Generator | None = None,
    answers: bool = True,
    index_home: Path | None = None,
) -> dict[str, Any]:
    """Ingest the suite into a temporary index, ask every question, return the metrics.

    `generator` None means the extractive default; `answers=False` scores retrieval only.
    `index_home` keeps the suite's index in that folder between runs (re-ingest is then
    incremental); it must not be the live SUPPORTBOT_HOME.
    """
    questions = load_questions(suite_dir)
    corpus = suite_dir / "corpus"
    if not corpus.is_dir():
        raise AppError("usage", f"{suite_dir} is not a QA suite: no corpus/ folder")
    from ingest.pipeline import run_ingest  # doors may import ingest; nothing below them may

    if index_home is not None and index_home.resolve() == settings.home.resolve():
        raise AppError("usage", "the eval index must not be the live SUPPORTBOT_HOME")
    with _eval_home(index_home) as home:
        eval_settings = settings.model_copy(
            # The suite's corpus is the company here: its intents.toml, if any, too.
            update={"home": home, "index": IndexSettings(backend="edge"), "data_dir": corpus}
        )
        started = time.perf_counter()
        report = run_ingest([corpus], settings=eval_settings, embedder_factory=lambda: embedder)
        ingest_s = time.perf_counter() - started
        reader = open_reader(eval_settings)
        try:
            retriever = HybridRetriever(reader, embedder, eval_settings.retrieval)
            catalog = load_catalog(eval_settings)
            ranks, metrics = _score(questions, retriever, catalog, eval_settings.answer)
            kinds = None
            if answers:
                embedder.forget_queries()  # answer latency must include the embedding
                pipeline = build_pipeline(
                    eval_settings, reader, embedder, catalog=catalog, generator=generator
                )
                answered, answer_metrics = asyncio.run(_score_answers(questions, pipeline))
                kinds = [answer.kind for answer in answered]
                metrics |= answer_metrics | behaviour_figures(questions, kinds)
            if any(question.kind is not None for question in questions):
                metrics["by_kind"] = figures_by_kind(questions, ranks, kinds)
        finally:
            reader.close()
    metrics["ingest_s"] = round(ingest_s, 2)
    metrics["passages"] = report.passages_total
    metrics["ingest_failed"] = len(report.failures)
    metrics["suite"] = suite_dir.name
    return metrics


def resolved_question(question: Question, catalog: ProductCatalog) -> ResolvedMessage:
    """What the pipeline searches for this question: the same resolution the chat applies
    to a message (app/pipeline/answering.py strips it, then resolves it)."""
    return resolve(question.question.strip(), question.history, catalog)


@contextmanager
def _eval_home(kept: Path | None) -> Iterator[Path]:
    if kept is not None:
        kept.mkdir(parents=True, exist_ok=True)
        yield kept
        return
    with tempfile.TemporaryDirectory(prefix="supportbot-eval-") as home:
        yield Path(home)


def _score(
    questions: list[Question],
    retriever: HybridRetriever,
    catalog: ProductCatalog,
    answer_settings: AnswerSettings,
) -> tuple[list[Rank], dict[str, Any]]:
    """Retrieval as the pipeline does it: the question resolved against its history, a
    product it (or the conversation) names preferred; each question's first hit rank."""
    latencies: list[float] = []
    ranks: list[Rank] = []
    for question in questions:
        started = time.perf_counter()
        resolved = resolved_question(question, catalog)
        prefer = (
            ProductPreference(
                resolved.product, other_product_weight=answer_settings.other_product_weight
            )
            if resolved.product
            else None
        )
        retrieved = retriever.search(resolved.query, k=_PASSAGES_PER_QUERY, prefer=prefer)
        latencies.append((time.perf_counter() - started) * 1000)
        ranks.append(
            first_hit_rank(ranked_sections(retrieved), question.gold) if question.gold else None
        )
    metrics = retrieval_figures(questions, ranks) | {
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
    }
    return ranks, metrics


async def _score_answers(
    questions: list[Question], pipeline: AnswerPipeline
) -> tuple[list[Answer], dict[str, Any]]:
    """Ask each question as the next turn of its conversation; the answers and the figures
    on their text (ROUGE-L, citations, latency, routing)."""
    answered: list[Answer] = []
    latencies: list[float] = []
    rouge: list[float] = []
    cited = cited_hits = 0
    routes = {"small": 0, "large": 0}
    for question in questions:
        started = time.perf_counter()
        answer = await pipeline.answer(question.question, question.history)
        latencies.append((time.perf_counter() - started) * 1000)
        answered.append(answer)
        if answer.routing is not None:
            routes[answer.routing.route] += 1
        if answer.kind != "answer" or not question.gold:
            continue
        cited += len(answer.citations)
        cited_hits += sum(1 for c in answer.citations if _cites_gold(c, question.gold))
        if question.answer:
            rouge.append(rouge_l_f1(strip_markers(answer.text), question.answer))
    routed = {}
    if sum(routes.values()):  # model routing is configured: what share the larger model wrote
        routed["routed_to_large_rate"] = round(routes["large"] / sum(routes.values()), 4)
    return answered, {
        "generator": pipeline.generator_name,
        "rougeL_f1": round(sum(rouge) / len(rouge), 4) if rouge else 0.0,
        "citation_precision": round(cited_hits / cited, 4) if cited else 0.0,
        "answer_p50_ms": round(percentile(latencies, 50), 2),
        "answer_p95_ms": round(percentile(latencies, 95), 2),
        **routed,
    }


def _cites_gold(citation: Citation, gold: Sequence[Gold]) -> bool:
    paths = citation.section_paths or (citation.heading_path,)
    return any(hits((citation.source, tuple(path)), g) for path in paths for g in gold)
