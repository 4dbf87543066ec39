"""PDF loader (pypdf): per-page text, paragraphs rebuilt from lines, headings from bookmarks.

PDF text arrives as lines with no paragraph marks, so paragraphs are rebuilt: a vertical gap
larger than the page's usual line spacing (or, without positions, a short line that ends a
sentence) closes a paragraph; hyphenated line ends are rejoined. Headings come from the
outline when the PDF has one (each bookmark is placed where its title appears on its target
page, else at its target position); otherwise a conservative guess uses larger font sizes,
"3.2 Numbered titles" and ALL-CAPS lines. Lines repeated at the top or bottom of most pages
(running headers, page numbers) are dropped so they do not pollute every passage.
"""

from __future__ import annotations

import logging
import re
import statistics
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from pypdf import PdfReader

from ingest.document import LoadContext, ParsedDocument, SourceError
from ingest.loaders.common import DocBuilder, finish_document, title_from_source


@dataclass
class _Line:
    text: str
    y: float | None = None
    size: float | None = None
    bold: bool = False


@dataclass
class _Mark:
    """A bookmark placed on a page: before line `index`, swallowing `span` title lines."""

    index: int
    level: int
    title: str
    span: int = 0


_BULLET = re.compile(r"^([\u2022\u25aa\u25cf\u2013\u2219*\-]|\d{1,2}[.)])\s+")
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)+\.?|\d+)\s+[A-Z]")
_NOTICE_WORDS = {"NOTE", "WARNING", "CAUTION", "DANGER", "IMPORTANT", "TIP", "NOTICE"}


@contextmanager
def _quiet() -> Iterator[None]:
    """pypdf reports every repairable oddity through logging and warnings; mute it here."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().split("\n")[0]
    return (text[:120] if text else type(exc).__name__).rstrip(".")


def _open(raw: bytes) -> PdfReader:
    if not raw.strip():
        raise SourceError("empty file")
    if b"%PDF-" not in raw[:1024]:
        raise SourceError("could not read PDF: not a PDF file (no %PDF- header)")
    try:
        reader = PdfReader(BytesIO(raw), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # noqa: BLE001 - e.g. a missing crypto dependency
                raise SourceError(f"could not read PDF: encrypted ({_reason(exc)})") from None
            if not opened:
                raise SourceError("could not read PDF: it is protected by a password")
        if len(reader.pages) == 0:
            raise SourceError("could not read PDF: no pages found (damaged or truncated file?)")
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types for damaged files
        reason = _reason(exc)
        raise SourceError(f"could not read PDF: {reason} (damaged or truncated file?)") from None
    return reader


def _page_lines(page: Any) -> list[_Line]:
    """The page's lines, with baseline y, font size and boldness when pypdf can tell them."""
    pieces: list[tuple[str, float, float, bool]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        scale = abs(tm[3] * cm[3]) or 1.0
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        name = str(font.get("/BaseFont", "")) if isinstance(font, dict) else ""
        pieces.append((text, y, size * scale, "bold" in name.lower()))

    plain = page.extract_text(visitor_text=visit) or ""
    if "".join(p[0] for p in pieces).split() != plain.split():
        return [_Line(x) for x in plain.split("\n")]  # positions unreliable: text only
    lines = [_Line("")]
    for text, y, size, bold in pieces:
        for k, part in enumerate(text.split("\n")):
            if k:
                lines.append(_Line(""))
            line = lines[-1]
            line.text += part
            if part.strip() and line.y is None:
                line.y, line.size, line.bold = y, size, bold
    return lines


def _strip_running_lines(pages: list[list[_Line]]) -> None:
    """Drop page numbers and lines repeated at the top/bottom of most pages.

    Lines must repeat exactly, except that digits may differ where the line names a page
    ("Page 3 of 9"): chapter titles such as "2 Setup" sit at the top of pages too.
    """

    def key(text: str) -> str:
        flat = " ".join(text.split()).lower()
        return re.sub(r"\d+", "#", flat) if "page" in flat else flat

    edges: Counter[str] = Counter()
    for lines in pages:
        texts = [x.text for x in lines if x.text.strip()]
        edges.update({key(t) for t in texts[:2] + texts[-2:]})
    running = {k for k, n in edges.items() if len(pages) >= 3 and n >= 0.6 * len(pages)}
    page_number = re.compile(r"^(page\s*)?\d+(\s*(/|of)\s*\d+)?$|^-\s*\d+\s*-$", re.I)
    for lines in pages:
        texts = [x.text for x in lines if x.text.strip()]
        edge = set(texts[:2] + texts[-2:])
        lines[:] = [
            x
            for x in lines
            if x.text not in edge
            or not (key(x.text) in running or page_number.match(" ".join(x.text.split())))
        ]


def _norm(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())


def _outline(reader: PdfReader) -> list[tuple[int, int, str, float | None]]:
    """Bookmarks as (page index, level, title, top) in reading order; [] when unusable."""
    found: list[tuple[int, int, str, float | None]] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except Exception:  # noqa: BLE001 - a broken bookmark is skipped, not fatal
                continue
            title = " ".join(str(getattr(item, "title", "") or "").split())
            top = getattr(item, "top", None)
            if page is not None and page >= 0 and title:
                found.append((page, level, title, float(top) if top is not None else None))

    try:
        walk(list(reader.outline), 1)
    except Exception:  # noqa: BLE001 - a damaged outline just means no bookmarks
        return []
    return sorted(found, key=lambda x: (x[0], -(x[3] or 1e9)))


def _place_marks(lines: list[_Line], entries: list[tuple[int, str, float | None]]) -> list[_Mark]:
    """Find each bookmark's title among the page's lines (or use its target height)."""
    marks: list[_Mark] = []
    cursor = 0
    for level, title, top in entries:
        want = _norm(title)
        mark = None
        for i in range(cursor, len(lines)):
            here = _norm(lines[i].text)
            if here and here == want:
                mark = _Mark(i, level, title, 1)
            elif i + 1 < len(lines) and here and here + _norm(lines[i + 1].text) == want:
                mark = _Mark(i, level, title, 2)
            if mark:
                break
        if mark is None and top is not None:
            below = [i for i in range(cursor, len(lines)) if (lines[i].y or 1e9) <= top + 2]
            mark = _Mark(below[0] if below else len(lines), level, title)
        mark = mark or _Mark(cursor, level, title)
        cursor = mark.index + mark.span
        marks.append(mark)
    return marks


def _heading_level(line: _Line, body_size: float, big_sizes: list[int]) -> int | None:
    """Conservative heading guess for PDFs without bookmarks; None for ordinary text."""
    text = " ".join(line.text.split())
    if not text or len(text) > 80 or len(text.split()) > 12 or text[-1] in ".,;:!?":
        return None
    if not any(c.isalpha() for c in text) or _BULLET.match(text) and not _NUMBERED.match(text):
        return None
    size = line.size or body_size
    if line.size and size >= body_size * 1.15:
        return big_sizes.index(round(size)) + 1 if round(size) in big_sizes else 1
    numbered = _NUMBERED.match(text)
    if numbered and not re.match(r"^\d+\.\s", text) and (line.size is None or line.bold):
        return numbered.group(1).rstrip(".").count(".") + 1
    letters = [c for c in text if c.isalpha()]
    # ALL-CAPS body text is often emphasis ("SAFETY NOTES"); trust it only in bold, or when
    # the PDF gives no font information at all.
    shouting = len(letters) >= 4 and text.upper() == text and text not in _NOTICE_WORDS
    if shouting and (line.size is None or line.bold):
        return 1
    return None


class _Paragraphs:
    """Turns a page's lines into paragraph and list blocks."""

    def __init__(self, builder: DocBuilder, page: int) -> None:
        self.b, self.page = builder, page
        self.lines: list[str] = []
        self.is_list = False

    def flush(self) -> None:
        if self.lines:
            self.b.add("\n".join(self.lines) if self.is_list else self.lines[0], page=self.page)
        self.lines, self.is_list = [], False

    def add(self, text: str, breaks: bool) -> None:
        text = " ".join(text.split())
        if not text:
            return
        bullet = bool(_BULLET.match(text))
        # The next item of a list continues it even after a gap: items are often spaced out.
        if (breaks and not (bullet and self.is_list)) or (bullet and not self.is_list):
            self.flush()
        if not self.lines or (bullet and self.is_list):
            self.lines.append(text)
            self.is_list = self.is_list or bullet
            return
        last = self.lines[-1]
        if re.search(r"[A-Za-z]-$", last) and text[:1].islower():
            self.lines[-1] = last[:-1] + text  # rejoin "config-" + "uration"
        else:
            self.lines[-1] = f"{last} {text}"


def _breaks(lines: list[_Line]) -> list[bool]:
    """For each line: does a new paragraph start here?"""
    gaps = [
        a.y - b.y
        for a, b in zip(lines, lines[1:], strict=False)
        if a.y is not None and b.y is not None and 0 < a.y - b.y < 100
    ]
    spacing = statistics.median(gaps) if gaps else None
    widths = sorted(len(x.text.strip()) for x in lines if x.text.strip())
    full = widths[int(len(widths) * 0.9)] * 0.75 if widths else 0
    result = [True]
    for prev, line in zip(lines, lines[1:], strict=False):
        if spacing and prev.y is not None and line.y is not None:
            gap = prev.y - line.y
            new = gap > spacing * 1.3 or gap < 0 or (prev.size or 0) != (line.size or 0)
        else:
            new = False
        ended = prev.text.rstrip().endswith((".", "!", "?", ":"))
        new = new or (ended and len(prev.text.strip()) < full)
        result.append(new)
    return result


def load_pdf(raw: bytes, ctx: LoadContext) -> list[ParsedDocument]:
    with _quiet():
        reader = _open(raw)
        warnings_out: list[str] = []
        pages: list[list[_Line]] = []
        failed = 0
        for number, page in enumerate(reader.pages, start=1):
            try:
                pages.append(_page_lines(page))
            except Exception as exc:  # noqa: BLE001 - one bad page should not lose the rest
                failed += 1
                pages.append([])
                warnings_out.append(f"page {number}: text could not be extracted ({_reason(exc)})")
        outline = _outline(reader)
        meta_title = ""
        try:
            metadata = reader.metadata
            meta_title = str(metadata.get("/Title", "") or "") if metadata else ""
        except Exception:  # noqa: BLE001 - unreadable metadata only costs the title
            meta_title = ""
    if failed == len(pages):
        raise SourceError("could not read PDF: no page could be read")
    if not any(x.text.strip() for lines in pages for x in lines):
        raise SourceError("PDF has no text layer (scanned image?); run OCR first")
    _strip_running_lines(pages)
    builder = _build(pages, outline)
    title = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", " ".join(meta_title.split()))
    if title.lower() in ("untitled", "title", "document"):
        title = ""
    doc = finish_document(
        builder,
        title=title or builder.first_h1 or title_from_source(ctx.source),
        doc_type=ctx.default_doc_type,
        warnings=warnings_out,
    )
    return [doc]


def _build(
    pages: list[list[_Line]], outline: list[tuple[int, int, str, float | None]]
) -> DocBuilder:
    builder = DocBuilder()
    sizes = Counter(
        round(x.size) for lines in pages for x in lines if x.size for _ in range(len(x.text))
    )
    body = float(sizes.most_common(1)[0][0]) if sizes else 0.0
    big = sorted((s for s in sizes if body and s >= body * 1.15), reverse=True)
    for index, lines in enumerate(pages):
        lines = [x for x in lines if x.text.strip()]
        entries = [(lvl, t, top) for page, lvl, t, top in outline if page == index]
        pending = sorted(_place_marks(lines, entries), key=lambda m: m.index)
        para = _Paragraphs(builder, index + 1)
        skip = 0
        breaks = _breaks(lines)
        for i, line in enumerate(lines):
            while pending and pending[0].index <= i:
                mark = pending.pop(0)
                para.flush()
                builder.heading(mark.level, mark.title)
                skip = max(skip, mark.span - (i - mark.index))
            if skip > 0:
                skip -= 1
                continue
            level = None if outline else _heading_level(line, body, big)
            if level is not None:
                para.flush()
                builder.heading(level, " ".join(line.text.split()))
                continue
            para.add(line.text, breaks[i])
        for mark in pending:  # bookmarks placed below the last line of the page
            para.flush()
            builder.heading(mark.level, mark.title)
        para.flush()
    return builder
