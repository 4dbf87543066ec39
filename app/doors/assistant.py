"""Assembles the answer pipeline from settings: one place, used by the chat app,
`supportbot ask` and `supportbot eval`, so all three answer the same way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.actions.config import ActionsFileError, load_actions
from app.actions.runner import ActionRunner, Observe
from app.doors.triage_models import current_triage
from app.ground.config import Settings
from app.ground.embedding import Embedder
from app.ground.errors import AppError
from app.ground.products import ProductCatalog
from app.index.product_catalog import StoredCatalog
from app.index.protocols import IndexReader
from app.index.store import open_reader
from app.pipeline.answering import AnswerPipeline
from app.pipeline.generators.base import Generator
from app.pipeline.retrieval import HybridRetriever
from app.pipeline.triage import Triager


def load_override(root: Path) -> ProductCatalog:
    """`products.toml` of the data folder (optional): names, aliases and families that win
    over what ingest inferred."""
    try:
        return ProductCatalog.load(root)
    except ValueError as exc:
        raise AppError("config", str(exc)) from exc


def load_action_runner(settings: Settings, observe: Observe | None = None) -> ActionRunner | None:
    """The look-ups declared in actions.toml that may run; None when none may (no file, or
    no allowlisted host): then the chat works as if actions did not exist."""
    try:
        book = load_actions(settings.actions_path, settings.actions)
    except ActionsFileError as exc:
        raise AppError("config", str(exc)) from exc
    return ActionRunner(book, settings.actions, observe) if book.actions else None


def load_catalog(settings: Settings, root: Path | None = None) -> ProductCatalog:
    """The product names customers may use: the catalog ingest inferred and stored beside
    the index, with `products.toml` of `root` (default: the data folder) merged on top."""
    override = load_override(root if root is not None else settings.data_dir)
    return StoredCatalog.load(settings.index_dir).extend(override)


def make_generator(settings: Settings) -> Generator | None:
    """The configured model server's generator; None means the extractive default.

    With a routing endpoint configured, the small model hands the questions it is unsure of
    to the larger one (app/pipeline/generators/routing.py).
    """
    if not settings.model.base_url:
        return None
    from app.db.engine import make_engine
    from app.db.promotions import PromotedModelName
    from app.pipeline.generators.vllm import VllmGenerator

    # `supportbot finetune promote` switches the model by a database row, not by settings.
    promoted = PromotedModelName(make_engine(settings.resolved_database_url), settings.model.name)
    small = VllmGenerator(settings.model, model_name=promoted)
    if not settings.routing.base_url:
        return small
    from app.pipeline.generators.routing import RoutingGenerator

    return RoutingGenerator(
        small,
        VllmGenerator(settings.routing, route="large"),
        min_confidence=settings.routing.min_confidence,
        probe_tokens=settings.routing.probe_tokens,
    )


def build_pipeline(
    settings: Settings,
    reader: IndexReader,
    embedder: Embedder,
    *,
    catalog: ProductCatalog,
    generator: Generator | None = None,
) -> AnswerPipeline:
    retriever = HybridRetriever(reader, embedder, settings.retrieval)
    return AnswerPipeline(
        retriever,
        catalog,
        settings.answer,
        generator=generator or make_generator(settings),
        triager=Triager(catalog, embedder, current_triage(settings, embedder)),
    )


@contextmanager
def open_pipeline(settings: Settings, embedder: Embedder) -> Iterator[AnswerPipeline]:
    """The pipeline over the live index, closed on exit."""
    reader = open_reader(settings)
    try:
        yield build_pipeline(settings, reader, embedder, catalog=load_catalog(settings))
    finally:
        reader.close()
