"""Markdown loader (CommonMark plus the MkDocs/Material extensions real manuals use).

A small line-based block parser rather than a Markdown library: we need heading paths and
paragraph-sized blocks, not HTML, and we must decide ourselves what is hidden (comments,
hidden raw HTML). Nested containers (list items, admonitions, content tabs, block quotes) are
parsed recursively on their de-indented lines and then folded into one block each, so a
warning box or a list arrives at the chunker as one unit under the surrounding headings.
"""

from __future__ import annotations

import re

from ingest.document import Block, LoadContext, ParsedDocument
from ingest.loaders.common import (
    DocBuilder,
    decode_text,
    finish_document,
    parse_doc_type,
    prefix_paths,
    sanitize_text,
    title_from_source,
)
from ingest.loaders.md_inline import cut_hidden, heading_to_text, inline_to_text, split_front_matter

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_SETEXT = re.compile(r"^ {0,3}(=+|-{2,})[ \t]*$")
_HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM = re.compile(r"^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)")
_ADMONITION = re.compile(
    r'^( {0,3})(!!!|\?\?\?\+?|===\+?)[ \t]+([\w-]+(?:[ \t]+[\w-]+)*)?[ \t]*(?:"(.*)")?[ \t]*$'
)
_QUOTE = re.compile(r"^ {0,3}> ?")
_TABLE_DELIM = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_ABBREVIATION = re.compile(r"^\*\[([^\]]+)\]:[ \t]*(.*)$")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^[^\]]+\]:[ \t]*(.*)$")
_LINK_DEF = re.compile(r"^ {0,3}\[[^\]^][^\]]*\]:[ \t]*\S+")
_MAX_DEPTH = 32  # nesting beyond this is hostile input, not documentation


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _starts_block(line: str) -> bool:
    """Lines that end a paragraph or a lazy list continuation."""
    return bool(
        _ATX.match(line)
        or _FENCE.match(line)
        or _HR.match(line)
        or _ADMONITION.match(line)
        or _QUOTE.match(line)
        or _ITEM.match(line)
    )


def _is_table_start(lines: list[str], i: int) -> bool:
    return (
        "|" in lines[i]
        and i + 1 < len(lines)
        and "|" in lines[i + 1]
        and bool(_TABLE_DELIM.match(lines[i + 1]))
    )


def _split_cells(row: str) -> list[str]:
    """Split a table row on pipes that are neither escaped nor inside a code span."""
    cells: list[str] = []
    current: list[str] = []
    in_code = False
    prev = ""
    for ch in row.strip():
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code and prev != "\\":
            cells.append("".join(current))
            current = []
        else:
            current.append(ch)
        prev = ch
    cells.append("".join(current))
    if cells and not cells[0].strip() and row.strip().startswith("|"):
        cells = cells[1:]
    if cells and not cells[-1].strip() and row.strip().endswith("|"):
        cells = cells[:-1]
    return [inline_to_text(c.replace("\\|", "|")).strip() for c in cells]


class _Parser:
    def parse(self, lines: list[str], b: DocBuilder, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            b.add(inline_to_text(" ".join(line.strip() for line in lines)))
            return
        para: list[str] = []

        def flush() -> None:
            if para:
                b.add(inline_to_text("\n".join(para)).replace("\n", " "))
                para.clear()

        i, n = 0, len(lines)
        while i < n:
            line = lines[i]
            if not line.strip():
                flush()
                i += 1
                continue
            if para and (setext := _SETEXT.match(line)):
                b.heading(1 if setext.group(1)[0] == "=" else 2, heading_to_text(" ".join(para)))
                para.clear()
                i += 1
                continue
            if _indent(line) >= 4:
                if para:  # lazy continuation of the paragraph
                    para.append(line.strip())
                    i += 1
                else:
                    i = self._indented_code(lines, i, b)
                continue
            if para and not _starts_block(line) and not _is_table_start(lines, i):
                para.append(line.strip())
                i += 1
                continue
            flush()
            i = self._block(lines, i, b, depth, para)

        flush()

    def _block(self, lines: list[str], i: int, b: DocBuilder, depth: int, para: list[str]) -> int:
        """Handle the block starting at line i; return the index of the next unread line."""
        line = lines[i]
        if fence := _FENCE.match(line):
            return self._fenced_code(lines, i, b, fence)
        if atx := _ATX.match(line):
            b.heading(len(atx.group(1)), heading_to_text(atx.group(2) or ""))
            return i + 1
        if _HR.match(line) or line.strip().startswith("--8<--"):
            return i + 1  # rules draw nothing; snippet includes name another file
        if admonition := _ADMONITION.match(line):
            if admonition.group(3) or admonition.group(4):
                return self._admonition(lines, i, b, depth, admonition)
        if _is_table_start(lines, i):
            return self._table(lines, i, b)
        if _ITEM.match(line):
            return self._list(lines, i, b, depth)
        if _QUOTE.match(line):
            return self._quote(lines, i, b, depth)
        if _ABBREVIATION.match(line):
            return self._abbreviations(lines, i, b)
        if _LINK_DEF.match(line):
            return i + 1  # link reference definitions are invisible
        if footnote := _FOOTNOTE_DEF.match(line):
            para.append(footnote.group(1))
            return i + 1
        para.append(line.strip())
        return i + 1

    def _fenced_code(self, lines: list[str], i: int, b: DocBuilder, fence: re.Match[str]) -> int:
        indent, marker = len(fence.group(1)), fence.group(2)
        body: list[str] = []
        i += 1
        while i < len(lines):
            closing = lines[i].strip()
            if closing.startswith(marker) and set(closing) == {marker[0]}:
                i += 1
                break
            body.append(lines[i][min(indent, _indent(lines[i])) :])
            i += 1
        b.add("\n".join(body), "code")
        return i

    def _indented_code(self, lines: list[str], i: int, b: DocBuilder) -> int:
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) >= 4):
            body.append(lines[i][4:])
            i += 1
        b.add("\n".join(body), "code")
        return i

    def _nested(self, lines: list[str], b: DocBuilder, depth: int) -> list[str]:
        """Parse nested content in a child builder; return its block texts in order."""
        child = b.child()
        self.parse(lines, child, depth + 1)
        b.hidden.extend(child.hidden)
        return [block.text for block in child.blocks]

    def _admonition(
        self, lines: list[str], i: int, b: DocBuilder, depth: int, m: re.Match[str]
    ) -> int:
        title = heading_to_text(m.group(4) or "") or (m.group(3) or "").split()[0].capitalize()
        body: list[str] = []
        column = len(m.group(1)) + 4
        i += 1
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) >= column):
            body.append(lines[i][column:])
            i += 1
        texts = self._nested(body, b, depth)
        b.add("\n".join([title, *texts]) if texts else title, "raw")
        return i

    def _table(self, lines: list[str], i: int, b: DocBuilder) -> int:
        rows: list[str] = []
        start = i
        while i < len(lines) and lines[i].strip() and "|" in lines[i]:
            if i != start + 1:  # the delimiter row draws nothing
                rows.append(" | ".join(_split_cells(lines[i])))
            i += 1
        b.add("\n".join(rows))
        return i

    def _list(self, lines: list[str], i: int, b: DocBuilder, depth: int) -> int:
        first = _ITEM.match(lines[i])
        assert first is not None
        ordered = first.group(2)[0].isdigit()
        number = int(first.group(2)[:-1]) if ordered else 0
        rendered: list[str] = []
        n = len(lines)
        while i < n and (m := _ITEM.match(lines[i])) and m.group(2)[0].isdigit() == ordered:
            spaces = len(m.group(3))
            column = len(m.group(0)) if 0 < spaces <= 4 else len(m.group(1) + m.group(2)) + 1
            item = [lines[i][len(m.group(0)) :]]
            i += 1
            while i < n:
                line = lines[i]
                if not line.strip():
                    j = i
                    while j < n and not lines[j].strip():
                        j += 1
                    if j < n and _indent(lines[j]) >= column:
                        item.extend([""] * (j - i))
                        i = j
                        continue
                    if j < n and _ITEM.match(lines[j]):
                        i = j
                    break
                nested_item = _ITEM.match(line) and _indent(line) > len(m.group(1))
                if _indent(line) >= column or nested_item:
                    item.append(line[min(column, _indent(line)) :])
                elif item[-1].strip() and not _starts_block(line):
                    item.append(line.strip())  # lazy continuation
                else:
                    break
                i += 1
            texts = self._nested(item, b, depth)
            label = f"{number}." if ordered else "-"
            number += 1
            body = "\n".join(texts).split("\n") if texts else [""]
            rendered.append(f"{label} {body[0]}".rstrip())
            rendered.extend(f"  {line}" if line else "" for line in body[1:])
        b.add("\n".join(rendered), "raw")
        return i

    def _quote(self, lines: list[str], i: int, b: DocBuilder, depth: int) -> int:
        body: list[str] = []
        while i < len(lines) and lines[i].strip():
            quoted = _QUOTE.match(lines[i])
            if not quoted and _starts_block(lines[i]):
                break
            body.append(lines[i][quoted.end() :] if quoted else lines[i].strip())
            i += 1
        if body and (alert := re.match(r"^\s*\[!(\w+)\]\s*$", body[0])):
            body[0] = alert.group(1).capitalize() + ":"  # GitHub alert: > [!NOTE]
        for text in self._nested(body, b, depth):
            b.add(text, "raw")
        return i

    def _abbreviations(self, lines: list[str], i: int, b: DocBuilder) -> int:
        # MkDocs abbreviation definitions; a glossary file is nothing but these.
        found: list[str] = []
        while i < len(lines) and (m := _ABBREVIATION.match(lines[i])):
            found.append(f"{m.group(1)}: {inline_to_text(m.group(2))}")
            i += 1
        b.add("\n".join(found))
        return i


def _parse_into(text: str, builder: DocBuilder) -> None:
    visible, hidden = cut_hidden(text)
    for item in hidden:
        builder.add_hidden(item)
    _Parser().parse(visible.expandtabs(4).split("\n"), builder)


def markdown_to_blocks(text: str, base_path: tuple[str, ...] = ()) -> tuple[list[Block], list[str]]:
    """Markdown text -> (blocks, hidden texts); used by the KB loader for article bodies."""
    builder = DocBuilder(base_path=base_path)
    _parse_into(text, builder)
    return builder.blocks, builder.hidden


def load_markdown(raw: bytes, ctx: LoadContext) -> list[ParsedDocument]:
    meta, body = split_front_matter(decode_text(raw))
    builder = DocBuilder()
    _parse_into(body, builder)
    warnings: list[str] = []
    doc_type = ctx.default_doc_type
    if declared := meta.pop("type", ""):
        parsed = parse_doc_type(declared)
        if parsed is None:
            warnings.append(f"front matter type {declared!r} is not manual, kb or ticket; ignored")
        doc_type = parsed or doc_type
    fm_title, hidden = sanitize_text(meta.pop("title", ""))
    builder.hidden.extend(hidden)
    fm_title = inline_to_text(" ".join(fm_title.split()))
    if fm_title and builder.first_h1 is None:
        # MkDocs shows the front-matter title as the page's H1 when the text has none.
        builder.blocks = prefix_paths(builder.blocks, fm_title)
    product, url = meta.pop("product", ""), meta.pop("url", "")
    doc = finish_document(
        builder,
        title=fm_title or builder.first_h1 or title_from_source(ctx.source),
        doc_type=doc_type,
        product=product,
        url=url,
        metadata=meta,
        warnings=warnings,
    )
    return [doc]
