"""The learned triage's acceptance figures (issue 14), each on a split nothing was tuned on.

    .venv/bin/python benchmarks/triage_models.py [--json] [--datasets ../shared/datasets]

- CLINC150 intents, full training data and 10 shots per intent: train on train.jsonl,
  out-of-scope threshold on val.jsonl, in-scope accuracy / OOS recall / macro-F1 on test.jsonl.
- Airline tweets (CC BY-NC-SA: measured, never shipped): a 70/15/15 split by id hash; the
  complaint threshold and ridge are chosen on dev, F1 and macro-F1 reported on test.
- The shipped default (complaint + sentiment heads trained on
  app/learned/defaults/complaint_examples.jsonl, intents on data/intents.toml): complaint F1 on
  benchmarks/complaints_unseen (a test set: never trained or tuned on), and the share of the
  demo suite's plain questions it calls complaints.
- Latency of one full learned triage (embedding, complaint, sentiment, intent) per message.

Prints a line per figure, and with --json one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from app.ground.embedding import SentenceTransformerEmbedder, Vectors  # noqa: E402
from app.ground.measures import binary_scores, percentile  # noqa: E402
from app.learned.evaluate import evaluate_intent_suite, latency_ms  # noqa: E402
from app.learned.features import features  # noqa: E402
from app.learned.intents import load_taxonomy  # noqa: E402
from app.learned.models import LearnedTriage, save_trained  # noqa: E402
from app.learned.suites import load_complaint_suite, split_of  # noqa: E402
from app.learned.training import (  # noqa: E402
    taxonomy_examples,
    train_complaint,
    train_intents,
)

REPO = Path(__file__).resolve().parents[1]


class CachedEmbedder:
    """The real embedder, remembering document vectors so two runs on a suite embed once."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.dimension = inner.dimension
        self.cache: dict[str, np.ndarray] = {}

    def embed_documents(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> Vectors:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            for text, vector in zip(missing, self.inner.embed_documents(missing), strict=True):
                self.cache[text] = vector
        if progress is not None:
            progress(len(texts))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> Vectors:
        return self.inner.embed_query(text)

    def load(self, path: Path) -> None:
        if path.is_file():
            with np.load(path, allow_pickle=False) as data:
                self.cache.update(zip(data["texts"].tolist(), data["vectors"], strict=True))

    def save(self, path: Path) -> None:
        texts = list(self.cache)
        vectors = np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, 1))
        np.savez(path, texts=np.array(texts, dtype=np.str_), vectors=vectors)

    def forget_queries(self) -> None:
        self.inner.forget_queries()


def airline(embedder: CachedEmbedder, path: Path) -> dict[str, object]:
    messages = load_complaint_suite(path)
    parts = {
        name: [m for m in messages if split_of(m.id) == name] for name in ("train", "dev", "test")
    }
    started = time.perf_counter()
    complaint, sentiment = train_complaint(parts["train"], embedder, dev=parts["dev"])
    seconds = time.perf_counter() - started
    test = parts["test"]
    texts = [m.text for m in test]
    x = features(complaint.features, embedder.embed_documents(texts), texts)
    scores = complaint.head.probabilities(x)[:, 1]
    cut = complaint.decision_threshold or 0.5
    figures = binary_scores([m.complaint for m in test], [bool(s >= cut) for s in scores])
    predicted = np.array(sentiment.head.labels)[sentiment.head.probabilities(x).argmax(axis=1)]
    rated = [(m.sentiment, p) for m, p in zip(test, predicted, strict=True) if m.sentiment]
    return {
        "train": len(parts["train"]),
        "dev": len(parts["dev"]),
        "test": len(test),
        "complaint_f1": round(figures["f1"], 4),
        "macro_f1": round(figures["macro_f1"], 4),
        "precision": round(figures["precision"], 4),
        "recall": round(figures["recall"], 4),
        "threshold": round(cut, 4),
        "sentiment_accuracy": round(sum(g == p for g, p in rated) / len(rated), 4),
        "train_seconds": round(seconds, 1),
    }


def shipped_default(embedder: CachedEmbedder, home: Path) -> dict[str, object]:
    started = time.perf_counter()
    examples = load_complaint_suite(REPO / "app/learned/defaults/complaint_examples.jsonl")
    for trained in train_complaint(examples, embedder):
        save_trained(home, trained)
    taxonomy = load_taxonomy(REPO / "data/intents.toml")
    save_trained(
        home,
        train_intents(taxonomy_examples(taxonomy), embedder, routes=taxonomy.routes()),
    )
    seconds = time.perf_counter() - started
    triage = LearnedTriage(home, embedder)  # type: ignore[arg-type]
    unseen = load_complaint_suite(REPO / "benchmarks/complaints_unseen/messages.jsonl")
    verdicts = [bool(triage.assess(m.text).complaint) for m in unseen]
    figures = binary_scores([m.complaint for m in unseen], verdicts)
    questions = [
        json.loads(line)["question"]
        for line in (REPO / "benchmarks/suites/demo/questions.jsonl").read_text().splitlines()
        if line.strip()
    ]
    flagged = [q for q in questions if triage.assess(q).complaint]

    def one(text: str) -> object:
        embedder.forget_queries()
        return triage.assess(text)

    times = latency_ms([m.text for m in unseen] + questions, one)
    return {
        "train_seconds": round(seconds, 1),
        "unseen_complaint_f1": round(figures["f1"], 4),
        "unseen_macro_f1": round(figures["macro_f1"], 4),
        "unseen_precision": round(figures["precision"], 4),
        "unseen_recall": round(figures["recall"], 4),
        "demo_questions": len(questions),
        "demo_flagged_complaint": len(flagged),
        "demo_flagged_share": round(len(flagged) / len(questions), 4),
        "demo_flagged_examples": flagged[:5],
        "triage_p50_ms": round(percentile(times, 50), 2),
        "triage_p95_ms": round(percentile(times, 95), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", default=str(REPO.parent / "shared" / "datasets"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--cache", metavar="FILE.npz", help="keep document embeddings here between runs"
    )
    args = parser.parse_args()
    datasets = Path(args.datasets)
    started = time.perf_counter()
    embedder = CachedEmbedder(SentenceTransformerEmbedder())
    if args.cache:
        embedder.load(Path(args.cache))
    report: dict[str, object] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    clinc = datasets / "clinc150"
    if clinc.is_dir():
        report["clinc150_full"] = evaluate_intent_suite(clinc, embedder)  # type: ignore[arg-type]
        report["clinc150_10shot"] = evaluate_intent_suite(clinc, embedder, shots=10)  # type: ignore[arg-type]
        # The stated operating point: refuse at most 2 % of val's in-scope messages.
        for name, shots in (("full", None), ("10shot", 10)):
            report[f"clinc150_{name}_max_refused_0.02"] = evaluate_intent_suite(
                clinc,
                embedder,  # type: ignore[arg-type]
                shots=shots,
                max_refused=0.02,
            )
    else:
        print(f"skipping CLINC150: no {clinc}", file=sys.stderr)
    if args.cache:
        embedder.save(Path(args.cache))
    tweets = datasets / "airline-tweets" / "messages.jsonl"
    if tweets.is_file():
        report["airline"] = airline(embedder, tweets)
    else:
        print(f"skipping airline tweets: no {tweets}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as home:
        report["shipped_default"] = shipped_default(embedder, Path(home))
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.cache:
        embedder.save(Path(args.cache))
    for key, value in report.items():
        print(f"{key}: {value}")
    if args.json:
        print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
