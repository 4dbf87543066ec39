"""`supportbot finetune eval`: the base model, the model answering now and a new adapter,
side by side on the held-out validation examples, through the model server.

Three measures, each 0..1, and their mean as the score `promote` compares:
- rouge_l: ROUGE-L F1 of the answer against the reference, citation markers removed, over
  the examples that have an answer (not the "I don't know" ones);
- citation_validity: of the answers the model gave (did not abstain), the share the app
  would show: they cite at least one passage, only passages that exist, and every claim
  passes the support check (app/pipeline/support.py) against the passages it cites. Markers
  alone are not enough: a model trained on answers that do not belong to their passages
  (shuffled) learns to write markers, and the app withdraws what it writes;
- abstention_accuracy: the share of examples where the model abstained exactly when the
  reference did.
The report is written next to the adapter (evaluation.json) with the adapter's fingerprint,
so `promote` can tell that the adapter it loads is the one that was measured.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.finetune.examples import read_examples
from app.finetune.server import ModelServer
from app.finetune.train import adapter_fingerprint
from app.ground.text import rouge_l_f1
from app.pipeline.generators.vllm import quoted_passages
from app.pipeline.markers import strip_markers
from app.pipeline.support import unsupported_claims

EVALUATION_FILE = "evaluation.json"
_MARKER = re.compile(r"\[(\d+)\]")
_ABSTAINS = re.compile(
    r"\b(?:don't|do not|couldn't|could not|cannot|can't) (?:know|find)\b|bring in a person", re.I
)


@dataclass(frozen=True)
class ModelScores:
    model: str
    examples: int
    rouge_l: float
    citation_validity: float
    abstention_accuracy: float

    @property
    def score(self) -> float:
        return round((self.rouge_l + self.citation_validity + self.abstention_accuracy) / 3, 4)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "score": self.score}


def abstained(answer: str) -> bool:
    """The answer says it does not know, or cites nothing (the app would not show it)."""
    return bool(_ABSTAINS.search(answer)) or not _MARKER.search(answer)


def score_answers(model: str, rows: list[dict[str, Any]], answers: list[str]) -> ModelScores:
    rouge, valid, agree = [], [], []
    for row, answer in zip(rows, answers, strict=True):
        reference = row["messages"][-1]["content"]
        gave_up = abstained(answer)
        agree.append(gave_up == row["abstain"])
        if not row["abstain"]:
            rouge.append(rouge_l_f1(strip_markers(answer), strip_markers(reference)))
        if not gave_up:
            cited = [int(n) for n in _MARKER.findall(answer)]
            passages = quoted_passages(row["messages"][1]["content"])
            valid.append(
                all(1 <= n <= row["passages"] for n in cited)
                and not unsupported_claims(answer, passages)
            )
    return ModelScores(
        model=model,
        examples=len(rows),
        rouge_l=round(statistics.fmean(rouge), 4) if rouge else 0.0,
        # A model that never answers has no invalid citation, and no valid one either.
        citation_validity=round(statistics.fmean(valid), 4) if valid else 0.0,
        abstention_accuracy=round(statistics.fmean(agree), 4) if agree else 0.0,
    )


def evaluate_adapter(
    server: ModelServer,
    dataset_dir: Path,
    adapter_dir: Path,
    *,
    base_model: str,
    current_model: str,
    candidate_prefix: str = "support",
    server_path: str | None = None,
    max_tokens: int = 200,
    limit: int | None = None,
) -> dict[str, Any]:
    """Load the adapter into the server as a candidate, answer the validation examples with
    each model, and write and return the report."""
    fingerprint = adapter_fingerprint(adapter_dir)
    candidate = f"{candidate_prefix}-{fingerprint}"
    server.load_adapter(candidate, server_path or str(adapter_dir.resolve()))
    rows = read_examples(dataset_dir / "validation.jsonl")[:limit]
    models = {"base": base_model, "current": current_model, "candidate": candidate}
    scores: dict[str, dict[str, Any]] = {}
    answered: dict[str, ModelScores] = {}
    for role, name in models.items():
        if name not in answered:  # "current" is often the base model itself
            answers = [
                server.chat(name, row["messages"][:-1], max_tokens=max_tokens) for row in rows
            ]
            answered[name] = score_answers(name, rows, answers)
        scores[role] = answered[name].to_json()
    report = {
        "candidate": candidate,
        "adapter_path": str(adapter_dir.resolve()),
        "server_path": server_path or str(adapter_dir.resolve()),
        "fingerprint": fingerprint,
        "validation_examples": len(rows),
        "models": scores,
    }
    (adapter_dir / EVALUATION_FILE).write_text(json.dumps(report, indent=2) + "\n")
    return report
