"""`supportbot eval`: score retrieval on a QA suite (format: shared/datasets/README.md).

The suite's corpus is ingested into a fresh temporary home, never the live index. Hits are
counted on sections, not passages: the ranked passages become a ranked list of distinct
(source, heading path) entries, each passage contributing every heading path it spans.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.config import IndexSettings, Settings
from app.embedding import Embedder
from app.errors import AppError
from app.index.store import open_reader
from app.pipeline.retrieval import HybridRetriever, RetrievedPassage

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


def evaluate_suite(suite_dir: Path, *, settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """Ingest the suite into a temporary index, ask every question, return the metrics."""
    questions = load_questions(suite_dir)
    corpus = suite_dir / "corpus"
    if not corpus.is_dir():
        raise AppError("usage", f"{suite_dir} is not a QA suite: no corpus/ folder")
    from ingest.pipeline import run_ingest  # ingest depends on app, not the other way round

    with tempfile.TemporaryDirectory(prefix="supportbot-eval-") as home:
        eval_settings = settings.model_copy(
            update={"home": Path(home), "index": IndexSettings(backend="edge")}
        )
        started = time.perf_counter()
        report = run_ingest([corpus], settings=eval_settings, embedder_factory=lambda: embedder)
        ingest_s = time.perf_counter() - started
        reader = open_reader(eval_settings)
        try:
            retriever = HybridRetriever(reader, embedder, eval_settings.retrieval)
            metrics = _score(questions, retriever)
        finally:
            reader.close()
    metrics["ingest_s"] = round(ingest_s, 2)
    metrics["passages"] = report.passages_total
    metrics["ingest_failed"] = len(report.failures)
    metrics["suite"] = suite_dir.name
    return metrics


def _score(questions: list[Question], retriever: HybridRetriever) -> dict[str, Any]:
    latencies: list[float] = []
    ranks: list[int | None] = []
    for question in questions:
        started = time.perf_counter()
        retrieved = retriever.search(question.question, k=_PASSAGES_PER_QUERY)
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
