"""`supportbot eval` on a small suite: fresh temporary index, section-level hits, JSON last."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.doors.cli import main
from app.ground.config import Settings

pytestmark = pytest.mark.slow


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    root = tmp_path / "suite"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "router.md").write_text(
        "# Router Guide\n\n## Reset\n\nHold the reset button for 12 seconds to restore the "
        "factory settings. The router reboots and the admin password becomes the one printed "
        "on the label. Every port forward, Wi-Fi network and static lease you configured is "
        "erased, so export a backup first if you can still log in. After the reboot, connect "
        "a laptop to port 2 and open the setup wizard again.\n\n## Firmware\n\nDownload the "
        "image from the support portal and upload it under System > Firmware. Do not power "
        "off the router while the LED blinks: an interrupted write leaves the previous image "
        "active, and the router rolls back on the next start. The upload checks the image "
        "signature first and refuses files meant for another model.\n"
    )
    (root / "corpus" / "billing.md").write_text(
        "# Billing\n\nInvoices for the cloud subscription are emailed on the first day of each "
        "month and can be downloaded from the account page.\n"
    )
    questions = [
        {"id": "q1", "question": "how do I restore factory defaults",
         "gold": [{"source": "router.md", "section": "Reset"}], "answer": "Hold reset 12 s."},
        {"id": "q2", "question": "where can I get my invoice",
         "gold": [{"source": "billing.md", "section": None}], "answer": None},
        {"id": "q3", "question": "upgrade the router software",
         "gold": [{"source": "router.md", "section": "router guide > firmware"}], "answer": None},
        {"id": "q4", "question": "what is the capital of France", "gold": [], "answer": None},
    ]  # fmt: skip
    (root / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in questions) + "\n")
    return root


def test_eval_reports_metrics_as_the_last_json_line(
    suite: Path, capsys: pytest.CaptureFixture[str], settings: Settings
) -> None:
    assert main(["eval", str(suite), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert metrics["questions"] == 4 and metrics["answerable"] == 3
    assert metrics["hit@1"] == 1.0 and metrics["hit@5"] == 1.0 and metrics["mrr@10"] == 1.0
    assert 0 < metrics["p50_ms"] <= metrics["p95_ms"]
    # The live index was never touched: eval works in a temporary home.
    assert not settings.index_dir.exists()


def test_eval_rejects_a_folder_that_is_not_a_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(tmp_path)]) == 2
    assert "questions.jsonl" in capsys.readouterr().err
