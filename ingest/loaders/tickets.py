"""Resolved support tickets from CSV or JSONL exports: one document per ticket.

Helpdesks name their fields differently, so each field accepts common aliases (compared
case-insensitively, spaces and dashes as underscores). A ticket needs a resolution and
something describing the problem (subject, description or conversation): without those it
teaches the assistant nothing. A CSV missing a required column fails as a whole, naming the
column; a bad row or line is skipped with a warning and the rest loads.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from typing import Any

from app.index.models import TICKET_CONVERSATION, TICKET_RESOLUTION
from ingest.document import DocType, LoadContext, ParsedDocument, SourceError
from ingest.loaders.common import BlockKind, DocBuilder, as_text, decode_text, finish_document

ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("ticket_id", "id", "ticket", "number", "key", "ticket_number"),
    "subject": ("subject", "title", "summary"),
    "description": ("description", "body", "question", "problem", "issue", "details", "message"),
    "conversation": ("conversation", "messages", "thread", "transcript"),
    "resolution": ("resolution", "solution", "answer", "fix", "resolution_notes"),
    "product": ("product", "product_name", "model", "device"),
    "created_at": ("created_at", "created", "opened", "opened_at", "date"),
    "resolved_at": ("resolved_at", "resolved", "closed", "closed_at"),
    "status": ("status", "state"),
    "tags": ("tags", "labels", "categories"),
    "url": ("url", "link"),
}
# Only statuses that clearly mean "still open" skip a ticket; an unfamiliar label
# ("archived", "Erledigt") is kept, since the export was asked for resolved tickets.
_OPEN_STATUSES = {"open", "new", "pending", "in_progress", "in progress", "on_hold", "on hold"}
_OPEN_STATUSES |= {"waiting", "reopened", "escalated", "active", "assigned", "triage", "todo"}
_OPEN_STATUSES |= {"to do", "unresolved", "awaiting_reply", "awaiting reply", "hold", "working"}
_SPEAKER_KEYS = ("from", "role", "author", "sender")
_TEXT_KEYS = ("text", "body", "content", "message")
_CUSTOMER = {"customer", "user", "requester", "client", "end_user", "end-user", "enduser"}
_AGENT = {"agent", "support", "staff", "assistant", "admin", "operator", "technician", "tech"}
_CONVERSATION_BLOCK = 1500  # characters; long threads become several blocks at message ends

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _field_map(names: list[str]) -> dict[str, str]:
    """Canonical field -> the record's own key, for the first alias present."""
    present = {_norm(n): n for n in names}
    found: dict[str, str] = {}
    for canonical, aliases in ALIASES.items():
        for alias in aliases:
            if alias in present:
                found[canonical] = present[alias]
                break
    return found


def _missing(fields: dict[str, str]) -> list[str]:
    missing = []
    if not {"subject", "description", "conversation"} & fields.keys():
        missing.append(
            "subject, description or conversation (accepted: "
            + ", ".join(ALIASES["subject"] + ALIASES["description"] + ALIASES["conversation"])
            + ")"
        )
    if "resolution" not in fields:
        missing.append(f"resolution (accepted: {', '.join(ALIASES['resolution'])})")
    return missing


def _conversation_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if not isinstance(value, list):
        return ""
    lines = []
    for turn in value:
        if isinstance(turn, dict):
            speaker = next((as_text(turn[k]) for k in _SPEAKER_KEYS if k in turn), "")
            said = next((as_text(turn[k]) for k in _TEXT_KEYS if k in turn), "")
            if said:
                lines.append(f"{_speaker(speaker)}: {' '.join(said.split())}")
        elif as_text(turn):
            lines.append(as_text(turn))
    return "\n".join(lines)


def _speaker(name: str) -> str:
    """Normalise the usual role names to Customer/Agent; keep real names as written."""
    lowered = name.strip().lower()
    if lowered in _CUSTOMER:
        return "Customer"
    if lowered in _AGENT:
        return "Agent"
    return name.strip() or "Message"


def _conversation_chunks(text: str) -> list[str]:
    """Split a long thread into blocks of whole messages (lines), about 1,500 chars each."""
    chunks: list[list[str]] = [[]]
    size = 0
    for line in text.split("\n"):
        if chunks[-1] and size + len(line) > _CONVERSATION_BLOCK:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
    return ["\n".join(c) for c in chunks if "".join(c).strip()]


def _tags(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(t for t in (as_text(v) for v in value) if t)
    return ", ".join(t.strip() for t in re.split(r"[;,|]", as_text(value)) if t.strip())


def _ticket(record: dict[str, Any], fields: dict[str, str], where: str) -> ParsedDocument | str:
    """One ticket, or the reason (a warning) it was skipped."""

    def get(name: str) -> Any:
        key = fields.get(name)
        return record.get(key) if key is not None else None

    status = as_text(get("status")).lower()
    if _norm(status) in _OPEN_STATUSES or status in _OPEN_STATUSES:
        return f"{where}: status {status!r} means the ticket is not resolved; skipped"
    subject = as_text(get("subject"))
    description = as_text(get("description"))
    conversation = _conversation_text(get("conversation"))
    resolution = as_text(get("resolution"))
    if not resolution:
        return f"{where}: no resolution; skipped"
    if not (subject or description or conversation):
        return f"{where}: no subject, description or conversation; skipped"
    ticket_id = as_text(get("id")) or where
    title = subject or " ".join((description or conversation).split()[:12])
    heading = f"Ticket {ticket_id}: {title}"
    builder = DocBuilder(base_path=(heading,))
    builder.add(description or ("" if conversation else subject))
    for chunk in _conversation_chunks(conversation):
        _add_section(builder, (heading, TICKET_CONVERSATION), chunk, kind="raw")
    _add_section(builder, (heading, TICKET_RESOLUTION), resolution)
    metadata = {
        key: value
        for key, value in {
            "created_at": as_text(get("created_at")),
            "resolved_at": as_text(get("resolved_at")),
            "status": status,
            "tags": _tags(get("tags")),
        }.items()
        if value
    }
    return finish_document(
        builder,
        title=title,
        doc_type=DocType.TICKET,
        record_id=ticket_id,
        product=as_text(get("product")),
        url=as_text(get("url")),
        metadata=metadata,
    )


def _add_section(
    builder: DocBuilder, path: tuple[str, ...], text: str, kind: BlockKind = "prose"
) -> None:
    """Add `text` under a sub-heading of the ticket (blocks and any hidden text)."""
    section = DocBuilder(base_path=path)
    section.add(text, kind=kind)
    builder.blocks.extend(section.blocks)
    builder.hidden.extend(section.hidden)


def _tickets(
    records: list[tuple[str, dict[str, Any]]], fields: dict[str, str] | None = None
) -> list[ParsedDocument]:
    """Tickets from (location, record) pairs; skipped records become warnings on the first."""
    documents: list[ParsedDocument] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for where, record in records:
        result = _ticket(record, fields or _field_map(list(record)), where)
        if isinstance(result, str):
            warnings.append(result)
        elif result.record_id in seen:
            # Two documents with one id would overwrite each other in the index.
            warnings.append(f"{where}: ticket id {result.record_id!r} repeats; skipped")
        else:
            seen.add(result.record_id or "")
            documents.append(result)
    if not documents:
        detail = f" ({warnings[0]}{'; …' if len(warnings) > 1 else ''})" if warnings else ""
        raise SourceError(f"no usable tickets found{detail}")
    documents[0].warnings.extend(warnings)
    return documents


def tickets_from_records(records: list[dict[str, Any]], ctx: LoadContext) -> list[ParsedDocument]:
    """Tickets from already-parsed records (the KB loader hands over ticket-shaped JSON)."""
    del ctx  # tickets are tickets wherever they sit
    return _tickets([(f"record {n}", r) for n, r in enumerate(records, 1) if isinstance(r, dict)])


def load_tickets_csv(raw: bytes, ctx: LoadContext) -> list[ParsedDocument]:
    del ctx  # tickets are tickets wherever they sit
    text = decode_text(raw)
    dialect: Any = csv.excel
    header = text.split("\n", 1)[0]
    if "," not in header:  # only then guess: the sniffer misreads commas inside quoted text
        try:
            dialect = csv.Sniffer().sniff(text[:8192], delimiters=";\t|")
        except csv.Error:
            dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    names = [n for n in (reader.fieldnames or []) if n]
    fields = _field_map(names)
    if missing := _missing(fields):
        raise SourceError(
            f"missing required column(s): {' and '.join(missing)}; "
            f"found: {', '.join(names) or 'none'}"
        )
    try:
        rows = [(f"row {n}", row) for n, row in enumerate(reader, 2)]
    except csv.Error as exc:
        raise SourceError(f"not a readable CSV file: {exc}") from None
    return _tickets(rows, fields)


def load_tickets_jsonl(raw: bytes, ctx: LoadContext) -> list[ParsedDocument]:
    del ctx
    records: list[tuple[str, dict[str, Any]]] = []
    bad_lines: list[str] = []
    for number, line in enumerate(decode_text(raw).split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            bad_lines.append(
                f"line {number}: not valid JSON ({getattr(exc, 'msg', 'too deep')}); skipped"
            )
            continue
        if isinstance(record, dict):
            records.append((f"line {number}", record))
        else:
            bad_lines.append(f"line {number}: not a JSON object; skipped")
    if not records:
        raise SourceError(f"no ticket records found{f' ({bad_lines[0]})' if bad_lines else ''}")
    documents = _tickets(records)
    documents[0].warnings[:0] = bad_lines
    return documents
