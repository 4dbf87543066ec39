"""`supportbot finetune dataset | train | eval | promote`: the small model's lifecycle.

The work is app/finetune's; this door reads the command line and the settings, and for
`dataset` reads the source files with ingest's loaders (`read_sources`) and hands app/finetune
plain documents, so that the domain package never imports `ingest`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.doors.cli import common
from app.ground.config import Settings
from app.ground.errors import AppError

if TYPE_CHECKING:
    from app.finetune.pairs import SourceDocument, UnreadableSource


def cmd_dataset(args: argparse.Namespace) -> int:
    from app.finetune.dataset import build_dataset
    from app.index.store import open_reader
    from app.pipeline.retrieval import HybridRetriever

    config = common.settings()
    reader = open_reader(config)
    try:
        model = common.embedder(config)
        stats = build_dataset(
            read_sources([Path(p) for p in args.paths] or [config.data_dir]),
            Path(args.out),
            retriever=HybridRetriever(reader, model, config.retrieval),
            embedder=model,
            passages=args.passages or config.answer.passages,
            other_product_weight=config.answer.other_product_weight,
            validation_share=args.validation_share,
        )
    finally:
        reader.close()
    report = stats.to_json()
    print(
        f"{report['train']} training and {report['validation']} validation examples "
        f"({report['abstain_examples']} teach abstaining, {report['near_duplicates_removed']} "
        f"near-duplicates removed, {report['skipped']} sources skipped) -> {args.out}"
    )
    print(json.dumps(report))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from app.finetune.train import TrainOptions, train_adapter

    options = TrainOptions(
        steps=args.steps,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        rank=args.rank,
        alpha=args.rank * 2,
        max_length=args.max_length,
        validation_limit=args.validation_limit,
    )
    report = train_adapter(Path(args.dataset), Path(args.base), Path(args.out), options)
    print(
        f"adapter -> {args.out}: {report['steps']} steps on {report['examples']} examples "
        f"in {report['seconds']} s; train loss {report['train_loss_first']} -> "
        f"{report['train_loss_last']}, validation loss {report['validation_loss_before']} "
        f"-> {report['validation_loss_after']}"
    )
    print(json.dumps(report))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from app.finetune.evaluate import evaluate_adapter
    from app.finetune.server import ModelServer

    config = common.settings()
    server = ModelServer(config.model)
    try:
        report = evaluate_adapter(
            server,
            Path(args.dataset),
            Path(args.adapter),
            base_model=args.base_model,
            current_model=_current_model(config),
            candidate_prefix=args.name,
            server_path=args.server_path,
            max_tokens=args.max_tokens,
            limit=args.limit,
        )
    finally:
        server.close()
    for role, scores in report["models"].items():
        print(
            f"{role:9} {scores['model']:28} score {scores['score']:.3f}  ROUGE-L "
            f"{scores['rouge_l']:.3f}  valid citations {scores['citation_validity']:.3f}  "
            f"abstention {scores['abstention_accuracy']:.3f}"
        )
    print(json.dumps(report))
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    from app.db.engine import make_engine
    from app.finetune.promote import promote
    from app.finetune.server import ModelServer

    config = common.settings()
    server = ModelServer(config.model)
    try:
        result = promote(server, make_engine(config.resolved_database_url), Path(args.adapter))
    finally:
        server.close()
    print(f"promoted {result['promoted']} (replacing {result['replaced']})")
    print(json.dumps(result))
    return 0


def add_commands(sub: Any) -> None:
    finetune = sub.add_parser("finetune", help="build an SFT set, train, evaluate, promote a LoRA")
    steps = finetune.add_subparsers(dest="finetune_command", required=True)

    dataset = steps.add_parser("dataset", help="chat-format SFT set from tickets and KB articles")
    dataset.add_argument("paths", nargs="*", help="source folders (default: data/)")
    dataset.add_argument("--out", required=True, help="folder for train/validation/stats files")
    dataset.add_argument(
        "--passages", type=int, help="passages per prompt (default: SUPPORTBOT_ANSWER__PASSAGES)"
    )
    dataset.add_argument("--validation-share", type=float, default=0.15)
    dataset.set_defaults(func=cmd_dataset)

    train = steps.add_parser("train", help="train a LoRA adapter (peft) on the SFT set")
    train.add_argument("--dataset", required=True, help="folder written by `finetune dataset`")
    train.add_argument("--base", required=True, help="the base model's folder")
    train.add_argument("--out", required=True, help="folder for the adapter")
    train.add_argument("--steps", type=int, help="optimizer steps (default: --epochs passes)")
    train.add_argument("--epochs", type=float, default=2.0)
    train.add_argument("--learning-rate", type=float, default=2e-4)
    train.add_argument("--rank", type=int, default=8, help="LoRA rank (<= vLLM --max-lora-rank)")
    train.add_argument("--max-length", type=int, default=1024, help="longest example, in tokens")
    train.add_argument(
        "--validation-limit", type=int, help="validation examples the loss is measured on (all)"
    )
    train.set_defaults(func=cmd_train)

    evaluate = steps.add_parser("eval", help="compare base, current and adapter on held-out data")
    evaluate.add_argument("--dataset", required=True)
    evaluate.add_argument("--adapter", required=True)
    evaluate.add_argument("--base-model", required=True, help="the base model's served name")
    evaluate.add_argument("--name", default="support", help="prefix of the adapter's served name")
    evaluate.add_argument(
        "--server-path", help="the adapter folder as the model server sees it (default: --adapter)"
    )
    evaluate.add_argument("--max-tokens", type=int, default=200)
    evaluate.add_argument("--limit", type=int, help="evaluate on the first N validation examples")
    evaluate.set_defaults(func=cmd_eval)

    promote_cmd = steps.add_parser("promote", help="serve an evaluated adapter, unless worse")
    promote_cmd.add_argument("--adapter", required=True)
    promote_cmd.set_defaults(func=cmd_promote)


def _current_model(settings: Settings) -> str:
    """The model the app asks for now: the latest promotion, else settings.model.name."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from app.db.engine import make_engine
    from app.db.promotions import model_to_ask

    try:
        with Session(make_engine(settings.resolved_database_url)) as session:
            return model_to_ask(session=session, default=settings.model.name)
    except SQLAlchemyError as exc:
        raise AppError(
            "config", f"database not readable ({exc}); run `supportbot db upgrade`"
        ) from exc


def read_sources(folders: Sequence[Path]) -> Iterator[SourceDocument | UnreadableSource]:
    """The documents of the files under `folders` as app/finetune takes them, file by file;
    a file that cannot be read comes as an `UnreadableSource` (the dataset skips it).

    A generator: the files are read while the dataset is built, as they always were."""
    from app.finetune.pairs import SourceBlock, SourceDocument, UnreadableSource
    from ingest.document import SourceError
    from ingest.pipeline import load_documents
    from ingest.sources import discover

    for file in discover(list(folders)).files:
        try:
            documents = load_documents(file, file.path.read_bytes())
        except (SourceError, OSError) as exc:
            yield UnreadableSource(file.source, str(exc))
            continue
        for document in documents:
            yield SourceDocument(
                source=file.source,
                title=document.title,
                doc_type=document.doc_type.value,
                blocks=tuple(SourceBlock(b.text, b.heading_path) for b in document.blocks),
                record_id=document.record_id,
                product=document.product,
            )
