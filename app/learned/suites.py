"""Reading labelled examples: complaint suites (JSONL) and intent suites (a folder).

Complaint suite: one `{"id"?, "text", "complaint", "sentiment"?}` a line. Intent suite:
`train.jsonl` / `val.jsonl` / `test.jsonl`, one `{"text", "intent"}` a line, `"intent": null`
for out of scope (shared/datasets/README.md). Splits of a single file are deterministic by a
hash of the message id, so the same message always lands in the same split on any machine.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.ground.errors import AppError

SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class ComplaintExample:
    id: str
    text: str
    complaint: bool
    sentiment: str | None


@dataclass(frozen=True)
class IntentExample:
    text: str
    intent: str | None  # None: out of scope


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise AppError("usage", f"{path}: no such file")
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise AppError("usage", f"{path}: not UTF-8 text ({exc})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AppError("usage", f"{path}:{number}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise AppError("usage", f"{path}:{number}: not a JSON object")
        rows.append((number, row))
    if not rows:
        raise AppError("usage", f"{path}: no examples")
    return rows


def load_complaint_suite(path: Path) -> list[ComplaintExample]:
    examples = []
    for number, row in _rows(path):
        text, complaint, sentiment = row.get("text"), row.get("complaint"), row.get("sentiment")
        if not isinstance(text, str) or not isinstance(complaint, bool):
            raise AppError(
                "usage", f'{path}:{number}: needs "text" (a string) and "complaint" (true/false)'
            )
        if sentiment is not None and sentiment not in SENTIMENTS:
            raise AppError(
                "usage", f"{path}:{number}: sentiment must be one of {', '.join(SENTIMENTS)}"
            )
        examples.append(ComplaintExample(str(row.get("id", number)), text, complaint, sentiment))
    return examples


def load_intent_file(path: Path) -> list[IntentExample]:
    examples = []
    for number, row in _rows(path):
        text, intent = row.get("text"), row.get("intent")
        if not isinstance(text, str) or not (intent is None or isinstance(intent, str)):
            raise AppError("usage", f'{path}:{number}: needs "text" and "intent" (string or null)')
        examples.append(IntentExample(text, intent or None))
    return examples


def first_shots(examples: list[IntentExample], shots: int | None) -> list[IntentExample]:
    """The first `shots` examples of each intent in file order (all when None)."""
    if shots is None:
        return [e for e in examples if e.intent is not None]
    counts: dict[str, int] = {}
    kept = []
    for example in examples:
        if example.intent is not None and counts.get(example.intent, 0) < shots:
            counts[example.intent] = counts.get(example.intent, 0) + 1
            kept.append(example)
    return kept


def split_of(identifier: str, *, dev: float = 0.15, test: float = 0.15) -> str:
    """'train', 'dev' or 'test' from a hash of the id (stable across runs and machines)."""
    bucket = int(hashlib.sha256(identifier.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if bucket < test:
        return "test"
    if bucket < test + dev:
        return "dev"
    return "train"
