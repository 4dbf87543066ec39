"""A one-question QA suite (shared/datasets/README.md's format) for `supportbot eval` runs
against the model server: one reset article and the question it answers."""

from __future__ import annotations

import json
from pathlib import Path


def write_reset_suite(folder: Path) -> Path:
    """The suite in `folder` (created); returns `folder`."""
    (folder / "corpus").mkdir(parents=True)
    (folder / "corpus" / "reset.md").write_text(
        "# Factory reset\n\nHold the reset button of the AP-1 for 10 seconds until the LED "
        "blinks amber.\n",
        encoding="utf-8",
    )
    question = {
        "id": "q1",
        "question": "How long do I hold the reset button?",
        "gold": [{"source": "reset.md", "section": None}],
        "answer": "10 seconds.",
    }
    (folder / "questions.jsonl").write_text(json.dumps(question) + "\n", encoding="utf-8")
    return folder
