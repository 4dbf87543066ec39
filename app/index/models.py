"""What the index stores for each passage and what a search returns.

The payload is flat JSON so that the embedded engine and a Qdrant server store the very same
thing, and so that payload indexes (product, doc type, source) work on plain keywords.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Bumped whenever what a passage stores, or how it is derived, changes: every source indexed
# under another format is indexed again on the next ingest.
PASSAGE_FORMAT = 3

# The sections every ticket is split into under its own heading: the customer's exchange
# with the agents, and how it was resolved. Answers quote resolutions, never the exchange.
TICKET_CONVERSATION = "Conversation"
TICKET_RESOLUTION = "Resolution"

# Fixed namespace: passage ids are derived from content, so re-ingesting the same text under
# the same source yields the same id (and an unchanged passage is never embedded twice).
_PASSAGE_NAMESPACE = uuid.UUID("6f1d3c2a-8d5e-4a61-9a0b-2f4c8e7d1b35")


def passage_id(root: str, source: str, ordinal: int, content_hash: str) -> str:
    """A stable UUID for a passage of one version of a source."""
    return str(uuid.uuid5(_PASSAGE_NAMESPACE, f"{root}\x00{source}\x00{ordinal}\x00{content_hash}"))


@dataclass(frozen=True)
class Passage:
    """A retrievable piece of a source, with everything needed to cite it."""

    id: str
    text: str  # what a customer or agent reads
    source: str  # path relative to the ingested folder
    root: str  # the ingested folder (absolute), so two folders never delete each other's data
    title: str
    heading_path: tuple[str, ...]  # headings above the passage's start, top level first
    section_paths: tuple[tuple[str, ...], ...]  # every heading path the passage spans
    doc_type: str
    content_hash: str
    source_hash: str  # hash of the whole source file version this passage came from
    source_passages: int  # passages in that version: lets ingest tell a complete source
    ordinal: int
    # Every product the passage is about, main one first (a guide for two sibling models, a
    # KB article naming both); `product` is the main one.
    products: tuple[str, ...] = ()
    url: str | None = None
    page: int | None = None
    record_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # (offset in `text`, index in `section_paths`) where each run of a section starts; empty
    # for a passage inside one section.
    section_spans: tuple[tuple[int, int], ...] = ()

    @property
    def product(self) -> str | None:
        return self.products[0] if self.products else None

    def section_at(self, offset: int) -> tuple[str, ...]:
        """The heading path of the text at `offset`."""
        path = self.heading_path
        for start, index in self.section_spans:
            if start > offset:
                break
            path = self.section_paths[index]
        return path

    def text_of(self, paths: Sequence[tuple[str, ...]]) -> str:
        """The passage's text that lies in the sections `paths` (the runs of each, in order,
        a later section's heading line included), so that what is shown under a section's
        name is that section's text. The whole text when it cannot be told apart."""
        if len(self.section_spans) <= 1 or set(self.section_paths) <= set(paths):
            return self.text
        ends = [start for start, _ in self.section_spans[1:]] + [len(self.text)]
        runs = [
            self.text[start:end].strip()
            for (start, index), end in zip(self.section_spans, ends, strict=True)
            if self.section_paths[index] in paths
        ]
        return "\n\n".join(run for run in runs if run) or self.text

    def to_payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "source": self.source,
            "root": self.root,
            "title": self.title,
            "heading_path": list(self.heading_path),
            "section_paths": [list(p) for p in self.section_paths],
            "section_spans": [list(span) for span in self.section_spans],
            "doc_type": self.doc_type,
            "content_hash": self.content_hash,
            "source_hash": self.source_hash,
            "source_passages": self.source_passages,
            "ordinal": self.ordinal,
            "product": self.product,
            "products": list(self.products),
            "url": self.url,
            "page": self.page,
            "record_id": self.record_id,
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_payload(cls, point_id: str, payload: dict[str, Any]) -> Passage:
        return cls(
            id=str(point_id),
            text=payload["text"],
            source=payload["source"],
            root=payload["root"],
            title=payload["title"],
            heading_path=tuple(payload["heading_path"]),
            # An index written before a payload field existed still loads: a passage without
            # `section_paths` spans its own heading only; one without `section_spans`
            # (PASSAGE_FORMAT < 3) cannot place a sentence in a section, so it is cited with
            # every section it spans (app/pipeline/sections.py), never with the first alone,
            # until the next ingest indexes it again under the current format.
            section_paths=tuple(
                tuple(p) for p in payload.get("section_paths") or [payload["heading_path"]]
            ),
            doc_type=payload["doc_type"],
            content_hash=payload["content_hash"],
            source_hash=payload["source_hash"],
            source_passages=int(payload["source_passages"]),
            ordinal=int(payload["ordinal"]),
            products=tuple(payload.get("products") or ()),
            url=payload.get("url"),
            page=payload.get("page"),
            record_id=payload.get("record_id"),
            metadata=dict(payload.get("metadata") or {}),
            section_spans=tuple(
                (int(start), int(index)) for start, index in payload.get("section_spans") or ()
            ),
        )


@dataclass(frozen=True)
class SearchFilter:
    """Restricts a search to some products and/or doc types (None: no restriction)."""

    products: tuple[str, ...] | None = None
    doc_types: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ScoredId:
    """One candidate from a single retriever (dense or keyword), before fusion."""

    id: str
    score: float


@dataclass(frozen=True)
class SourceState:
    """What the index holds for one source: enough to decide skip / replace / delete."""

    root: str
    source: str
    ids_by_hash: dict[str, set[str]]  # source_hash -> point ids stored under that version
    expected: dict[str, int]  # source_hash -> passages that version should have

    def is_complete(self, source_hash: str) -> bool:
        """True when exactly one version is stored, it is `source_hash`, and it is whole."""
        ids = self.ids_by_hash.get(source_hash)
        return (
            ids is not None
            and len(self.ids_by_hash) == 1
            and len(ids) == self.expected.get(source_hash, -1)
        )

    @property
    def all_ids(self) -> set[str]:
        return set().union(*self.ids_by_hash.values()) if self.ids_by_hash else set()
