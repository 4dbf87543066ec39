"""Heading-aware chunking: blocks of one document in, passages of a few hundred tokens out.

Rules, in order of importance:
1. Never split inside a sentence; prefer block boundaries, then line boundaries (lists,
   tables, code), then sentence boundaries. Only a single "sentence" longer than the limit
   (a pasted log line) is cut between words.
2. A new section starts a new passage, unless the passage so far is too small to stand on its
   own; then the next section joins it, and the passage remembers every section it spans and
   where in its text each one starts (`section_spans`), so that a sentence quoted from it is
   cited with its own section, never the first one's.
3. Passages stay under `max_tokens`, the embedding model's useful window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.ground.text import estimate_tokens, split_sentences
from ingest.document import Block, ParsedDocument


@dataclass(frozen=True)
class Chunk:
    """A passage before it gets an id: text plus where it sits in its document."""

    text: str
    heading_path: tuple[str, ...]
    section_paths: tuple[tuple[str, ...], ...]
    # (offset in `text`, index in `section_paths`) where each run of a section starts.
    section_spans: tuple[tuple[int, int], ...]
    page: int | None
    tokens: int


def chunk_document(
    document: ParsedDocument, *, target_tokens: int, max_tokens: int, min_tokens: int
) -> list[Chunk]:
    """Group a document's blocks into passages (see the module docstring)."""
    # Text before any heading (or a document without headings) sits under the title, so
    # every passage can be cited with a section name.
    root = (document.title,) if document.title else ()
    pieces = [
        piece
        for block in document.blocks
        if block.text.strip()
        for piece in _fit_block(
            block if block.heading_path else Block(block.text, root, block.page), max_tokens
        )
    ]
    groups: list[list[tuple[Block, int]]] = []
    size = 0
    for block, tokens in pieces:
        if groups:
            current = groups[-1]
            same_section = block.heading_path == current[-1][0].heading_path
            if (same_section and size + tokens <= target_tokens) or (
                not same_section and size < min_tokens and size + tokens <= max_tokens
            ):
                current.append((block, tokens))
                size += tokens
                continue
        groups.append([(block, tokens)])
        size = tokens
    _merge_small_tails(groups, min_tokens=min_tokens, max_tokens=max_tokens)
    return [_to_chunk(group) for group in groups]


def _merge_small_tails(
    groups: list[list[tuple[Block, int]]], *, min_tokens: int, max_tokens: int
) -> None:
    """Fold a tiny last passage of a section into the passage before it, if that fits."""
    i = 1
    while i < len(groups):
        group, previous = groups[i], groups[i - 1]
        size = sum(t for _, t in group)
        same_section = group[0][0].heading_path == previous[-1][0].heading_path
        if same_section and size < min_tokens and size + sum(t for _, t in previous) <= max_tokens:
            previous.extend(group)
            del groups[i]
        else:
            i += 1


def _to_chunk(group: list[tuple[Block, int]]) -> Chunk:
    parts: list[str] = []
    paths: list[tuple[str, ...]] = []
    spans: list[tuple[int, int]] = []
    offset = 0  # where the next part starts in "\n\n".join(parts)

    def append(part: str) -> None:
        nonlocal offset
        parts.append(part)
        offset += len(part) + 2

    for block, _ in group:
        if not spans or paths[spans[-1][1]] != block.heading_path:
            if block.heading_path not in paths:
                paths.append(block.heading_path)
            spans.append((offset, paths.index(block.heading_path)))
            if len(spans) > 1 and block.heading_path:
                # A later section inside the passage: keep its heading visible in the text.
                append(block.heading_path[-1])
        append(block.text.strip())
    first = group[0][0]
    return Chunk(
        text="\n\n".join(parts),
        heading_path=first.heading_path,
        section_paths=tuple(paths),
        section_spans=tuple(spans),
        page=first.page,
        tokens=sum(t for _, t in group),
    )


def _fit_block(block: Block, max_tokens: int) -> Iterator[tuple[Block, int]]:
    """The block itself if it fits, else pieces of it cut at the gentlest boundary."""
    tokens = estimate_tokens(block.text)
    if tokens <= max_tokens:
        yield block, tokens
        return
    lines = [line for line in block.text.split("\n") if line.strip()]
    units = lines if len(lines) > 1 else split_sentences(block.text)
    if len(units) <= 1:
        units = _cut_words(block.text, max_tokens)
    buffer: list[str] = []
    size = 0
    joiner = "\n" if len(lines) > 1 else " "
    for unit in units:
        unit_tokens = estimate_tokens(unit)
        if unit_tokens > max_tokens:
            if buffer:
                yield Block(joiner.join(buffer), block.heading_path, block.page), size
                buffer, size = [], 0
            yield from _fit_block(Block(unit, block.heading_path, block.page), max_tokens)
            continue
        if buffer and size + unit_tokens > max_tokens:
            yield Block(joiner.join(buffer), block.heading_path, block.page), size
            buffer, size = [], 0
        buffer.append(unit)
        size += unit_tokens
    if buffer:
        yield Block(joiner.join(buffer), block.heading_path, block.page), size


def _cut_words(text: str, max_tokens: int) -> list[str]:
    """Last resort for one enormous sentence: consecutive runs of words under the limit."""
    words = text.split()
    runs: list[str] = []
    current: list[str] = []
    size = 0
    for word in words:
        word_tokens = estimate_tokens(word)
        if current and size + word_tokens > max_tokens:
            runs.append(" ".join(current))
            current, size = [], 0
        if word_tokens > max_tokens:  # a single giant "word" (base64, a hash dump)
            step = max(1, len(word) * max_tokens // (word_tokens + 1))
            runs.extend(word[i : i + step] for i in range(0, len(word), step))
            continue
        current.append(word)
        size += word_tokens
    if current:
        runs.append(" ".join(current))
    return runs


def passage_context(title: str, heading_path: tuple[str, ...]) -> str:
    """The line that tells the embedding model and BM25 where a passage sits."""
    parts = list(heading_path)
    if title and (not parts or parts[0].strip().lower() != title.strip().lower()):
        parts.insert(0, title)
    return " > ".join(parts)
