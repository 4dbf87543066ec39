"""A passage that spans two sections cites each sentence under its own section.

The demo's defect: the reset steps were cited as "Quick Start Guide > Updating firmware"
because a small firmware section was joined to the factory-reset section at ingest and the
passage kept the first heading. Chunking now records where each section starts in the text,
and a citation names the section of the sentences it supports.
"""

from __future__ import annotations

from app.console.conversation_pages import citations_html
from app.index.models import Passage
from app.pipeline.generation import renumbered
from app.pipeline.generators.base import GenerationRequest
from app.pipeline.generators.vllm import build_messages
from app.pipeline.retrieval import RetrievedPassage
from app.pipeline.sections import cited_sections, supported_sentences
from ingest.chunking import Chunk, chunk_document
from ingest.document import Block, DocType, ParsedDocument

FIRMWARE = ("Quick Start", "Updating firmware")
RESET = ("Quick Start", "Factory reset")
LIMITS = {"target_tokens": 60, "max_tokens": 120, "min_tokens": 40}


def _chunk() -> Chunk:
    document = ParsedDocument(
        title="Quick Start",
        doc_type=DocType.MANUAL,
        blocks=[
            Block("Upload the image file on the Firmware page.", FIRMWARE),
            Block(
                "Hold the reset pinhole for 6 seconds. Release it when the LED blinks amber.",
                RESET,
            ),
        ],
    )
    (chunk,) = chunk_document(document, **LIMITS)
    return chunk


def _passage(chunk: Chunk) -> Passage:
    return Passage(
        id="p1",
        text=chunk.text,
        source="manuals/quick-start.md",
        root="/corpus",
        title="Quick Start",
        heading_path=chunk.heading_path,
        section_paths=chunk.section_paths,
        section_spans=chunk.section_spans,
        doc_type="manual",
        content_hash="h",
        source_hash="s",
        source_passages=1,
        ordinal=0,
    )


def test_the_passage_knows_where_each_section_starts() -> None:
    passage = _passage(_chunk())
    assert passage.section_paths == (FIRMWARE, RESET)
    assert passage.section_at(passage.text.index("Upload")) == FIRMWARE
    assert passage.section_at(passage.text.index("Hold the reset")) == RESET
    # The second section's heading line belongs to that section too.
    assert passage.section_at(passage.text.index("Factory reset")) == RESET


def test_a_citation_names_the_section_its_quoted_sentences_come_from() -> None:
    passage = _passage(_chunk())
    answer = (
        "1. Hold the reset pinhole for 6 seconds. [1]\n2. Release it when the LED blinks amber. [1]"
    )
    text, (citation,) = renumbered(answer, [1], [RetrievedPassage(passage, 0.9, 0.9, 0.5)])
    assert text == answer
    assert citation.heading_path == RESET
    assert citation.section_paths == (RESET,)
    assert citation.location == "Quick Start > Factory reset"


def test_a_paraphrase_is_placed_by_the_words_it_shares() -> None:
    passage = _passage(_chunk())
    sentences = supported_sentences("Press the reset pinhole for six seconds [1].", 1)
    assert cited_sections(passage, sentences) == (RESET,)


def test_sentences_from_both_sections_cite_both_in_the_passage_order() -> None:
    passage = _passage(_chunk())
    answer = (
        "Hold the reset pinhole for 6 seconds [1]. Upload the image file on the Firmware page [1]."
    )
    assert cited_sections(passage, supported_sentences(answer, 1)) == (FIRMWARE, RESET)


def test_a_passage_inside_one_section_keeps_its_heading() -> None:
    document = ParsedDocument(
        title="Quick Start",
        doc_type=DocType.MANUAL,
        blocks=[Block("Hold the reset pinhole for 6 seconds.", RESET)],
    )
    (chunk,) = chunk_document(document, **LIMITS)
    passage = _passage(chunk)
    assert chunk.section_spans == ((0, 0),)
    assert cited_sections(passage, ["anything at all"]) == (RESET,)


def test_the_shown_passage_holds_only_the_cited_sections_text() -> None:
    passage = _passage(_chunk())
    answer = "Hold the reset pinhole for 6 seconds. [1]"
    _, (citation,) = renumbered(answer, [1], [RetrievedPassage(passage, 0.9, 0.9, 0.5)])
    # What the customer opens under "Factory reset" is that section, not the firmware step.
    assert "Hold the reset pinhole" in citation.snippet
    assert "Firmware page" not in citation.snippet
    assert citation.to_json()["section_paths"] == [list(RESET)]


def test_a_citation_of_both_sections_names_both_and_shows_both() -> None:
    passage = _passage(_chunk())
    answer = "Upload the image file on the Firmware page [1]. Hold the reset pinhole [1]."
    _, (citation,) = renumbered(answer, [1], [RetrievedPassage(passage, 0.9, 0.9, 0.5)])
    assert citation.section_paths == (FIRMWARE, RESET)
    assert citation.location == "Quick Start > Updating firmware; Quick Start > Factory reset"
    assert citation.snippet == passage.text


def test_an_index_written_before_spans_still_loads_and_never_names_only_the_first() -> None:
    payload = _passage(_chunk()).to_payload()
    del payload["section_spans"]  # PASSAGE_FORMAT 2 stored no spans
    old = Passage.from_payload("p1", payload)
    assert old.section_spans == () and old.section_paths == (FIRMWARE, RESET)
    # A sentence cannot be placed without spans: the citation names every section it spans.
    assert cited_sections(old, ["Hold the reset pinhole for 6 seconds."]) == (FIRMWARE, RESET)
    assert old.text_of((RESET,)) == old.text

    del payload["section_paths"]  # older still: only the passage's heading
    oldest = Passage.from_payload("p1", payload)
    assert oldest.section_paths == (FIRMWARE,)
    assert cited_sections(oldest, ["Hold the reset pinhole for 6 seconds."]) == (FIRMWARE,)


def test_the_console_names_every_section_a_stored_citation_names() -> None:
    stored = {
        "marker": 1, "title": "Quick Start", "source": "manuals/quick-start.md", "url": None,
        "heading_path": list(FIRMWARE), "section_paths": [list(FIRMWARE), list(RESET)],
        "snippet": "Upload the image file. Factory reset. Hold the reset pinhole.",
    }  # fmt: skip
    shown = str(citations_html([stored]))
    assert "Quick Start › Updating firmware; Quick Start › Factory reset" in shown
    # A row stored before citations kept their sections: its heading path, as it was shown.
    older = {k: v for k, v in stored.items() if k != "section_paths"}
    assert "Quick Start › Updating firmware ·" in str(citations_html([older]))


def test_the_model_reads_a_joined_passage_under_every_section_it_spans() -> None:
    passage = _passage(_chunk())
    request = GenerationRequest(
        question="How do I reset it?",
        history=(),
        passages=(RetrievedPassage(passage, 0.9, 0.9, 0.5),),
        product=None,
    )
    prompt = build_messages(request)[-1]["content"]
    assert "[1] Quick Start > Updating firmware; Quick Start > Factory reset\n<<<" in prompt
