"""Knowledge-base exports as JSON: one document per article.

Accepts a list of articles or an object holding the list under a usual key. Article bodies
may be Markdown or HTML (help-centre exports use both). If the records turn out to be
tickets (they carry a resolution), they are read as tickets instead. Nesting is checked
before parsing: a hostile file nested thousands deep would otherwise exhaust the stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ingest.document import DocType, LoadContext, ParsedDocument, SourceError
from ingest.loaders.common import (
    DocBuilder,
    as_text,
    decode_text,
    finish_document,
    looks_like_html,
    sanitize_text,
)
from ingest.loaders.html import html_to_blocks
from ingest.loaders.markdown import markdown_to_blocks
from ingest.loaders.tickets import ALIASES as TICKET_ALIASES
from ingest.loaders.tickets import tickets_from_records

MAX_DEPTH = 64
_LIST_KEYS = ("articles", "items", "data", "results")
_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "name", "subject"),
    "body": ("body", "content", "text", "body_html", "html", "markdown"),
    "url": ("url", "link", "html_url"),
    "updated_at": ("updated_at", "updated", "modified", "last_modified"),
    "product": ("product",),
    "id": ("id",),
}


_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """Bracket nesting outside strings, found without parsing (a regex scan, no recursion).

    Stops counting once past `limit`: that is all the caller needs to know.
    """
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif token in "]}":
            depth -= 1
    return deepest


def _get(record: dict[str, Any], field: str) -> Any:
    lowered = {k.lower(): v for k, v in record.items()}
    return next((lowered[a] for a in _FIELDS[field] if a in lowered), None)


def _article(record: dict[str, Any], where: str) -> ParsedDocument | str:
    title, hidden = sanitize_text(as_text(_get(record, "title")))
    title = " ".join(title.split())
    body = _get(record, "body")
    body = body if isinstance(body, str) else as_text(body)
    if not title or not body.strip():
        return f"{where}: article without a title or body; skipped"
    to_blocks = html_to_blocks if looks_like_html(body) else markdown_to_blocks
    blocks, body_hidden = to_blocks(body, (title,))
    builder = DocBuilder(base_path=(title,), blocks=blocks, hidden=hidden + body_hidden)
    builder.heading_count = 1
    updated = as_text(_get(record, "updated_at"))
    return finish_document(
        builder,
        title=title,
        doc_type=DocType.KB,
        # Articles must be told apart in the index, so fall back to the URL or position.
        record_id=as_text(_get(record, "id")) or as_text(_get(record, "url")) or where,
        product=as_text(_get(record, "product")),
        url=as_text(_get(record, "url")),
        metadata={"updated_at": updated} if updated else {},
    )


def _records(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in _LIST_KEYS:
            if isinstance(data.get(key), list):
                return list(data[key])
        if _get(data, "title") is not None:
            return [data]  # a single article
    raise SourceError(
        "not a knowledge-base export: expected a list of articles or an object with "
        f"one of {', '.join(_LIST_KEYS)}"
    )


def load_kb_json(raw: bytes, ctx: LoadContext) -> list[ParsedDocument]:
    text = decode_text(raw)
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise SourceError(f"JSON is nested too deeply (over {MAX_DEPTH} levels)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:  # the scan above should prevent this; belt and braces
        raise SourceError(f"JSON is nested too deeply (over {MAX_DEPTH} levels)") from None
    records = [r for r in _records(data) if isinstance(r, dict)]
    if not records:
        raise SourceError("no articles found in the export")
    names = {re.sub(r"[\s\-]+", "_", str(k).strip().lower()) for r in records[:20] for k in r}
    if names & set(TICKET_ALIASES["resolution"]):
        return tickets_from_records(records, ctx)
    documents: list[ParsedDocument] = []
    warnings: list[str] = []
    for number, record in enumerate(records, 1):
        result = _article(record, f"article {number}")
        if isinstance(result, str):
            warnings.append(result)
        else:
            documents.append(result)
    if not documents:
        raise SourceError(f"no usable articles found ({warnings[0]})")
    documents[0].warnings.extend(warnings)
    return documents
