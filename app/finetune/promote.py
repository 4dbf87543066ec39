"""`supportbot finetune promote`: put an evaluated adapter in front of customers, or refuse.

Refused when the adapter is worse than the model answering now: a lower score (the mean of
ROUGE-L, citation validity and abstention accuracy), or any one measure more than
`MAX_DROP` lower (a gain in wording must not buy invalid citations). Refused as well when the
adapter's files changed since they were evaluated.

Accepted: the adapter is loaded into the running model server under its own name (already
done by `eval`; repeated here in case the server restarted), then one row in
sb_model_promotions switches every app process to it (app/db/promotions.py; the processes
re-read it every few seconds). The old model stays loaded, so answers already streaming
finish on it: no restart, no failed request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from app.db.engine import in_transaction
from app.db.promotions import record_promotion
from app.finetune.evaluate import EVALUATION_FILE
from app.finetune.server import ModelServer
from app.finetune.train import adapter_fingerprint
from app.ground.errors import AppError

MEASURES = ("rouge_l", "citation_validity", "abstention_accuracy")
MAX_DROP = 0.05


def reasons_to_refuse(report: dict[str, Any]) -> list[str]:
    """Why the candidate must not replace the current model; empty when it may."""
    candidate, current = report["models"]["candidate"], report["models"]["current"]
    reasons = []
    if candidate["score"] < current["score"]:
        reasons.append(
            f"score {candidate['score']:.3f} is below the current model's {current['score']:.3f}"
        )
    for measure in MEASURES:
        if candidate[measure] < current[measure] - MAX_DROP:
            reasons.append(
                f"{measure} {candidate[measure]:.3f} is more than {MAX_DROP} below the current "
                f"model's {current[measure]:.3f}"
            )
    return reasons


def read_evaluation(adapter_dir: Path) -> dict[str, Any]:
    path = adapter_dir / EVALUATION_FILE
    if not path.is_file():
        raise AppError(
            "usage", f"{adapter_dir}: not evaluated yet (run `supportbot finetune eval`)"
        )
    report: dict[str, Any] = json.loads(path.read_text())
    if report.get("fingerprint") != adapter_fingerprint(adapter_dir):
        raise AppError(
            "usage", f"{adapter_dir}: the adapter changed after it was evaluated; evaluate it again"
        )
    return report


def promote(server: ModelServer, engine: Engine, adapter_dir: Path) -> dict[str, Any]:
    """Promote the evaluated adapter in `adapter_dir`; AppError("refused", ...) if worse."""
    report = read_evaluation(adapter_dir)
    reasons = reasons_to_refuse(report)
    if reasons:
        raise AppError("refused", f"{report['candidate']} not promoted: " + "; ".join(reasons))
    server.load_adapter(report["candidate"], report["server_path"])
    current = report["models"]["current"]["model"]
    in_transaction(
        engine,
        lambda session: record_promotion(
            session=session,
            model_name=report["candidate"],
            adapter_path=report["server_path"],
            replaced=current,
            evaluation=report,
        ),
    )
    return {"promoted": report["candidate"], "replaced": current, "models": report["models"]}
