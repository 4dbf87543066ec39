"""Question/answer pairs from the support sources: what `finetune dataset` learns from.

A ticket gives its customer's first words and its resolution; a KB article its title and
its opening sentences; a manual gives nothing (no customer question to pair it with).

The sources arrive as plain `SourceDocument`s defined here: reading files is ingest's job,
and the finetune door (app/doors/cli/finetune.py) loads them with ingest's loaders and hands
them over, so this package never imports `ingest`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from app.ground.text import split_sentences
from app.index.models import TICKET_CONVERSATION, TICKET_RESOLUTION

ExampleKind = Literal["ticket", "kb"]

# A KB article's answer: its opening sentences, as a support agent would quote it.
KB_ANSWER_SENTENCES = 3


@dataclass(frozen=True)
class SourceBlock:
    """A paragraph of a document under its heading path (top level first)."""

    text: str
    heading_path: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceDocument:
    """One ticket, article or manual as a loader read it."""

    source: str  # the file's name relative to the folder read, as citations show it
    title: str
    doc_type: str  # "manual", "kb" or "ticket"
    blocks: tuple[SourceBlock, ...]
    record_id: str | None = None  # tells the tickets (articles) of one export apart
    product: str | None = None


@dataclass(frozen=True)
class UnreadableSource:
    """A source file that could not be read, and why (the dataset's stats list it)."""

    source: str
    reason: str


@dataclass(frozen=True)
class SourcePair:
    """A customer question and the answer people gave, from one ticket or article."""

    id: str
    kind: ExampleKind
    source: str
    record_id: str | None
    question: str
    answer: str
    product: str | None


def source_pairs(
    sources: Iterable[SourceDocument | UnreadableSource], skipped: list[str]
) -> list[SourcePair]:
    """The pairs of `sources`, in order; why a source gave none is appended to `skipped`."""
    pairs: list[SourcePair] = []
    for item in sources:
        if isinstance(item, UnreadableSource):
            skipped.append(f"{item.source}: {item.reason}")
            continue
        pair = _pair(item)
        if isinstance(pair, str):
            skipped.append(pair)
        elif pair is not None:
            pairs.append(pair)
    return pairs


def _pair(document: SourceDocument) -> SourcePair | str | None:
    """The pair of one document; None for manuals; a reason when it gives none."""
    where = f"{document.source}: {document.record_id or document.title}"
    kind: ExampleKind
    if document.doc_type == "ticket":
        question, answer, kind = (
            _ticket_question(document),
            _section(document, TICKET_RESOLUTION),
            "ticket",
        )
    elif document.doc_type == "kb":
        body = " ".join(b.text for b in document.blocks if b.text.strip())
        question, kind = document.title, "kb"
        answer = " ".join(split_sentences(body)[:KB_ANSWER_SENTENCES])
    else:
        return None
    if not question or not answer:
        return f"{where}: no question or no answer"
    return SourcePair(
        id=f"{kind}:{document.source}:{document.record_id or document.title}",
        kind=kind,
        source=document.source,
        record_id=document.record_id,
        question=" ".join(question.split()),
        answer=" ".join(answer.split()),
        product=document.product,
    )


def _ticket_question(document: SourceDocument) -> str:
    """The customer's first words: the description, else their first message."""
    base = document.blocks[0].heading_path[:1] if document.blocks else ()
    description = " ".join(b.text for b in document.blocks if b.heading_path == base)
    if description.strip():
        return description
    conversation = _section(document, TICKET_CONVERSATION)
    first = re.search(r"(?m)^Customer:\s*(.+)$", conversation)
    return first.group(1) if first else document.title


def _section(document: SourceDocument, name: str) -> str:
    return "\n".join(
        b.text for b in document.blocks if len(b.heading_path) > 1 and b.heading_path[1] == name
    )
