"""The learned triage at run time: stored heads in, one assessment per message out.

`save_trained` turns a trained head into store arrays plus a manifest; `LearnedTriage`
loads the current complaint, sentiment and intent models (each optional: a task never trained
is simply absent) and answers, for one message and a single embedding, the complaint
probability and verdict, a sentiment label with a VADER-like score in [-1, 1], and the intent
with its route (None and the fallback route when out of scope), with an explanation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.ground.embedding import Embedder
from app.ground.errors import AppError
from app.learned.features import FEATURE_SETS, features
from app.learned.heads import Explanation, LinearHead, Vectors
from app.learned.store import ModelStore, StoredModel, fingerprint
from app.learned.training import TrainedHead

TASKS = ("complaint", "sentiment", "intent")

log = logging.getLogger(__name__)


def save_trained(home: Path, trained: TrainedHead, extra: dict[str, Any] | None = None) -> str:
    """Store one trained head as a new current version; returns the version."""
    head = trained.head
    arrays: dict[str, npt.NDArray[Any]] = {
        "weights": head.weights,
        "bias": head.bias,
        "exemplars": head.exemplars.astype(np.float16),
        "exemplar_labels": head.exemplar_labels,
        "exemplar_texts": np.array(head.exemplar_texts, dtype=np.str_),
    }
    manifest = {
        "labels": list(head.labels),
        "temperature": head.temperature,
        "threshold": head.threshold,
        "decision_threshold": trained.decision_threshold,
        "routes": trained.routes,
        "features": trained.features,
        "report": trained.report,
        "data_fingerprint": fingerprint(trained.texts, trained.labels),
        **(extra or {}),
    }
    return ModelStore(home, trained.task).save(arrays, manifest)


def head_from_stored(model: StoredModel) -> LinearHead:
    if model.manifest.get("features", "sentence") not in FEATURE_SETS:
        raise AppError(
            "model",
            f"{model.task} model {model.version}: unknown features "
            f"{model.manifest.get('features')!r} (a newer supportbot wrote it?)",
        )
    try:
        arrays, manifest = model.arrays, model.manifest
        return LinearHead(
            labels=tuple(str(label) for label in manifest["labels"]),
            weights=arrays["weights"].astype(np.float32),
            bias=arrays["bias"].astype(np.float32),
            temperature=float(manifest["temperature"]),
            threshold=float(manifest["threshold"]),
            exemplars=arrays["exemplars"].astype(np.float32),
            exemplar_labels=arrays["exemplar_labels"].astype(np.int64),
            exemplar_texts=tuple(str(t) for t in arrays["exemplar_texts"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise AppError(
            "model", f"{model.task} model {model.version}: incomplete artifacts ({exc})"
        ) from exc


@dataclass(frozen=True)
class Assessment:
    complaint: bool | None
    complaint_probability: float | None
    sentiment: str | None
    sentiment_score: float | None  # P(positive) - P(negative), like VADER's compound
    intent: str | None
    intent_probability: float | None
    route: str
    explanations: dict[str, Explanation]


class LearnedTriage:
    """Whichever of the three models are stored, loaded once; `assess` is thread-safe.

    A task whose current model is broken is served by its previous version; one with no
    loadable version is absent (its fields are None) and `problems` says which file is bad.
    """

    def __init__(self, home: Path, embedder: Embedder) -> None:
        self.embedder = embedder
        self.heads: dict[str, LinearHead] = {}
        self.manifests: dict[str, dict[str, Any]] = {}
        self.problems: dict[str, str] = {}
        for task in TASKS:
            store = ModelStore(home, task)
            if store.current_version() is None:
                continue
            try:
                model = store.load_serving()  # the previous version if current is broken
                self.heads[task] = head_from_stored(model)
            except AppError as problem:
                # No version of this task loads: leave it out, so the caller's rules decide
                # it, and say why (the message names the broken file).
                log.error("%s model not loaded: %s", task, problem.message)
                self.problems[task] = problem.message
                continue
            self.manifests[task] = model.manifest
            if model.fallback_reason:
                self.problems[task] = model.fallback_reason

    def assess(self, text: str, *, explain: bool = False) -> Assessment:
        sentence = self.embedder.embed_query(text)
        read: dict[str, Vectors] = {}  # by feature set: complaint and sentiment share one

        def vector_for(task: str) -> Vectors:
            """What the task's head reads (older models: the sentence embedding alone)."""
            feature_set = self.manifests[task].get("features", "sentence")
            if feature_set not in read:
                read[feature_set] = features(feature_set, sentence, [text])
            return read[feature_set]

        explanations: dict[str, Explanation] = {}
        complaint = probability = sentiment_score = intent_probability = None
        sentiment = intent = None
        route = "answer"
        head = self.heads.get("complaint")
        if head is not None:
            vector = vector_for("complaint")
            probability = float(head.probabilities(vector)[0, head.index("complaint")])
            cut = self.manifests["complaint"].get("decision_threshold") or 0.5
            complaint = probability >= float(cut)
            if explain:
                explanations["complaint"] = head.explain(vector)
        head = self.heads.get("sentiment")
        if head is not None:
            vector = vector_for("sentiment")
            probs = head.probabilities(vector)[0]
            sentiment = head.labels[int(np.argmax(probs))]
            share = dict(zip(head.labels, probs.tolist(), strict=True))
            sentiment_score = share.get("positive", 0.0) - share.get("negative", 0.0)
            if explain:
                explanations["sentiment"] = head.explain(vector)
        head = self.heads.get("intent")
        if head is not None:
            vector = vector_for("intent")
            prediction = head.predict(vector)
            intent, intent_probability = prediction.label, prediction.probability
            route = self.manifests["intent"].get("routes", {}).get(intent, "answer")
            if explain:
                explanations["intent"] = head.explain(vector)
        return Assessment(
            complaint,
            probability,
            sentiment,
            sentiment_score,
            intent,
            intent_probability,
            route,
            explanations,
        )
