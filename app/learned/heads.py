"""A classifier head on sentence embeddings: multinomial logistic regression, calibrated.

Why a linear head on a frozen encoder: the encoder is already loaded for retrieval, so a
message costs one embedding (~7 ms on a CPU) plus a matrix product; training on thousands of
examples takes seconds on two cores, so a support team can retrain from its own examples
whenever its taxonomy changes. The head owns its probabilities (softmax of logits divided by
a temperature fitted on held-out data, so "0.8" means right about 80 % of the time), an
acceptance threshold (below it the message belongs to no class: out of scope), and an
explanation (the nearest training examples by cosine, the strongest classes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

# Ridge strengths tried when a development split exists (the one with the best held-out
# log-loss wins); without one, the middle value. Embeddings are unit length, so useful weights
# are large and the penalty small.
L2_GRID = (1e-3, 1e-4, 1e-5)
DEFAULT_L2 = 1e-4
# Nearest examples kept per class for explanations (bounds the stored size on big suites).
EXEMPLARS_PER_CLASS = 40


@dataclass(frozen=True)
class Prediction:
    """The head's verdict on one message. `label` is None when it is out of scope."""

    label: str | None
    probability: float
    top: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Neighbour:
    text: str
    label: str
    cosine: float


@dataclass(frozen=True)
class Explanation:
    prediction: Prediction
    nearest: tuple[Neighbour, ...]


@dataclass
class LinearHead:
    """Weights (d x k), bias (k), class names, temperature, threshold and exemplars."""

    labels: tuple[str, ...]
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    temperature: float = 1.0
    threshold: float = 0.0
    exemplars: Vectors = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    exemplar_labels: npt.NDArray[np.int64] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )
    exemplar_texts: tuple[str, ...] = ()

    def logits(self, vectors: Vectors) -> npt.NDArray[np.float32]:
        result: npt.NDArray[np.float32] = (vectors @ self.weights + self.bias).astype(np.float32)
        return result

    def probabilities(self, vectors: Vectors) -> npt.NDArray[np.float32]:
        """Calibrated class probabilities, one row per vector."""
        return softmax(self.logits(np.atleast_2d(vectors)) / self.temperature)

    def index(self, label: str) -> int:
        return self.labels.index(label)

    def predict(self, vector: Vectors, *, top: int = 3) -> Prediction:
        """The most probable class, or None below the threshold (out of scope)."""
        probs = self.probabilities(vector)[0]
        order = np.argsort(-probs)[:top]
        ranked = tuple((self.labels[i], round(float(probs[i]), 4)) for i in order)
        best = float(probs[order[0]])
        label = self.labels[order[0]] if best >= self.threshold else None
        return Prediction(label, best, ranked)

    def predict_many(self, vectors: Vectors) -> tuple[list[str | None], npt.NDArray[np.float32]]:
        """Labels (None when out of scope) and top probabilities of many vectors at once."""
        probs = self.probabilities(vectors)
        best = probs.max(axis=1)
        labels = [
            self.labels[i] if p >= self.threshold else None
            for i, p in zip(probs.argmax(axis=1), best, strict=True)
        ]
        return labels, best

    def explain(self, vector: Vectors, *, nearest: int = 3) -> Explanation:
        """The prediction with the training examples closest to the message."""
        prediction = self.predict(vector)
        neighbours: tuple[Neighbour, ...] = ()
        if len(self.exemplar_texts):
            cosines = self.exemplars.astype(np.float32) @ np.asarray(vector).reshape(-1)
            order = np.argsort(-cosines)[:nearest]
            neighbours = tuple(
                Neighbour(
                    self.exemplar_texts[i],
                    self.labels[int(self.exemplar_labels[i])],
                    round(float(cosines[i]), 4),
                )
                for i in order
            )
        return Explanation(prediction, neighbours)


def softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: npt.NDArray[np.float32] = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
    return result


def fit_weights(
    vectors: Vectors, targets: npt.NDArray[np.int64], classes: int, *, l2: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Minimise mean cross-entropy + l2 * |W|^2 by full-batch L-BFGS (convex: one optimum)."""
    import torch

    torch.manual_seed(0)
    x = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))
    y = torch.from_numpy(np.asarray(targets, dtype=np.int64))
    weights = torch.zeros((x.shape[1], classes), requires_grad=True)
    bias = torch.zeros(classes, requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [weights, bias], lr=1.0, max_iter=300, history_size=20, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ weights + bias, y)
        loss = loss + l2 * (weights * weights).sum()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimiser.step(closure)  # type: ignore[no-untyped-call]
    return (
        weights.detach().numpy().astype(np.float32),
        bias.detach().numpy().astype(np.float32),
    )


def log_loss(probs: npt.NDArray[np.float32], targets: npt.NDArray[np.int64]) -> float:
    picked = probs[np.arange(len(targets)), targets]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))


def fit_temperature(logits: npt.NDArray[np.float32], targets: npt.NDArray[np.int64]) -> float:
    """The temperature that minimises held-out log-loss (a 1-D search over a log grid)."""
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    losses = [log_loss(softmax(logits / t), targets) for t in grid]
    return float(grid[int(np.argmin(losses))])


def train_head(
    vectors: Vectors,
    labels: Sequence[str],
    *,
    texts: Sequence[str] = (),
    classes: Sequence[str] | None = None,
    dev_vectors: Vectors | None = None,
    dev_labels: Sequence[str] = (),
) -> tuple[LinearHead, dict[str, float]]:
    """Train a head; with a development split, pick the ridge and temperature on it.

    Returns the head and a small report (the chosen l2, the temperature, dev log-loss and
    accuracy). Development messages whose label is not a class (out of scope) are ignored
    here; the threshold is the caller's business (it depends on what the task rewards).
    """
    names = tuple(classes) if classes is not None else tuple(sorted(set(labels)))
    if len(names) < 2:
        raise ValueError("a classifier needs at least two classes")
    position = {name: i for i, name in enumerate(names)}
    y = np.array([position[label] for label in labels], dtype=np.int64)
    dev_y = np.zeros(0, dtype=np.int64)
    dev_x: Vectors | None = None
    if dev_vectors is not None and len(dev_labels):
        keep = [i for i, label in enumerate(dev_labels) if label in position]
        if keep:
            dev_x = dev_vectors[keep]
            dev_y = np.array([position[dev_labels[i]] for i in keep], dtype=np.int64)
    report: dict[str, float] = {}
    if dev_x is None:
        report["l2"] = DEFAULT_L2
        return fitted_head(vectors, labels, names, l2=DEFAULT_L2, texts=texts), report
    best: tuple[float, LinearHead, float] | None = None
    for l2 in L2_GRID:
        weights, bias = fit_weights(vectors, y, len(names), l2=l2)
        candidate = LinearHead(names, weights, bias)
        logits = candidate.logits(dev_x)
        candidate.temperature = fit_temperature(logits, dev_y)
        loss = log_loss(candidate.probabilities(dev_x), dev_y)
        if best is None or loss < best[0]:
            best = (loss, candidate, l2)
    assert best is not None
    loss, head, l2 = best
    predicted = head.probabilities(dev_x).argmax(axis=1)
    report.update(
        l2=l2,
        temperature=round(head.temperature, 4),
        dev_log_loss=round(loss, 4),
        dev_accuracy=round(float(np.mean(predicted == dev_y)), 4),
    )
    head.exemplars, head.exemplar_labels, head.exemplar_texts = _exemplars(vectors, y, texts)
    return head, report


def fitted_head(
    vectors: Vectors,
    labels: Sequence[str],
    classes: Sequence[str],
    *,
    l2: float,
    texts: Sequence[str] = (),
) -> LinearHead:
    """A head fitted on every row with a given ridge (temperature 1: the caller's to set)."""
    names = tuple(classes)
    position = {name: i for i, name in enumerate(names)}
    y = np.array([position[label] for label in labels], dtype=np.int64)
    weights, bias = fit_weights(vectors, y, len(names), l2=l2)
    head = LinearHead(names, weights, bias)
    head.exemplars, head.exemplar_labels, head.exemplar_texts = _exemplars(vectors, y, texts)
    return head


def _exemplars(
    vectors: Vectors, targets: npt.NDArray[np.int64], texts: Sequence[str]
) -> tuple[Vectors, npt.NDArray[np.int64], tuple[str, ...]]:
    """The first few examples of each class (file order), for nearest-example explanations."""
    if not texts:
        return np.zeros((0, vectors.shape[1]), dtype=np.float32), np.zeros(0, np.int64), ()
    seen: dict[int, int] = {}
    keep: list[int] = []
    for i, target in enumerate(targets.tolist()):
        if seen.get(target, 0) < EXEMPLARS_PER_CLASS:
            seen[target] = seen.get(target, 0) + 1
            keep.append(i)
    return (
        vectors[keep].astype(np.float32),
        targets[keep],
        tuple(texts[i] for i in keep),
    )
