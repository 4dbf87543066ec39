"""The learned triage models a running system uses: trained from their sources, kept current.

Complaint and sentiment learn from a complaint suite (by default the examples shipped in
app/learned/defaults/, written for support in general); intent learns from the company's
taxonomy, `DATA_DIR/intents.toml`. `supportbot triage train` trains on demand (any source);
`current_triage` is what the chat, `supportbot ask`/`eval` and the nightly ingest call: it
loads the stored models and trains a task first when none is stored, or when the stored one
was trained from the same source file as today's and that file has changed since (a model an
operator trained from another file is theirs and is left alone). Every training writes a new
version (app/learned/store.py), so the previous one stays on disk.

Training the shipped defaults takes a few seconds (embedding about 400 sentences); a process
that sets up many homes (the tests) trains each source once and stores the same heads again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.ground.config import Settings
from app.ground.embedding import Embedder
from app.ground.errors import AppError
from app.learned.intents import load_taxonomy
from app.learned.models import LearnedTriage, save_trained
from app.learned.store import ModelStore
from app.learned.suites import first_shots, load_complaint_suite, load_intent_file
from app.learned.training import TrainedHead, taxonomy_examples, train_complaint, train_intents

log = logging.getLogger(__name__)

SHIPPED_COMPLAINTS = (
    Path(__file__).resolve().parents[1] / "learned" / "defaults" / "complaint_examples.jsonl"
)

_trained: dict[tuple[str, str], list[TrainedHead]] = {}  # by (source, content digest)
_trained_lock = threading.Lock()


def source_digest(path: Path) -> str:
    """SHA-256 of a training source (a file, or an intent suite's train and val files)."""
    digest = hashlib.sha256()
    files = [path / "train.jsonl", path / "val.jsonl"] if path.is_dir() else [path]
    for file in files:
        if file.is_file():
            digest.update(file.read_bytes())
    return digest.hexdigest()


def train_complaint_models(source: Path, embedder: Embedder) -> list[TrainedHead]:
    """The complaint head and, when the examples carry sentiment, the sentiment head."""
    return train_complaint(load_complaint_suite(source), embedder)


def train_intent_model(source: Path, embedder: Embedder) -> TrainedHead:
    """The intent head from `intents.toml`, or from an intent suite's folder (train, val)."""
    if source.is_dir():
        train = first_shots(load_intent_file(source / "train.jsonl"), None)
        dev_file = source / "val.jsonl"
        dev = load_intent_file(dev_file) if dev_file.exists() else []
        return train_intents(train, embedder, dev=dev)
    taxonomy = load_taxonomy(source)
    return train_intents(taxonomy_examples(taxonomy), embedder, routes=taxonomy.routes())


def store_trained(settings: Settings, trained: list[TrainedHead], source: Path) -> dict[str, Any]:
    """Save each head as its task's new current version; their reports by task."""
    results: dict[str, Any] = {}
    provenance = {"source": str(source.resolve()), "source_sha256": source_digest(source)}
    for head in trained:
        version = save_trained(settings.home, head, provenance)
        results[head.task] = {"version": version, **head.report}
    return results


def train_models(
    settings: Settings,
    embedder: Embedder,
    *,
    complaints: Path | None = None,
    intents: Path | None = None,
) -> dict[str, Any]:
    """Train and store complaint/sentiment (shipped examples by default) and intent
    (`DATA_DIR/intents.toml` by default, skipped when there is none); their reports."""
    complaint_source = complaints or SHIPPED_COMPLAINTS
    results = store_trained(
        settings, train_complaint_models(complaint_source, embedder), complaint_source
    )
    intent_source = intents or settings.data_dir / "intents.toml"
    if intents is None and not intent_source.exists():
        return results  # no taxonomy written yet: complaint and sentiment only
    results.update(
        store_trained(settings, [train_intent_model(intent_source, embedder)], intent_source)
    )
    return results


def _needs_training(settings: Settings, task: str, source: Path) -> bool:
    """No model stored, or one trained from this very file before it changed."""
    store = ModelStore(settings.home, task)
    if store.current_version() is None:
        return True
    try:
        manifest = store.load_serving().manifest
    except AppError:
        return True  # nothing loadable: a fresh version is better than no model at all
    if manifest.get("source") != str(source.resolve()):
        return False  # trained by an operator from another file: theirs to replace
    return bool(manifest.get("source_sha256") != source_digest(source))


def _trained_once(
    source: Path, train: Callable[[Path, Embedder], list[TrainedHead]], embedder: Embedder
) -> list[TrainedHead]:
    """Train from a source once per process and content (many homes, one training)."""
    key = (str(source.resolve()), source_digest(source))
    with _trained_lock:
        if key not in _trained:
            _trained[key] = train(source, embedder)
        return _trained[key]


def refresh_models(settings: Settings, embedder: Callable[[], Embedder]) -> list[str]:
    """Train the tasks whose models are missing or behind their source; the tasks trained.

    `embedder` is called only when something needs training (loading it takes seconds). A bad
    `intents.toml` is reported (AppError) and the intent model already stored keeps serving;
    the complaint models do not depend on it.
    """
    refreshed: list[str] = []
    if _needs_training(settings, "complaint", SHIPPED_COMPLAINTS):
        heads = _trained_once(SHIPPED_COMPLAINTS, train_complaint_models, embedder())
        store_trained(settings, heads, SHIPPED_COMPLAINTS)
        refreshed += [head.task for head in heads]
    taxonomy = settings.data_dir / "intents.toml"
    if taxonomy.is_file() and _needs_training(settings, "intent", taxonomy):
        heads = _trained_once(taxonomy, lambda path, e: [train_intent_model(path, e)], embedder())
        store_trained(settings, heads, taxonomy)
        refreshed.append("intent")
    return refreshed


def current_triage(settings: Settings, embedder: Embedder) -> LearnedTriage:
    """The stored models, brought up to date first; a taxonomy that cannot be trained is
    logged with its problem and the stored intent model (if any) serves."""
    try:
        trained = refresh_models(settings, lambda: embedder)
    except AppError as problem:
        log.error("triage models not retrained: %s", problem.message)
    else:
        if trained:
            log.info("triage models trained: %s", ", ".join(trained))
    return LearnedTriage(settings.home, embedder)
