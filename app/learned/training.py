"""Training the triage heads from examples, and choosing their thresholds on held-out data.

The rule this module keeps: a threshold (and the ridge and temperature, in `heads`) is chosen
on a development split, never on the split a figure is reported on. Complaint: the threshold
on P(complaint) with the best development F1. Intent: the threshold on the top probability
that maximises development accuracy with out-of-scope counted as one more class, so both
mistakes (answering nonsense, refusing a real request) cost the same; a taxonomy without
out-of-scope examples gets no threshold.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from app.ground.embedding import Embedder
from app.learned.heads import LinearHead, Vectors, train_head
from app.learned.intents import Taxonomy
from app.learned.suites import ComplaintExample, IntentExample, split_of

COMPLAINT_LABELS = ("not_complaint", "complaint")


@dataclass
class TrainedHead:
    task: str
    head: LinearHead
    report: dict[str, Any] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)  # intents only
    decision_threshold: float | None = None  # complaint only: on P(complaint)
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def embed(embedder: Embedder, texts: Sequence[str], label: str) -> Vectors:
    """Embed with a progress bar on a terminal (silent when piped)."""
    if not sys.stderr.isatty():
        return embedder.embed_documents(list(texts))
    from tqdm import tqdm

    with tqdm(total=len(texts), desc=label, unit="msg", file=sys.stderr, leave=False) as bar:
        return embedder.embed_documents(list(texts), progress=bar.update)


def best_f1_threshold(scores: npt.NDArray[np.float32], gold: Sequence[bool]) -> float:
    """The cut on a positive-class score with the highest F1 (midpoint between neighbours)."""
    truth = np.asarray(gold, dtype=bool)
    order = np.argsort(-scores)
    ranked, hits = scores[order], truth[order]
    tp = np.cumsum(hits)
    fp = np.cumsum(~hits)
    f1 = 2 * tp / (2 * tp + fp + (truth.sum() - tp))
    best = int(np.argmax(f1))
    below = float(ranked[best + 1]) if best + 1 < len(ranked) else 0.0
    return (float(ranked[best]) + below) / 2


def best_oos_threshold(
    top: npt.NDArray[np.float32],
    correct: npt.NDArray[np.bool_],
    out_of_scope: npt.NDArray[np.bool_],
    *,
    max_refused: float | None = None,
) -> float:
    """The cut on the top probability for out-of-scope messages, chosen on development data.

    Default: maximise accuracy with out-of-scope as one more class (both mistakes cost the
    same, at the development split's share of out-of-scope). With `max_refused`, an explicit
    operating point instead: the highest cut that turns away at most that share of the
    in-scope messages (counted among those the head gets right), so more out-of-scope is
    caught at a stated price in refused real requests.
    """
    in_scope = ~out_of_scope
    right_before = int(np.sum(correct & in_scope))
    allowed = (max_refused or 0.0) * int(np.sum(in_scope))
    best_cut, best_right = 0.0, -1
    for cut in np.unique(top):
        kept = int(np.sum(correct & in_scope & (top >= cut)))
        if max_refused is not None:
            if right_before - kept <= allowed:
                best_cut = float(cut)
            continue
        right = kept + int(np.sum(out_of_scope & (top < cut)))
        if right > best_right:
            best_cut, best_right = float(cut), right
    return best_cut


def train_complaint(
    examples: Sequence[ComplaintExample],
    embedder: Embedder,
    *,
    dev: Sequence[ComplaintExample] | None = None,
) -> list[TrainedHead]:
    """Complaint head (and a sentiment head if the examples carry sentiment labels).

    Without an explicit development set, 20 % of the examples (by id hash) become one.
    """
    if dev is None:
        dev = [e for e in examples if split_of(e.id, dev=0.2, test=0.0) == "dev"]
        examples = [e for e in examples if split_of(e.id, dev=0.2, test=0.0) == "train"]
    if len({e.complaint for e in examples}) < 2 or not dev:
        raise ValueError("complaint training needs complaints and non-complaints, and a dev set")
    started = time.perf_counter()
    x = embed(embedder, [e.text for e in examples], "embedding training messages")
    dev_x = embed(embedder, [e.text for e in dev], "embedding development messages")
    labels = [COMPLAINT_LABELS[e.complaint] for e in examples]
    dev_labels = [COMPLAINT_LABELS[e.complaint] for e in dev]
    texts = [e.text for e in examples]
    head, report = train_head(
        x, labels, texts=texts, classes=COMPLAINT_LABELS, dev_vectors=dev_x, dev_labels=dev_labels
    )
    scores = head.probabilities(dev_x)[:, 1]
    cut = best_f1_threshold(scores, [e.complaint for e in dev])
    report.update(train=len(examples), dev=len(dev), threshold=round(cut, 4))
    report["seconds"] = round(time.perf_counter() - started, 2)
    trained = [TrainedHead("complaint", head, report, decision_threshold=cut)]
    trained[0].texts, trained[0].labels = texts, labels
    rated = [i for i, e in enumerate(examples) if e.sentiment]
    dev_rated = [i for i, e in enumerate(dev) if e.sentiment]
    if rated and dev_rated and len({examples[i].sentiment for i in rated}) >= 2:
        started = time.perf_counter()
        sentiment_labels = [str(examples[i].sentiment) for i in rated]
        present = tuple(s for s in ("negative", "neutral", "positive") if s in sentiment_labels)
        head, report = train_head(
            x[rated],
            sentiment_labels,
            texts=[texts[i] for i in rated],
            classes=present,
            dev_vectors=dev_x[dev_rated],
            dev_labels=[str(dev[i].sentiment) for i in dev_rated],
        )
        report.update(train=len(rated), dev=len(dev_rated))
        report["seconds"] = round(time.perf_counter() - started, 2)
        sentiment = TrainedHead("sentiment", head, report)
        sentiment.texts = [texts[i] for i in rated]
        sentiment.labels = sentiment_labels
        trained.append(sentiment)
    return trained


def train_intents(
    train: Sequence[IntentExample],
    embedder: Embedder,
    *,
    dev: Sequence[IntentExample] = (),
    routes: dict[str, str] | None = None,
    vectors: tuple[Vectors, Vectors] | None = None,
    max_refused: float | None = None,
) -> TrainedHead:
    """Intent head from in-scope examples; OOS threshold chosen on `dev` if it has OOS.

    `vectors` (train, dev) skips embedding when the caller already has them (evaluation).
    """
    started = time.perf_counter()
    texts = [e.text for e in train]
    labels = [str(e.intent) for e in train]
    if vectors is None:
        x = embed(embedder, texts, "embedding intent examples")
        dev_x = (
            embed(embedder, [e.text for e in dev], "embedding development messages")
            if dev
            else np.zeros((0, x.shape[1]), dtype=np.float32)
        )
    else:
        x, dev_x = vectors
    dev_labels = [e.intent or "" for e in dev]
    head, report = train_head(
        x, labels, texts=texts, dev_vectors=dev_x if len(dev) else None, dev_labels=dev_labels
    )
    out_of_scope = np.array([e.intent is None for e in dev], dtype=bool)
    if out_of_scope.any():
        probs = head.probabilities(dev_x)
        top = probs.max(axis=1)
        guessed = np.array(head.labels)[probs.argmax(axis=1)]
        correct = np.array([g == e.intent for g, e in zip(guessed, dev, strict=True)])
        head.threshold = best_oos_threshold(top, correct, out_of_scope, max_refused=max_refused)
    summary: dict[str, Any] = {
        **report,
        "train": len(train),
        "dev": len(dev),
        "intents": len(head.labels),
        "threshold": round(head.threshold, 4),
        "max_refused": max_refused,
        "seconds": round(time.perf_counter() - started, 2),
    }
    trained = TrainedHead("intent", head, summary, routes=dict(routes or {}))
    trained.texts, trained.labels = texts, labels
    return trained


def taxonomy_examples(taxonomy: Taxonomy) -> list[IntentExample]:
    return [
        IntentExample(text, intent.name) for intent in taxonomy.intents for text in intent.examples
    ]
