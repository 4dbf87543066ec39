"""The `supportbot` command as an operator runs it: exit codes, JSON output, saved reports,
a killed ingest, and an ingest running while another process serves from the index."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.doors.cli import main
from app.ground.config import Settings
from app.index.store import open_reader
from app.pipeline.retrieval import HybridRetriever
from tests.integration.conftest import Ingestor

pytestmark = pytest.mark.slow


def last_json_line(output: str) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return parsed


def test_ingest_json_report_and_exit_codes(
    corpus: Path, capsys: pytest.CaptureFixture[str], settings: Settings
) -> None:
    assert main(["ingest", str(corpus), "--json"]) == 0
    summary = last_json_line(capsys.readouterr().out)
    assert summary["added"] == 3 and summary["failed"] == 0
    saved = Path(str(summary["report_path"]))
    assert saved.parent == settings.reports_dir.resolve() or saved.parent == settings.reports_dir
    assert json.loads(saved.read_text())["added"] == 3

    (corpus / "broken.md").write_bytes(b"")
    assert main(["ingest", str(corpus), "--json"]) == 1
    summary = last_json_line(capsys.readouterr().out)
    assert summary["failures"] == [{"source": "broken.md", "reason": "empty file"}]
    assert summary["unchanged"] == 3


def test_bad_usage_and_bad_configuration_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["ingest", str(tmp_path / "nowhere")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    monkeypatch.setenv("SUPPORTBOT_INGEST__MAX_TOKENS", "lots")
    from app.ground.config import get_settings

    get_settings.cache_clear()
    assert main(["ingest", str(tmp_path)]) == 2
    assert "ingest.max_tokens" in capsys.readouterr().err


def test_search_prints_source_heading_path_and_score(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["ingest", str(corpus)])
    capsys.readouterr()
    assert main(["search", "PoE budget of the switch", "-k", "2", "--json"]) == 0
    out = capsys.readouterr().out
    result = last_json_line(out)["results"][0]  # type: ignore[index]
    assert result["source"] == "manuals/switch.html"
    assert result["heading_path"] == ["SW-8 Manual", "Power over Ethernet"]
    assert "manuals/switch.html — SW-8 Manual > Power over Ethernet" in out


def test_search_without_an_index_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "anything"]) == 1
    assert "supportbot ingest" in capsys.readouterr().err


def make_corpus(folder: Path, files: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    topics = ["DHCP lease", "VLAN tagging", "PoE budget", "firmware image", "mesh backhaul"]
    for i in range(files):
        sections = "\n\n".join(
            f"## {topic} on model R-{i}\n\n"
            + " ".join(
                f"Step {j}: check the {topic} setting number {i * 7 + j}." for j in range(25)
            )
            for topic in topics
        )
        (folder / f"guide-{i:03}.md").write_text(f"# Router R-{i} guide\n\n{sections}\n")
    return folder


def run_cli(*args: str, home: Path) -> subprocess.Popen[str]:
    env = os.environ | {"SUPPORTBOT_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-m", "app.doors.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_an_ingest_killed_midway_converges_on_rerun(ingestor: Ingestor, tmp_path: Path) -> None:
    data = make_corpus(tmp_path / "data", files=40)
    home = ingestor.settings.home
    process = run_cli("ingest", str(data), home=home)
    building = home / "index" / "generations"
    deadline = time.monotonic() + 60
    while not any(building.glob("*.building")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(4)  # into the embedding phase
    assert process.poll() is None, "ingest finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (home / "index" / "CURRENT").exists()  # nothing half-done became live

    report = ingestor.ingest(data)
    assert report.count("added") == 40 and report.exit_code == 0
    clean = Ingestor(Settings(home=tmp_path / "clean"), ingestor.embedder)
    clean.ingest(data)
    assert ingestor.stored() == clean.stored()
    assert not list(building.glob("*.building"))


def test_ingest_runs_while_another_process_serves_the_index(
    ingestor: Ingestor, corpus: Path
) -> None:
    ingestor.ingest(corpus)
    reader = open_reader(ingestor.settings)
    try:
        retriever = HybridRetriever(reader, ingestor.embedder, ingestor.settings.retrieval)
        (corpus / "kb" / "dfs.md").write_text(
            "# DFS channels\n\nRadar detection moves the AP off channels 52-144 for 30 minutes.\n"
        )
        process = run_cli("ingest", str(corpus), home=ingestor.settings.home)
        # The serving process keeps answering while the ingest works...
        while process.poll() is None:
            assert retriever.search("reset button AP-1")[0].passage.source == "manuals/ap.md"
            time.sleep(0.2)
        assert process.returncode == 0, process.stderr.read() if process.stderr else ""
        # ...and picks up the new generation by itself once it is committed.
        top = retriever.search("radar detection DFS channels")[0]
        assert top.passage.source == "kb/dfs.md"
    finally:
        reader.close()


def test_ask_prints_a_cited_answer_and_json(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(corpus)]) == 0
    capsys.readouterr()
    assert main(["ask", "How long do I hold the reset button on the AP-1?", "--json"]) == 0
    output = capsys.readouterr().out
    answer = last_json_line(output)
    assert answer["kind"] == "answer" and answer["abstained"] is False
    assert "10 seconds" in str(answer["text"]) and "[1]" in str(answer["text"])
    citations = answer["citations"]
    assert isinstance(citations, list) and citations[0]["source"] == "manuals/ap.md"
    assert "[1] manuals/ap.md — AP-1 Guide > Reset > Factory reset" in output

    assert main(["ask", "What is the capital of Australia?", "--json"]) == 0
    assert last_json_line(capsys.readouterr().out)["abstained"] is True
    assert main(["ask", "  "]) == 2
    assert "empty" in capsys.readouterr().err
