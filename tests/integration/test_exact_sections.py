"""Citations name the section each quoted sentence comes from, on the demo corpus's real index
(issue 11, exact sections): real ingest of data/, real MiniLM, real index, extractive answers.

The LR-200 quick start's "Updating firmware" section is small enough to be joined to the
"Factory reset" section after it, so the passage that holds the reset steps starts in the
firmware section; the steps were cited as "> Updating firmware".
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.doors.assistant import build_pipeline, load_catalog
from app.index.store import open_reader
from app.pipeline.answering import AnswerPipeline
from tests.integration.conftest import Ingestor

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def demo(ingestor: Ingestor) -> Iterator[AnswerPipeline]:
    report = ingestor.ingest(DATA)
    assert not report.failures
    reader = open_reader(ingestor.settings)
    try:
        yield build_pipeline(
            ingestor.settings,
            reader,
            ingestor.embedder,
            catalog=load_catalog(ingestor.settings, DATA),
        )
    finally:
        reader.close()


def test_the_factory_reset_steps_are_cited_as_factory_reset(demo: AnswerPipeline) -> None:
    answer = asyncio.run(demo.answer("How do I factory reset my LR-200?"))
    assert answer.kind == "answer" and "6 seconds" in answer.text
    assert answer.citations
    for citation in answer.to_json()["citations"]:
        assert citation["source"] == "manuals/lr-200-quick-start.md"
        assert citation["heading_path"][-1] == "Factory reset", citation
        assert [path[-1] for path in citation["section_paths"]] == ["Factory reset"], citation
        # The passage shown under "Factory reset" holds none of the firmware section's text.
        assert "E-17" not in citation["snippet"], citation
