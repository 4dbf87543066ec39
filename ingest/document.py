"""The shapes every loader produces and the chunker consumes.

A loader reads one source file and returns one or more `ParsedDocument`s (a ticket export
holds many tickets, a KB export many articles). A document is an ordered list of `Block`s,
each a paragraph-sized piece of text that knows the heading path above it. Keeping the
heading path on every block is what lets the chunker merge small sections and still report
every section a passage spans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class DocType(StrEnum):
    """What kind of support material a document is; retrieval can filter on it."""

    MANUAL = "manual"
    KB = "kb"
    TICKET = "ticket"


@dataclass(frozen=True)
class Block:
    """A paragraph, list, table or code block under a heading path (top level first)."""

    text: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None


@dataclass
class ParsedDocument:
    """One logical document read from a source file, before chunking."""

    title: str
    doc_type: DocType
    blocks: list[Block]
    # Several documents may come from one file (tickets, KB export); record_id tells them apart.
    record_id: str | None = None
    product: str | None = None
    url: str | None = None
    # Free-form, loader-specific facts worth keeping (dates, tags, status); strings only.
    metadata: dict[str, str] = field(default_factory=dict)
    # Problems that did not stop the load (e.g. a skipped malformed row), shown in the report.
    warnings: list[str] = field(default_factory=list)
    # Text present in the source but invisible to a reader (HTML comments, hidden elements,
    # zero-width characters): never indexed, kept so ingest can flag injection attempts.
    hidden_text: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LoadContext:
    """What a loader is told about the file it reads."""

    source: str  # path relative to the ingested folder, with forward slashes
    default_doc_type: DocType = DocType.MANUAL  # from the folder; explicit metadata wins


class SourceError(Exception):
    """A source could not be read; the message names what was wrong in words a person follows."""
