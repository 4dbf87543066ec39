"""`supportbot eval`: score retrieval and answers on a QA suite (format:
shared/datasets/README.md).

The suite's corpus is ingested into a fresh temporary home, never the live index. Hits are
counted on sections, not passages: the ranked passages become a ranked list of distinct
(source, heading path) entries, each passage contributing every heading path it spans.

Answers come from the same pipeline the chat uses, one question per conversation:
- rougeL_f1: ROUGE-L F1 of the answer text (markers removed) against the reference answer,
  over answered questions that have one;
- citation_precision: share of cited passages that hit a gold entry, over answered questions;
- abstain_rate: share of all questions the bot declined to answer, also split into
  answerable and unanswerable (gold empty) questions, so that one cannot hide the other;
- clarify_rate: share of questions answered with "which product?";
- routed_to_large_rate (only with model routing configured): share of the model's answers
  that the larger model wrote, which is what the routing threshold costs.
"""

from __future__ import annotations

import asyncio
import json
import math
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.doors.assistant import build_pipeline, load_catalog
from app.ground.config import AnswerSettings, IndexSettings, Settings
from app.ground.embedding import Embedder
from app.ground.errors import AppError
from app.ground.products import ProductCatalog
from app.ground.text import rouge_l_f1
from app.index.store import open_reader
from app.pipeline.answering import AnswerPipeline
from app.pipeline.generators.base import Generator
from app.pipeline.markers import strip_markers
from app.pipeline.retrieval import HybridRetriever, ProductPreference, RetrievedPassage
from app.pipeline.types import Citation

SectionEntry = tuple[str, tuple[str, ...]]
_RANK_DEPTH = 10
_PASSAGES_PER_QUERY = 30  # enough passages to fill 10 distinct sections


@dataclass(frozen=True)
class Gold:
    source: str
    section: tuple[str, ...] | None  # lower-cased components, or None for the whole source


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: tuple[Gold, ...]
    answer: str | None


def load_questions(suite_dir: Path) -> list[Question]:
    """Read `questions.jsonl`; a malformed line is a usage error naming the line."""
    path = suite_dir / "questions.jsonl"
    if not path.is_file():
        raise AppError("usage", f"{suite_dir} is not a QA suite: no questions.jsonl")
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            gold = tuple(
                Gold(
                    g["source"],
                    tuple(c.strip().lower() for c in g["section"].split(">"))
                    if g.get("section")
                    else None,
                )
                for g in row.get("gold") or []
            )
            questions.append(Question(str(row["id"]), row["question"], gold, row.get("answer")))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise AppError("usage", f"{path}:{number}: not a valid question ({exc})") from exc
    return questions


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


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (what latency targets mean: p95 = 95% of requests at most)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[index]


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
            catalog = load_catalog(corpus)
            metrics = _score(questions, retriever, catalog, eval_settings.answer)
            if answers:
                embedder.forget_queries()  # answer latency must include the embedding
                pipeline = build_pipeline(
                    eval_settings, reader, embedder, catalog=catalog, generator=generator
                )
                metrics |= asyncio.run(_score_answers(questions, pipeline))
        finally:
            reader.close()
    metrics["ingest_s"] = round(ingest_s, 2)
    metrics["passages"] = report.passages_total
    metrics["ingest_failed"] = len(report.failures)
    metrics["suite"] = suite_dir.name
    return metrics


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
) -> dict[str, Any]:
    """Retrieval as the pipeline does it: a product the question names is preferred."""
    latencies: list[float] = []
    ranks: list[int | None] = []
    for question in questions:
        started = time.perf_counter()
        product = catalog.detect(question.question)
        prefer = (
            ProductPreference(product, other_product_weight=answer_settings.other_product_weight)
            if product
            else None
        )
        retrieved = retriever.search(question.question, k=_PASSAGES_PER_QUERY, prefer=prefer)
        latencies.append((time.perf_counter() - started) * 1000)
        if question.gold:
            ranks.append(first_hit_rank(ranked_sections(retrieved), question.gold))
    answerable = len(ranks) or 1
    return {
        "questions": len(questions),
        "answerable": len(ranks),
        "hit@1": round(sum(1 for r in ranks if r == 1) / answerable, 4),
        "hit@5": round(sum(1 for r in ranks if r is not None and r <= 5) / answerable, 4),
        "hit@10": round(sum(1 for r in ranks if r is not None) / answerable, 4),
        "mrr@10": round(sum(1 / r for r in ranks if r is not None) / answerable, 4),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
    }


async def _score_answers(questions: list[Question], pipeline: AnswerPipeline) -> dict[str, Any]:
    latencies: list[float] = []
    rouge: list[float] = []
    cited = cited_hits = 0
    abstained = {True: 0, False: 0}  # answerable? -> abstentions
    asked = {True: 0, False: 0}
    clarified = 0
    routes = {"small": 0, "large": 0}
    for question in questions:
        started = time.perf_counter()
        answer = await pipeline.answer(question.question)
        latencies.append((time.perf_counter() - started) * 1000)
        if answer.routing is not None:
            routes[answer.routing.route] += 1
        answerable = bool(question.gold)
        asked[answerable] += 1
        if answer.kind == "clarify":
            clarified += 1
        if answer.kind != "answer":
            abstained[answerable] += answer.abstained
            continue
        if answerable:
            cited += len(answer.citations)
            cited_hits += sum(1 for c in answer.citations if _cites_gold(c, question.gold))
        if answerable and question.answer:
            rouge.append(rouge_l_f1(strip_markers(answer.text), question.answer))
    total = len(questions) or 1
    routed = {}
    if sum(routes.values()):  # model routing is configured: what share the larger model wrote
        routed["routed_to_large_rate"] = round(routes["large"] / sum(routes.values()), 4)
    return {
        "generator": pipeline.generator_name,
        "rougeL_f1": round(sum(rouge) / len(rouge), 4) if rouge else 0.0,
        "citation_precision": round(cited_hits / cited, 4) if cited else 0.0,
        "abstain_rate": round((abstained[True] + abstained[False]) / total, 4),
        "abstain_rate_answerable": round(abstained[True] / (asked[True] or 1), 4),
        "abstain_rate_unanswerable": round(abstained[False] / (asked[False] or 1), 4),
        "clarify_rate": round(clarified / total, 4),
        "answer_p50_ms": round(percentile(latencies, 50), 2),
        "answer_p95_ms": round(percentile(latencies, 95), 2),
        **routed,
    }


def _cites_gold(citation: Citation, gold: Sequence[Gold]) -> bool:
    paths = citation.section_paths or (citation.heading_path,)
    return any(hits((citation.source, tuple(path)), g) for path in paths for g in gold)
