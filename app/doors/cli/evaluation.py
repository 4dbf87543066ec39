"""`supportbot eval` and `supportbot eval-complaints`: score the assistant on a suite.

The scoring lives in app/doors/evaluation.py and app/doors/complaints_eval.py; this module
only reads the command line, loads what the scoring needs and prints the metrics.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.doors.cli import common
from app.ground.errors import AppError


def add_commands(sub: Any) -> None:
    evaluate = sub.add_parser("eval", help="score retrieval and answers on a QA suite")
    evaluate.add_argument("suite_dir")
    evaluate.add_argument(
        "--generator",
        choices=["extractive", "vllm"],
        default="extractive",
        help="who writes the answers (vllm: the configured model server)",
    )
    evaluate.add_argument("--retrieval-only", action="store_true", help="skip the answers")
    evaluate.add_argument(
        "--keep-index", metavar="DIR", help="keep the suite's index in DIR to re-run faster"
    )
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(func=cmd_eval)

    complaints = sub.add_parser(
        "eval-complaints", help="score complaint detection on a complaint suite (.jsonl)"
    )
    complaints.add_argument("file", help="one JSON message a line: id, text, complaint, domain")
    complaints.add_argument(
        "--no-embeddings",
        action="store_true",
        help="the hand-written rules alone: no embedding model, no learned models (faster start)",
    )
    complaints.add_argument("--json", action="store_true", help="print the metrics as JSON last")
    complaints.set_defaults(func=cmd_eval_complaints)


def cmd_eval(args: argparse.Namespace) -> int:
    from app.doors.assistant import make_generator
    from app.doors.eval_suite import load_questions
    from app.doors.evaluation import evaluate_suite

    load_questions(Path(args.suite_dir))  # a bad suite fails before the model loads
    settings = common.settings()
    generator = None
    if args.generator == "vllm":
        generator = make_generator(settings)
        if generator is None:
            raise AppError("config", "--generator vllm needs SUPPORTBOT_MODEL__BASE_URL")
    metrics = evaluate_suite(
        Path(args.suite_dir),
        settings=settings,
        embedder=common.embedder(settings),
        generator=generator,
        answers=not args.retrieval_only,
        index_home=Path(args.keep_index) if args.keep_index else None,
    )
    _print_metrics(metrics)
    if args.json:
        common.print_json_last(metrics)
    return 0


def _print_metrics(metrics: dict[str, Any]) -> None:
    """One figure a line, names aligned; a table of figures (by_kind) one row a line."""
    width = max((len(key) for key in metrics), default=0)
    for key, value in metrics.items():
        if key == "by_kind":
            print(f"{key:>{width}}:")
            for kind, figures in value.items():
                print(f"{'':>{width}}  {kind}: {figures}")
        else:
            print(f"{key:>{width}}: {value}")


def cmd_eval_complaints(args: argparse.Namespace) -> int:
    from app.doors.complaints_eval import evaluate_complaints, load_messages
    from app.pipeline.triage import Triager

    messages = load_messages(Path(args.file))  # a bad file fails before the model loads
    triager = Triager()  # the rules alone
    if not args.no_embeddings:
        # The chat's own triage: the learned models (trained first if none are stored).
        from app.doors.triage_models import current_triage

        settings = common.settings()
        embedder = common.embedder(settings)
        triager = Triager(None, embedder, current_triage(settings, embedder))
    metrics = evaluate_complaints(messages, triager)
    for key, value in metrics.items():
        print(f"{key:>20}: {value}")
    if args.json:
        common.print_json_last(metrics)
    return 0
