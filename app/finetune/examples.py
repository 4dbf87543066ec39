"""Reading the SFT set's files: light on purpose, so training (train.py) loads neither the
index nor the ingest stack (a GPU trainer carries only torch, transformers and peft)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_examples(path: Path) -> list[dict[str, Any]]:
    """The examples of a train/validation file written by `build_dataset`."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such dataset file (run `supportbot finetune dataset`)")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
    return rows
