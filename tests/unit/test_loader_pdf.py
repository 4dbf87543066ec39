"""PDF loader: outline headings, page numbers, numbered headings, running footers, bad files."""

from __future__ import annotations

import pytest
from fpdf import FPDF

from ingest.document import LoadContext, ParsedDocument, SourceError
from ingest.loaders.pdf import load_pdf

CTX = LoadContext("manuals/ax100_manual.pdf")


def new_pdf() -> FPDF:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    return pdf


def line(pdf: FPDF, text: str, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 11)
    pdf.cell(text=text, new_x="LMARGIN", new_y="NEXT")


def load(pdf: FPDF) -> ParsedDocument:
    docs = load_pdf(bytes(pdf.output()), CTX)
    assert len(docs) == 1
    return docs[0]


def layout(doc: ParsedDocument) -> list[tuple[str, tuple[str, ...], int | None]]:
    return [(b.text, b.heading_path, b.page) for b in doc.blocks]


def outlined_manual() -> FPDF:
    pdf = new_pdf()
    pdf.add_page()
    pdf.start_section("Getting started", level=0)
    line(pdf, "Getting started", bold=True)
    line(pdf, "Unpack the router and place it near the modem.")
    pdf.start_section("Cabling", level=1)
    line(pdf, "Cabling", bold=True)
    line(pdf, "Connect the yellow cable to the WAN port.")
    pdf.add_page()
    pdf.start_section("Troubleshooting", level=0)
    line(pdf, "Troubleshooting", bold=True)
    line(pdf, "If the LED is red, restart the router.")
    return pdf


def test_outline_gives_heading_paths_and_one_based_pages() -> None:
    assert layout(load(outlined_manual())) == [
        ("Unpack the router and place it near the modem.", ("Getting started",), 1),
        ("Connect the yellow cable to the WAN port.", ("Getting started", "Cabling"), 1),
        ("If the LED is red, restart the router.", ("Troubleshooting",), 2),
    ]


def test_bookmark_heads_its_page_even_when_its_title_is_not_printed() -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.start_section("Introduction", level=0)
    line(pdf, "Welcome to the AX-100 manual.")
    pdf.add_page()
    pdf.start_section("Wireless settings", level=1)
    line(pdf, "Choose a channel with little traffic.")
    assert layout(load(pdf)) == [
        ("Welcome to the AX-100 manual.", ("Introduction",), 1),
        ("Choose a channel with little traffic.", ("Introduction", "Wireless settings"), 2),
    ]


def test_numbered_headings_are_detected_without_an_outline() -> None:
    pdf = new_pdf()
    pdf.add_page()
    line(pdf, "1 Introduction", bold=True)
    line(pdf, "This manual covers the AX-100 router.")
    line(pdf, "2 Maintenance", bold=True)
    line(pdf, "Keep the vents free of dust.")
    line(pdf, "2.1 Firmware update", bold=True)
    line(pdf, "Download the image from the support site.")
    assert layout(load(pdf)) == [
        ("This manual covers the AX-100 router.", ("1 Introduction",), 1),
        ("Keep the vents free of dust.", ("2 Maintenance",), 1),
        (
            "Download the image from the support site.",
            ("2 Maintenance", "2.1 Firmware update"),
            1,
        ),
    ]


def test_running_footer_on_every_page_is_dropped() -> None:
    pdf = new_pdf()
    pdf.set_auto_page_break(False)
    topics = ["installation", "wireless setup", "troubleshooting"]
    for number, topic in enumerate(topics, 1):
        pdf.add_page()
        line(pdf, f"This page explains {topic} in detail.")
        pdf.set_y(-20)
        line(pdf, f"AX-100 User Manual - Page {number} of 3")
    doc = load(pdf)
    assert [(b.text, b.page) for b in doc.blocks] == [
        ("This page explains installation in detail.", 1),
        ("This page explains wireless setup in detail.", 2),
        ("This page explains troubleshooting in detail.", 3),
    ]


def test_wrapped_lines_are_joined_into_one_paragraph() -> None:
    pdf = new_pdf()
    pdf.add_page()
    sentence = "The router keeps its settings after a power cut because they are stored in flash. "
    pdf.multi_cell(0, 6, sentence * 3)
    doc = load(pdf)
    assert [b.text for b in doc.blocks] == [(sentence * 3).strip()]


def test_metadata_title_names_the_document() -> None:
    pdf = new_pdf()
    pdf.set_title("AX-100 User Manual")
    pdf.add_page()
    line(pdf, "Hello.")
    assert load(pdf).title == "AX-100 User Manual"


def test_title_falls_back_to_file_name() -> None:
    pdf = new_pdf()
    pdf.add_page()
    line(pdf, "Some text without a heading.")
    assert load(pdf).title == "Ax100 manual"


@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_pdf_is_a_source_error_naming_pdf(keep: float) -> None:
    raw = bytes(outlined_manual().output())
    with pytest.raises(SourceError, match="PDF"):
        load_pdf(raw[: int(len(raw) * keep)], CTX)


def test_file_that_is_not_a_pdf_is_a_source_error_naming_pdf() -> None:
    with pytest.raises(SourceError, match="PDF"):
        load_pdf(b"<html>this was saved with the wrong name</html>", CTX)


def test_page_without_text_layer_is_a_source_error() -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.rect(20, 20, 120, 80, style="F")  # a scanned page looks like this: shapes, no text
    with pytest.raises(SourceError, match="text layer"):
        load(pdf)
