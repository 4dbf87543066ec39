"""Chunking: passages never cut a sentence, respect sections, and remember every heading."""

from __future__ import annotations

from app.ground.text import estimate_tokens, split_sentences
from ingest.chunking import Chunk, chunk_document, passage_context
from ingest.document import Block, DocType, ParsedDocument

LIMITS = {"target_tokens": 60, "max_tokens": 80, "min_tokens": 20}


def doc(*blocks: Block) -> ParsedDocument:
    return ParsedDocument(title="Guide", doc_type=DocType.MANUAL, blocks=list(blocks))


def sentence(n: int) -> str:
    return f"Sentence number {n} explains how the router keeps its lease for a while."


def test_sentences_split_but_not_on_abbreviations_or_versions() -> None:
    text = "Update to v2.1.4 first, e.g. from the web UI. Then reboot. Does it work? Yes."
    assert split_sentences(text) == [
        "Update to v2.1.4 first, e.g. from the web UI.",
        "Then reboot.",
        "Does it work?",
        "Yes.",
    ]


def test_long_section_is_split_between_sentences_only() -> None:
    body = " ".join(sentence(i) for i in range(30))
    chunks = chunk_document(doc(Block(body, ("Guide", "Reset"))), **LIMITS)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.tokens <= LIMITS["max_tokens"]
        assert chunk.text.startswith("Sentence number") and chunk.text.endswith(".")
    # Nothing lost, nothing duplicated.
    assert " ".join(c.text for c in chunks) == body


def test_small_sections_merge_but_keep_their_heading_paths() -> None:
    chunks = chunk_document(
        doc(
            Block("Hold the button.", ("Guide", "Reset", "Soft reset")),
            Block("Hold it longer.", ("Guide", "Reset", "Factory reset")),
        ),
        **LIMITS,
    )
    assert len(chunks) == 1
    assert chunks[0].heading_path == ("Guide", "Reset", "Soft reset")
    assert chunks[0].section_paths == (
        ("Guide", "Reset", "Soft reset"),
        ("Guide", "Reset", "Factory reset"),
    )
    # The second section's heading stays visible inside the passage text.
    assert "Factory reset\n\nHold it longer." in chunks[0].text


def _section_of(chunk: Chunk, sentence: str) -> tuple[str, ...]:
    """The heading path the chunk's spans give the text where `sentence` starts."""
    offset = chunk.text.index(sentence)
    starts = [(start, index) for start, index in chunk.section_spans if start <= offset]
    return chunk.section_paths[starts[-1][1]]


def test_a_small_section_joined_to_the_next_keeps_each_sentence_under_its_own_heading() -> None:
    firmware, reset = ("Guide", "Updating firmware"), ("Guide", "Factory reset")
    chunks = chunk_document(
        doc(
            Block("Open the Firmware page. Upload the image file.", firmware),
            Block("Hold the pinhole for 6 seconds. Release it when the LED blinks.", reset),
            Block("The router restarts with its default settings.", reset),
        ),
        **LIMITS,
    )
    assert len(chunks) == 1  # the firmware section is too small to stand alone
    (chunk,) = chunks
    assert chunk.heading_path == firmware
    assert chunk.section_paths == (firmware, reset)
    assert _section_of(chunk, "Open the Firmware page.") == firmware
    assert _section_of(chunk, "Upload the image file.") == firmware
    for quoted in (
        "Factory reset",  # the later section's heading line, kept in the text
        "Hold the pinhole for 6 seconds.",
        "Release it when the LED blinks.",
        "The router restarts with its default settings.",
    ):
        assert _section_of(chunk, quoted) == reset, quoted


def test_a_section_that_comes_back_inside_a_passage_is_one_path_with_two_runs() -> None:
    overview, note = ("Guide", "Reset"), ("Guide", "Reset", "Note")
    (chunk,) = chunk_document(
        doc(
            Block("Two ways to reset.", overview),
            Block("Keep the power on.", note),
            Block("Then choose one.", overview),
        ),
        **LIMITS,
    )
    assert chunk.section_paths == (overview, note)
    assert [index for _, index in chunk.section_spans] == [0, 1, 0]
    assert _section_of(chunk, "Keep the power on.") == note
    assert _section_of(chunk, "Then choose one.") == overview


def test_a_large_enough_section_starts_its_own_passage() -> None:
    first = " ".join(sentence(i) for i in range(3))
    second = " ".join(sentence(i) for i in range(3, 6))
    chunks = chunk_document(
        doc(Block(first, ("Guide", "A")), Block(second, ("Guide", "B"))), **LIMITS
    )
    assert [c.heading_path for c in chunks] == [("Guide", "A"), ("Guide", "B")]


def test_list_blocks_split_between_lines() -> None:
    steps = "\n".join(f"{i}. {sentence(i)}" for i in range(1, 15))
    chunks = chunk_document(doc(Block(steps, ("Guide", "Steps"))), **LIMITS)
    assert len(chunks) > 1
    for chunk in chunks:
        for line in chunk.text.split("\n"):
            assert line.split(".", 1)[0].isdigit()


def test_one_giant_unbroken_string_is_still_bounded() -> None:
    blob = "A" * 20_000
    chunks = chunk_document(doc(Block(blob)), **LIMITS)
    assert all(c.tokens <= LIMITS["max_tokens"] for c in chunks)
    assert "".join(c.text for c in chunks) == blob


def test_pages_follow_the_first_block() -> None:
    chunks = chunk_document(
        doc(Block("One.", ("G",), page=3), Block("Two.", ("G",), page=4)), **LIMITS
    )
    assert chunks[0].page == 3


def test_token_estimate_is_close_to_word_pieces() -> None:
    assert 10 <= estimate_tokens("Set the DHCP lease time to 12 hours on the LAN page.") <= 16


def test_context_line_does_not_repeat_the_title() -> None:
    assert passage_context("Guide", ("Guide", "Reset")) == "Guide > Reset"
    assert passage_context("KB-1: Reset", ("Steps",)) == "KB-1: Reset > Steps"


def test_text_without_headings_sits_under_the_document_title() -> None:
    chunks = chunk_document(doc(Block("Intro text."), Block("More.", ("Guide", "A"))), **LIMITS)
    assert chunks[0].section_paths == (("Guide",), ("Guide", "A"))
