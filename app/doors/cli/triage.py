"""`supportbot triage train | eval` and `supportbot eval-intents`: the learned triage's commands.

`add_commands(sub)` adds them to the main parser (app/doors/cli/__init__.py); settings and the
embedder come from app/doors/cli/common.py, as for the other groups. Training writes versioned
models under `$SUPPORTBOT_HOME/models/`; the evaluations print their figures and, with
`--json`, one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from app.doors.cli import common
from app.ground.config import Settings
from app.ground.embedding import Embedder
from app.ground.errors import AppError


def _print_report(metrics: dict[str, Any], as_json: bool) -> None:
    for key, value in metrics.items():
        print(f"{key:>20}: {value}")
    if as_json:
        print(json.dumps(metrics))


def evaluate_learned_complaints(
    settings: Settings, embedder: Embedder, suite: Path
) -> dict[str, Any]:
    """Score the stored complaint model on a complaint suite (trains nothing)."""
    from app.ground.measures import binary_scores, percentile
    from app.learned.models import LearnedTriage
    from app.learned.suites import load_complaint_suite

    messages = load_complaint_suite(suite)
    triage = LearnedTriage(settings.home, embedder)
    if "complaint" not in triage.heads:
        raise AppError("usage", "no complaint model stored: run `supportbot triage train` first")
    triage.assess("warm-up")
    predicted: list[bool] = []
    times: list[float] = []
    for message in messages:
        embedder.forget_queries()
        start = time.perf_counter()
        result = triage.assess(message.text)
        times.append((time.perf_counter() - start) * 1000)
        predicted.append(bool(result.complaint))
    gold = [m.complaint for m in messages]
    return {
        "n": len(messages),
        "complaints": sum(gold),
        "predicted_complaints": sum(predicted),
        **{k: round(v, 4) for k, v in binary_scores(gold, predicted).items()},
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "model": triage.manifests["complaint"].get("version"),
    }


def cmd_train(args: argparse.Namespace) -> int:
    from app.doors.triage_models import train_models

    settings = common.settings()
    results = train_models(
        settings,
        common.embedder(settings),
        complaints=Path(args.complaints) if args.complaints else None,
        intents=Path(args.intents) if args.intents else None,
    )
    for task, report in results.items():
        print(f"{task}: version {report['version']} ({report.get('train')} examples)")
    if args.json:
        print(json.dumps(results))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    settings = common.settings()
    metrics = evaluate_learned_complaints(settings, common.embedder(settings), Path(args.file))
    _print_report(metrics, args.json)
    return 0


def cmd_eval_intents(args: argparse.Namespace) -> int:
    from app.learned.evaluate import evaluate_intent_suite

    suite = Path(args.suite)
    for name in ("train.jsonl", "val.jsonl", "test.jsonl"):
        if not (suite / name).is_file():
            raise AppError("usage", f"{suite}: not an intent suite (no {name})")
    if args.shots is not None and args.shots < 1:
        raise AppError("usage", "--shots must be at least 1")
    settings = common.settings()
    metrics = evaluate_intent_suite(
        suite, common.embedder(settings), shots=args.shots, max_refused=args.max_refused
    )
    _print_report(metrics, args.json)
    return 0


def add_commands(subparsers: Any) -> None:
    """Add `triage train`, `triage eval` and `eval-intents` to the main parser."""
    triage = subparsers.add_parser("triage", help="train and score the learned triage models")
    steps = triage.add_subparsers(dest="triage_command", required=True)

    train = steps.add_parser("train", help="train complaint, sentiment and intent models")
    train.add_argument(
        "--complaints", metavar="FILE", help="complaint suite .jsonl (default: shipped examples)"
    )
    train.add_argument(
        "--intents",
        metavar="PATH",
        help="intents.toml or an intent-suite folder (default: DATA_DIR/intents.toml)",
    )
    train.add_argument("--json", action="store_true", help="print the reports as JSON last")
    train.set_defaults(func=cmd_train)

    evaluate = steps.add_parser("eval", help="score the stored complaint model on a suite")
    evaluate.add_argument("file", help="complaint suite: one JSON message a line")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON last")
    evaluate.set_defaults(func=cmd_eval)

    intents = subparsers.add_parser(
        "eval-intents", help="train on an intent suite, threshold on val, score on test"
    )
    intents.add_argument("suite", help="folder with train.jsonl, val.jsonl, test.jsonl")
    intents.add_argument("--shots", type=int, help="learn from the first N examples per intent")
    intents.add_argument(
        "--max-refused",
        type=float,
        metavar="SHARE",
        help="out-of-scope threshold: refuse at most this share of val's in-scope messages "
        "(default: the best val accuracy with out-of-scope counted as a class)",
    )
    intents.add_argument("--json", action="store_true", help="print the metrics as JSON last")
    intents.set_defaults(func=cmd_eval_intents)
