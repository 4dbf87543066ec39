"""Training the triage heads from examples, and choosing their thresholds on held-out data.

The rule this module keeps: a threshold (and the ridge and temperature, in `heads`) is chosen
on a development split, never on the split a figure is reported on. Complaint: the threshold
on P(complaint) with the best development F1 when a development set drawn from real traffic
is given; for written examples (cross-fitted), the calibrated probability at 0.5. Intent: the
threshold on the top probability that maximises development accuracy with out-of-scope
counted as one more class, so both mistakes (answering nonsense, refusing a real request)
cost the same; a taxonomy without out-of-scope examples gets no threshold.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from app.ground.embedding import Embedder
from app.ground.measures import binary_scores
from app.learned.features import FeatureSet, features
from app.learned.heads import LinearHead, Vectors, fitted_head, train_head
from app.learned.intents import Taxonomy
from app.learned.suites import ComplaintExample, IntentExample

COMPLAINT_LABELS = ("not_complaint", "complaint")
# Tone is in the words as much as in the topic (app/learned/features.py).
COMPLAINT_FEATURES: FeatureSet = "sentence+words"
FOLDS = 5  # cross-fitting folds when no development set is given
CALIBRATED_CUT = 0.5  # without a development set: complaint when more likely than not


@dataclass
class TrainedHead:
    task: str
    head: LinearHead
    report: dict[str, Any] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)  # intents only
    decision_threshold: float | None = None  # complaint only: on P(complaint)
    features: FeatureSet = "sentence"  # what the head reads (app/learned/features.py)
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
    """Complaint head (and a sentiment head if the examples carry sentiment labels), on the
    sentence embedding and the words (app/learned/features.py).

    With an explicit development set, the ridge, temperature and threshold are chosen on it.
    Without one (a few hundred examples written by a support team), every example is used
    twice: K-fold cross-fitting picks them from predictions on held-out folds, and the final
    head then learns from all the examples.
    """
    if len({e.complaint for e in examples}) < 2:
        raise ValueError("complaint training needs complaints and non-complaints")
    started = time.perf_counter()
    texts = [e.text for e in examples]
    x = features(COMPLAINT_FEATURES, embed(embedder, texts, "embedding training messages"), texts)
    labels = [COMPLAINT_LABELS[e.complaint] for e in examples]
    if dev is not None:
        dev_texts = [e.text for e in dev]
        dev_x = features(
            COMPLAINT_FEATURES, embed(embedder, dev_texts, "embedding development messages"),
            dev_texts,
        )  # fmt: skip
        head, report = train_head(
            x,
            labels,
            texts=texts,
            classes=COMPLAINT_LABELS,
            dev_vectors=dev_x,
            dev_labels=[COMPLAINT_LABELS[e.complaint] for e in dev],
        )
        cut = best_f1_threshold(head.probabilities(dev_x)[:, 1], [e.complaint for e in dev])
        report.update(train=len(examples), dev=len(dev))
    else:
        folds = [fold_of(e.id) for e in examples]
        head, held_out, report = cross_fitted(x, labels, COMPLAINT_LABELS, folds, texts=texts)
        # Written examples hold complaints in whatever share their authors chose, not the
        # share a chat sees (few), so an F1-best cut on them would flag too much: the
        # calibrated probability decides, a complaint when more likely than not.
        cut = CALIBRATED_CUT
        predicted = [bool(p >= cut) for p in held_out[:, 1]]
        held_out_f1 = binary_scores([e.complaint for e in examples], predicted)["f1"]
        report.update(train=len(examples), dev=0, folds=FOLDS, cv_f1=round(held_out_f1, 4))
    report.update(threshold=round(cut, 4), seconds=round(time.perf_counter() - started, 2))
    trained = [
        TrainedHead("complaint", head, report, decision_threshold=cut, features=COMPLAINT_FEATURES)
    ]
    trained[0].texts, trained[0].labels = texts, labels
    sentiment = _train_sentiment(examples, x, dev, embedder)
    if sentiment is not None:
        trained.append(sentiment)
    return trained


def _train_sentiment(
    examples: Sequence[ComplaintExample],
    x: Vectors,
    dev: Sequence[ComplaintExample] | None,
    embedder: Embedder,
) -> TrainedHead | None:
    """The sentiment head on the examples that carry a sentiment label (None if too few)."""
    rated = [i for i, e in enumerate(examples) if e.sentiment]
    if len({examples[i].sentiment for i in rated}) < 2:
        return None
    started = time.perf_counter()
    labels = [str(examples[i].sentiment) for i in rated]
    texts = [examples[i].text for i in rated]
    present = tuple(s for s in ("negative", "neutral", "positive") if s in labels)
    dev_rated = [e for e in dev or () if e.sentiment]
    if dev is not None and dev_rated:
        dev_texts = [e.text for e in dev_rated]
        dev_x = features(COMPLAINT_FEATURES, embedder.embed_documents(dev_texts), dev_texts)
        head, report = train_head(
            x[rated],
            labels,
            texts=texts,
            classes=present,
            dev_vectors=dev_x,
            dev_labels=[str(e.sentiment) for e in dev_rated],
        )
        report.update(train=len(rated), dev=len(dev_rated))
    else:
        folds = [fold_of(examples[i].id) for i in rated]
        head, _, report = cross_fitted(x[rated], labels, present, folds, texts=texts)
        report.update(train=len(rated), dev=0, folds=FOLDS)
    report["seconds"] = round(time.perf_counter() - started, 2)
    sentiment = TrainedHead("sentiment", head, report, features=COMPLAINT_FEATURES)
    sentiment.texts, sentiment.labels = texts, labels
    return sentiment


def fold_of(example_id: str) -> int:
    """The cross-fitting fold of an example, by a hash of its id (stable on any machine)."""
    return int(hashlib.sha256(example_id.encode("utf-8")).hexdigest(), 16) % FOLDS


def cross_fitted(
    x: Vectors,
    labels: Sequence[str],
    classes: Sequence[str],
    folds: Sequence[int],
    *,
    texts: Sequence[str],
) -> tuple[LinearHead, npt.NDArray[np.float32], dict[str, Any]]:
    """A head trained on all rows, with ridge and temperature chosen on held-out folds, and
    every row's class probabilities from the fold model that did not see it."""
    fold_ids = np.asarray(folds)
    held_out = np.zeros((len(labels), len(classes)), dtype=np.float32)
    ridges: list[float] = []
    temperatures: list[float] = []
    for fold in sorted(set(folds)):
        train, test = fold_ids != fold, fold_ids == fold
        head, report = train_head(
            x[train],
            [label for label, keep in zip(labels, train, strict=True) if keep],
            classes=classes,
            dev_vectors=x[test],
            dev_labels=[label for label, keep in zip(labels, test, strict=True) if keep],
        )
        held_out[test] = head.probabilities(x[test])
        ridges.append(float(report["l2"]))
        temperatures.append(head.temperature)
    ridge, temperature = float(np.median(ridges)), float(np.median(temperatures))
    head = fitted_head(x, labels, classes, l2=ridge, texts=texts)
    head.temperature = temperature
    position = {name: i for i, name in enumerate(classes)}
    truth = np.array([position[label] for label in labels])
    accuracy = float(np.mean(held_out.argmax(axis=1) == truth))
    report = {"l2": ridge, "temperature": round(temperature, 4), "cv_accuracy": round(accuracy, 4)}
    return head, held_out, report


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
