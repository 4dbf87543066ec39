"""Build data/manuals/lr-400-admin-guide.pdf from scripts/demo_sources/lr-400-admin-guide.md.

Why this exists: support libraries are full of PDF manuals, so the demo corpus needs one with a
real text layer and an outline (bookmarks) mirroring its headings, which is where the PDF loader
reads heading paths from. The manual is kept as reviewable text and rendered here. The output is
deterministic (fixed creation date), so re-running the script yields identical bytes.

Source syntax: "% " cover lines, "#"/"##"/"###" headings (outline levels 0-2), "1. " steps,
"- " bullets, "| a | b |" tables ("|---|" rows skipped), blank-line separated paragraphs.
Usage: python scripts/build_demo_pdf.py [SOURCE.md] [OUTPUT.pdf]
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT / "scripts" / "demo_sources" / "lr-400-admin-guide.md"
DEFAULT_OUTPUT = ROOT / "data" / "manuals" / "lr-400-admin-guide.pdf"
HEADING_SIZES = {0: 16, 1: 13, 2: 11}  # outline level -> font size in points
LINE = 5.0  # body line height in mm


class ManualPDF(FPDF):
    """A plain A4 manual with a running footer."""

    doc_title = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, f"{self.doc_title} - page {self.page_no()}", align="C")


def paragraphs(text: str) -> list[list[str]]:
    """Split the source into blank-line separated groups of lines."""
    groups: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            groups[-1].append(line.rstrip())
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g]


def write_heading(pdf: ManualPDF, line: str) -> None:
    level = len(line) - len(line.lstrip("#")) - 1
    title = line.lstrip("#").strip()
    if level == 0 and pdf.get_y() > pdf.t_margin + 1:
        pdf.add_page()  # every chapter starts on a new page
    elif pdf.get_y() > pdf.h - 50:
        pdf.add_page()  # keep a heading with the text that follows it
    pdf.ln(3)
    pdf.start_section(title, level=level)
    pdf.set_font("Helvetica", "B", HEADING_SIZES[level])
    pdf.multi_cell(0, HEADING_SIZES[level] * 0.5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def write_table(pdf: ManualPDF, lines: list[str]) -> None:
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    rows = [r for r in rows if not all(set(c) <= {"-", ":"} for c in r)]
    pdf.set_font("Helvetica", size=9)
    with pdf.table(line_height=LINE, text_align="LEFT", first_row_as_headings=True) as table:
        for row in rows:
            table.row(row)
    pdf.ln(2)


def write_list(pdf: ManualPDF, lines: list[str]) -> None:
    pdf.set_font("Helvetica", size=10)
    for item in lines:
        marker, _, text = item.partition(" ")
        label = marker if marker[0].isdigit() else chr(149)  # WinAnsi bullet byte
        pdf.set_x(pdf.l_margin + 2)
        pdf.cell(7, LINE, label)
        pdf.multi_cell(0, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def build(source: Path = DEFAULT_SOURCE, output: Path = DEFAULT_OUTPUT) -> None:
    """Render the Markdown-ish source to a PDF with an outline."""
    groups = paragraphs(source.read_text(encoding="utf-8"))
    cover = [line[2:] for group in groups for line in group if line.startswith("% ")]
    pdf = ManualPDF(format="A4")
    pdf.doc_title = cover[0]
    pdf.set_title(cover[0])
    pdf.set_author("Larkspur Networks (fictional demo vendor)")
    pdf.set_lang("en")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 22)
    pdf.multi_cell(0, 11, cover[0], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=11)
    for line in cover[1:]:
        pdf.multi_cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for group in groups:
        first = group[0]
        if first.startswith("% "):
            continue
        if first.startswith("#"):
            write_heading(pdf, first)
        elif first.startswith("|"):
            write_table(pdf, group)
        elif first.startswith("- ") or first.split(" ", 1)[0].rstrip(".").isdigit():
            write_list(pdf, group)
        else:
            pdf.set_font("Helvetica", size=10)
            pdf.multi_cell(0, LINE, " ".join(group), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
    output.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(output))


if __name__ == "__main__":
    build(*(Path(arg) for arg in sys.argv[1:3]))
