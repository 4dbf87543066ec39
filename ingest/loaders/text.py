"""Plain text: paragraphs separated by blank lines; a short first line is the title."""

from __future__ import annotations

from ingest.document import LoadContext, ParsedDocument
from ingest.loaders.common import DocBuilder, decode_text, finish_document, title_from_source


def load_text(raw: bytes, ctx: LoadContext) -> list[ParsedDocument]:
    text = decode_text(raw).strip()
    first, _, rest = text.partition("\n")
    first = first.strip()
    # A short line without a final full stop reads as a title, not as the first sentence.
    has_title = 0 < len(first) < 80 and not first.endswith((".", "!", "?", ":")) and rest.strip()
    title = first if has_title else title_from_source(ctx.source)
    builder = DocBuilder(base_path=(title,) if has_title else ())
    for paragraph in (rest if has_title else text).split("\n\n"):
        builder.add(paragraph)
    return [finish_document(builder, title=title, doc_type=ctx.default_doc_type)]
