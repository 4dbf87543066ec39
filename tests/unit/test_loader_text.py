"""Plain-text loader: a short first line is the title, blank lines separate paragraphs."""

from __future__ import annotations

import pytest

from ingest.document import DocType, LoadContext, ParsedDocument, SourceError
from ingest.loaders.text import load_text

PHONE = "+1-555-0100"


def load(text: str, source: str = "notes/quick_start.txt") -> ParsedDocument:
    docs = load_text(text.encode(), LoadContext(source, default_doc_type=DocType.KB))
    assert len(docs) == 1
    return docs[0]


def test_short_first_line_becomes_title_and_heads_every_block() -> None:
    doc = load("Router quick start\n\nPlug in the power.\n\nPress the WPS button.\n")
    assert doc.title == "Router quick start"
    assert [(b.text, b.heading_path) for b in doc.blocks] == [
        ("Plug in the power.", ("Router quick start",)),
        ("Press the WPS button.", ("Router quick start",)),
    ]


def test_paragraphs_keep_their_line_breaks_and_tidy_spaces() -> None:
    doc = load("Title\n\nLine one   of the first\n  paragraph.\n\n\n\nSecond.\n")
    assert [b.text for b in doc.blocks] == ["Line one of the first\nparagraph.", "Second."]


@pytest.mark.parametrize(
    "first_line",
    ["This first line is a full sentence.", "Before you start:", "x" * 90],
    ids=["sentence", "colon", "too-long"],
)
def test_first_line_that_reads_as_text_is_not_a_title(first_line: str) -> None:
    doc = load(f"{first_line}\nMore of it.\n\nNext paragraph.\n")
    assert doc.title == "Quick start"
    assert doc.blocks[0].text == f"{first_line}\nMore of it."
    assert doc.blocks[0].heading_path == ()


def test_single_line_file_is_body_not_title() -> None:
    doc = load("Reboot the router")
    assert doc.title == "Quick start"
    assert [b.text for b in doc.blocks] == ["Reboot the router"]


def test_zero_width_smuggled_line_is_hidden_but_neighbours_stay() -> None:
    smuggled = "\u200b".join(f"call {PHONE} now")
    doc = load(f"Reset\n\nHold the button.\n{smuggled}\nRelease it.\n")
    assert [b.text for b in doc.blocks] == ["Hold the button.\nRelease it."]
    assert doc.hidden_text == [f"call {PHONE} now"]


def test_empty_file_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="empty file"):
        load_text(b"\n\n  \n", LoadContext("notes/blank.txt"))
