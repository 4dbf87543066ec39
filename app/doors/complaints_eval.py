"""`supportbot eval-complaints`: score complaint detection on a complaint suite.

A suite is a JSONL file, one labelled customer message a line (shared/datasets/README.md):
`{"id": "...", "text": "...", "complaint": true, "domain": "..."}`. Every message goes
through the same `Triager` the chat calls (the learned models where stored, entities
included), so the time per message is the real cost of a turn.

Reported: precision, recall and F1 of the complaint class; macro F1 (the mean of both
classes' F1: where complaints are common, calling everything a complaint scores well on the
first three and poorly on this one); accuracy; p50/p95 milliseconds per message; and F1 per
domain when the suite has several.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.ground.errors import AppError
from app.ground.measures import binary_scores, percentile
from app.pipeline.triage import Triager


@dataclass(frozen=True)
class LabelledMessage:
    id: str
    text: str
    complaint: bool
    domain: str | None


def load_messages(path: Path) -> list[LabelledMessage]:
    """Read a complaint suite; a missing file or a malformed line is a usage error."""
    if not path.is_file():
        raise AppError("usage", f"{path}: no such complaint suite (a .jsonl file)")
    messages = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise AppError("usage", f"{path}: not UTF-8 text ({exc})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise TypeError("not a JSON object")
            text, complaint = row["text"], row["complaint"]
            if not isinstance(text, str) or not isinstance(complaint, bool):
                raise TypeError('"text" must be a string and "complaint" true or false')
            domain = row.get("domain")
            messages.append(
                LabelledMessage(
                    str(row.get("id", number)), text, complaint, str(domain) if domain else None
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            problem = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise AppError("usage", f"{path}:{number}: not a valid message ({problem})") from exc
    if not messages:
        raise AppError("usage", f"{path}: no messages")
    return messages


def evaluate_complaints(messages: Sequence[LabelledMessage], triager: Triager) -> dict[str, Any]:
    """Triage every message as the chat would; the metrics, rounded, as one JSON-ready dict."""
    triager.warm()
    predicted: list[bool] = []
    times_ms: list[float] = []
    for message in messages:
        start = time.perf_counter()
        result = triager(message.text)
        times_ms.append((time.perf_counter() - start) * 1000)
        predicted.append(result.complaint)
    gold = [m.complaint for m in messages]
    metrics: dict[str, Any] = {
        "n": len(messages),
        "complaints": sum(gold),
        "predicted_complaints": sum(predicted),
        **{k: round(v, 4) for k, v in binary_scores(gold, predicted).items()},
        "p50_ms": round(percentile(times_ms, 50), 2),
        "p95_ms": round(percentile(times_ms, 95), 2),
        "learned": triager.learned_tasks,
    }
    domains = sorted({m.domain for m in messages if m.domain})
    if len(domains) > 1:
        metrics["f1_by_domain"] = {
            domain: round(
                binary_scores(
                    [m.complaint for m in messages if m.domain == domain],
                    [p for m, p in zip(messages, predicted, strict=True) if m.domain == domain],
                )["f1"],
                4,
            )
            for domain in domains
        }
    return metrics
