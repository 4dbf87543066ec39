"""The `supportbot` command: one entry point, a subcommand per job.

This package assembles the parser from one module per command group (ingest, products,
search_ask, evaluation, triage, db, agents, schedule, finetune, serve: each registers its
subcommands with `add_commands(sub)`), and `main` is the edge of the system: it turns
`AppError`s into one line on stderr and an exit code (2 for bad usage or configuration, 1 for
other failures) and never shows a traceback for an expected problem. What the groups share
is in `common`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from app.doors.cli import (
    agents,
    db,
    evaluation,
    finetune,
    ingest,
    products,
    schedule,
    search_ask,
    serve,
    triage,
)
from app.ground.errors import AppError

_USAGE_CODES = frozenset({"usage", "config", "busy"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supportbot", description="Self-hosted support assistant: ingest, search, evaluate."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    # In the order `supportbot --help` lists them.
    for group in (
        ingest,
        products,
        search_ask,
        evaluation,
        triage,
        db,
        agents,
        schedule,
        finetune,
        serve,
    ):
        group.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # The model must come from the installed package; never reach for a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Model-loading progress bars are noise in a service's log (and not JSON).
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except AppError as exc:
        print(f"supportbot: error: {exc.message}", file=sys.stderr)
        return 2 if exc.code in _USAGE_CODES else 1
    except KeyboardInterrupt:
        print("supportbot: interrupted", file=sys.stderr)
        return 130
    return code
