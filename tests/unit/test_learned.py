"""The learned triage's pure parts: taxonomy errors, the model store, heads on synthetic data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from app.doors.cli import build_parser
from app.ground.errors import AppError
from app.learned.features import WORD_BUCKETS, word_vectors
from app.learned.heads import train_head
from app.learned.intents import load_taxonomy
from app.learned.models import LearnedTriage, save_trained
from app.learned.store import ModelStore
from app.learned.suites import ComplaintExample, IntentExample, first_shots, split_of
from app.learned.training import (
    best_f1_threshold,
    best_oos_threshold,
    train_complaint,
    train_intents,
)

# ---- taxonomy ------------------------------------------------------------------------------


def _toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "intents.toml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD = """
[[intent]]
name = "how_to"
route = "answer"
examples = ["How do I reset it?", "How do I set up Wi-Fi?"]

[[intent]]
name = "billing"
route = "queue:billing"
examples = ["Why was I charged twice?"]
"""


def test_taxonomy_reads_routes(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(_toml(tmp_path, GOOD))
    assert taxonomy.routes() == {"how_to": "answer", "billing": "queue:billing"}
    assert taxonomy.route(None) == "answer"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('route = "queue:billing"', 'route = "email:billing"'), "unknown route 'email:billing'"),
        (('examples = ["Why was I charged twice?"]', "examples = []"), "'billing': no examples"),
        (('name = "billing"', 'name = "how_to"'), "'how_to': duplicate name"),
        (('name = "billing"', 'name = "Billing Team"'), "lower_snake_case"),
    ],
)
def test_taxonomy_errors_name_the_intent(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(AppError) as raised:
        load_taxonomy(_toml(tmp_path, GOOD.replace(*change)))
    assert message in raised.value.message
    assert "intents.toml" in raised.value.message


def test_taxonomy_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(AppError, match="no such intent taxonomy"):
        load_taxonomy(tmp_path / "absent.toml")
    with pytest.raises(AppError, match="not valid TOML"):
        load_taxonomy(_toml(tmp_path, "[[intent]\nname="))


def test_shipped_taxonomy_is_valid() -> None:
    repo = Path(__file__).resolve().parents[2]
    taxonomy = load_taxonomy(repo / "data" / "intents.toml")
    assert len(taxonomy.intents) >= 8
    assert all(5 <= len(i.examples) <= 10 for i in taxonomy.intents)


# ---- store ---------------------------------------------------------------------------------


def _arrays(value: float) -> dict[str, np.ndarray]:
    return {"weights": np.full((2, 2), value, dtype=np.float32)}


def test_store_versions_current_and_previous(tmp_path: Path) -> None:
    store = ModelStore(tmp_path, "complaint")
    first = store.save(_arrays(1.0), {"scores": {"f1": 0.5}})
    second = store.save(_arrays(2.0), {})
    third = store.save(_arrays(3.0), {})
    assert len({first, second, third}) == 3
    assert store.current_version() == third and store.previous_version() == second
    assert not (store.root / first).exists()  # only current and previous are kept
    loaded = store.load()
    assert loaded.arrays["weights"][0, 0] == 3.0
    assert loaded.manifest["task"] == "complaint" and loaded.manifest["version"] == third
    assert not [p for p in store.root.iterdir() if p.name.startswith(".")]


def test_corrupt_current_names_the_file_and_previous_serves(tmp_path: Path) -> None:
    store = ModelStore(tmp_path, "intent")
    store.save(_arrays(1.0), {})
    current = store.save(_arrays(2.0), {})
    weights = store.root / current / "weights.npz"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(AppError) as raised:
        store.load()
    assert str(weights) in raised.value.message and "corrupt" in raised.value.message
    serving = store.load_serving()
    assert serving.arrays["weights"][0, 0] == 1.0
    assert serving.fallback_reason and str(weights) in serving.fallback_reason


def test_missing_manifest_and_no_model(tmp_path: Path) -> None:
    store = ModelStore(tmp_path, "sentiment")
    with pytest.raises(AppError, match="no sentiment model"):
        store.load()
    version = store.save(_arrays(1.0), {})
    (store.root / version / "manifest.json").unlink()
    with pytest.raises(AppError, match="manifest.json: missing"):
        store.load_serving()  # no previous version to fall back on


# ---- heads ---------------------------------------------------------------------------------


def _clusters(seed: int, per_class: int) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = np.eye(3, 16, dtype=np.float32)
    vectors, labels = [], []
    for index, name in enumerate(("a", "b", "c")):
        points = centres[index] + 0.2 * rng.standard_normal((per_class, 16)).astype(np.float32)
        vectors.append(points / np.linalg.norm(points, axis=1, keepdims=True))
        labels += [name] * per_class
    return np.concatenate(vectors), labels


def test_head_learns_calibrates_and_explains() -> None:
    x, y = _clusters(0, 30)
    dev_x, dev_y = _clusters(1, 10)
    texts = [f"{label}-{i}" for i, label in enumerate(y)]
    head, report = train_head(x, y, texts=texts, dev_vectors=dev_x, dev_labels=dev_y)
    assert report["dev_accuracy"] == 1.0 and report["temperature"] > 0
    labels, top = head.predict_many(dev_x)
    assert labels == dev_y and float(top.min()) > 0.5
    explanation = head.explain(dev_x[0])
    assert explanation.prediction.label == "a"
    assert [n.label for n in explanation.nearest] == ["a", "a", "a"]
    head.threshold = 0.99
    odd = np.ones(16, dtype=np.float32) / 4.0  # equally far from every class
    assert head.predict(odd).label is None


def test_thresholds_chosen_on_held_out_scores() -> None:
    scores = np.array([0.9, 0.8, 0.6, 0.4, 0.2], dtype=np.float32)
    assert best_f1_threshold(scores, [True, True, True, False, False]) == pytest.approx(0.5)
    top = np.array([0.9, 0.8, 0.3, 0.2], dtype=np.float32)
    correct = np.array([True, True, False, False])
    oos = np.array([False, False, True, True])
    assert best_oos_threshold(top, correct, oos) == pytest.approx(0.8)
    # An explicit operating point: refusing half the in-scope messages is allowed.
    assert best_oos_threshold(top, correct, oos, max_refused=0.5) == pytest.approx(0.9)
    assert best_oos_threshold(top, correct, oos, max_refused=0.0) == pytest.approx(0.8)


def test_split_is_stable_and_shares_are_close() -> None:
    splits = [split_of(f"m-{i}") for i in range(2000)]
    assert splits == [split_of(f"m-{i}") for i in range(2000)]
    assert 0.12 < splits.count("test") / 2000 < 0.18
    examples = [IntentExample(f"t{i}", "x" if i % 2 else "y") for i in range(10)]
    assert [e.text for e in first_shots(examples, 2)] == ["t0", "t1", "t2", "t3"]


# ---- training and run time with a stand-in encoder ----------------------------------------


class WordHashEmbedder:
    """Bag of hashed words: enough signal for a linear head, no model to load."""

    dimension = 64

    def embed_documents(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        if progress is not None:
            progress(len(texts))
        return np.stack([self.embed_query(t) for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in text.lower().split():
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        return vector / max(float(np.linalg.norm(vector)), 1e-6)

    def forget_queries(self) -> None:
        pass


def _complaints() -> list[ComplaintExample]:
    bad = ["terrible awful service", "worst support ever awful", "refund now terrible"]
    fine = ["how do i reset wifi", "where is the manual", "thanks great help"]
    rows = []
    for i in range(60):
        complaint = i % 2 == 0
        text = (bad if complaint else fine)[i % 3] + f" case{i}"
        sentiment = "negative" if complaint else ("positive" if "thanks" in text else "neutral")
        rows.append(ComplaintExample(f"id-{i}", text, complaint, sentiment))
    return rows


def test_trained_heads_are_stored_and_assess(tmp_path: Path) -> None:
    embedder = WordHashEmbedder()
    for trained in train_complaint(_complaints(), embedder):
        save_trained(tmp_path, trained)
    intents = [IntentExample(t, "how_to") for t in ("how do i reset", "how do i set up wifi")]
    intents += [IntentExample(t, "billing") for t in ("charged twice invoice", "refund my bill")]
    save_trained(tmp_path, train_intents(intents, embedder, routes={"billing": "queue:billing"}))
    triage = LearnedTriage(tmp_path, embedder)  # type: ignore[arg-type]
    angry = triage.assess("awful terrible service refund", explain=True)
    assert angry.complaint is True and angry.sentiment == "negative"
    assert angry.sentiment_score is not None and angry.sentiment_score < 0
    assert "complaint" in angry.explanations
    calm = triage.assess("how do i reset wifi")
    assert calm.complaint is False and calm.intent == "how_to" and calm.route == "answer"
    assert triage.assess("invoice charged twice").route == "queue:billing"
    manifest_path = next((tmp_path / "models" / "complaint").glob("*/manifest.json"))
    manifest = json.loads(manifest_path.read_text())
    assert manifest["data_fingerprint"] and manifest["report"]["train"] > 0
    # The only complaint version broken: complaint is left to the rules, the others serve.
    manifest_path.write_text("{not json")
    degraded = LearnedTriage(tmp_path, embedder)  # type: ignore[arg-type]
    assert "manifest.json" in degraded.problems["complaint"]
    result = degraded.assess("awful terrible service refund")
    assert result.complaint is None and result.sentiment == "negative"


def test_word_features_are_stable_unit_length_and_see_tone() -> None:
    rows = word_vectors(["The Wi-Fi drops", "the wi-fi DROPS", "", "The Wi-Fi drops. Useless!"])
    assert rows.shape == (4, WORD_BUCKETS)
    assert np.allclose(np.linalg.norm(rows[[0, 1, 3]], axis=1), 1.0) and not rows[2].any()
    assert np.array_equal(rows[0], rows[1])  # case does not matter; the hash is stable
    assert float(rows[0] @ rows[3]) < 0.99  # the added word changes what the head reads


def test_complaint_heads_read_words_and_are_cross_fitted_without_a_dev_set(
    tmp_path: Path,
) -> None:
    complaint, sentiment = train_complaint(_complaints(), WordHashEmbedder())
    assert complaint.features == sentiment.features == "sentence+words"
    assert complaint.report["folds"] == 5 and complaint.report["train"] == 60
    assert complaint.head.weights.shape[0] == WordHashEmbedder.dimension + WORD_BUCKETS
    version = save_trained(tmp_path, complaint)
    manifest_path = tmp_path / "models" / "complaint" / version / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["features"] == "sentence+words"
    manifest["features"] = "sentence+pixels"
    manifest_path.write_text(json.dumps(manifest))
    broken = LearnedTriage(tmp_path, WordHashEmbedder())  # type: ignore[arg-type]
    assert "unknown features 'sentence+pixels'" in broken.problems["complaint"]


# ---- the commands' parser ------------------------------------------------------------------


def test_the_cli_has_the_triage_commands(tmp_path: Path) -> None:
    parser = build_parser()
    args = parser.parse_args(["eval-intents", "suite", "--shots", "10", "--json"])
    assert args.shots == 10 and args.json and callable(args.func)
    args = parser.parse_args(["triage", "train", "--complaints", "c.jsonl"])
    assert args.complaints == "c.jsonl" and args.intents is None
    not_a_suite = tmp_path / "empty"
    not_a_suite.mkdir()
    args = parser.parse_args(["eval-intents", str(not_a_suite)])
    with pytest.raises(AppError, match="not an intent suite"):
        args.func(args)
