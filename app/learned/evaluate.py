"""Measuring the learned heads: intent suites and complaint suites, with per-message latency.

Intent suite protocol (shared/datasets/README.md): learn from train.jsonl (or its first N
examples per intent), choose the out-of-scope threshold on val.jsonl, report on test.jsonl.
In-scope accuracy counts an in-scope message refused as out of scope as wrong. Latency is one
message at a time, embedding included and the query cache emptied, as a chat turn pays it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from app.ground.embedding import Embedder
from app.ground.measures import binary_scores, percentile
from app.learned.heads import LinearHead
from app.learned.suites import first_shots, load_intent_file
from app.learned.training import embed, train_intents

LATENCY_SAMPLE = 300


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    classes = sorted(set(gold) | set(predicted))
    scores = []
    for name in classes:
        tp = sum(g == name and p == name for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != name and p == name for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == name and p != name for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def latency_ms(texts: Sequence[str], one: Callable[[str], object]) -> list[float]:
    """Milliseconds per message for an evenly spread sample, after one warm-up call."""
    if not texts:
        return []
    step = max(1, len(texts) // LATENCY_SAMPLE)
    sample = list(texts)[::step][:LATENCY_SAMPLE]
    one(sample[0])
    times = []
    for text in sample:
        start = time.perf_counter()
        one(text)
        times.append((time.perf_counter() - start) * 1000)
    return times


def evaluate_intent_suite(
    suite: Path,
    embedder: Embedder,
    *,
    shots: int | None = None,
    max_refused: float | None = None,
) -> dict[str, Any]:
    """Train on the suite's train split, threshold on val, every figure on test."""
    train = first_shots(load_intent_file(suite / "train.jsonl"), shots)
    dev = load_intent_file(suite / "val.jsonl")
    test = load_intent_file(suite / "test.jsonl")
    trained = train_intents(train, embedder, dev=dev, max_refused=max_refused)
    head = trained.head
    test_x = embed(embedder, [e.text for e in test], "embedding test messages")
    labels, _top = head.predict_many(test_x)
    gold = [e.intent for e in test]
    in_scope = [(g, p) for g, p in zip(gold, labels, strict=True) if g is not None]
    oos = [p for g, p in zip(gold, labels, strict=True) if g is None]
    times = latency_ms([e.text for e in test], lambda text: _one_intent(embedder, head, text))
    return {
        "suite": suite.name,
        "shots": shots,
        "train": len(train),
        "test": len(test),
        "accuracy": round(sum(g == p for g, p in in_scope) / len(in_scope), 4),
        "oos_recall": round(sum(p is None for p in oos) / len(oos), 4) if oos else None,
        "macro_f1": round(
            macro_f1([g or "<oos>" for g in gold], [p or "<oos>" for p in labels]), 4
        ),
        "threshold": round(head.threshold, 4),
        "max_refused": max_refused,
        "train_seconds": trained.report["seconds"],
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
    }


def _one_intent(embedder: Embedder, head: LinearHead, text: str) -> str | None:
    embedder.forget_queries()
    return head.predict(embedder.embed_query(text)).label


def evaluate_complaint_head(
    texts: Sequence[str],
    gold: Sequence[bool],
    scores: np.ndarray[Any, np.dtype[np.float32]],
    threshold: float,
) -> dict[str, Any]:
    """Binary scores of P(complaint) >= threshold against gold labels, rounded."""
    predicted = [bool(s >= threshold) for s in scores]
    return {
        "n": len(texts),
        "complaints": int(sum(gold)),
        "predicted_complaints": int(sum(predicted)),
        **{k: round(v, 4) for k, v in binary_scores(gold, predicted).items()},
    }
