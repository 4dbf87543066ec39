"""Format loaders: raw bytes of one source file in, `ParsedDocument`s out.

Each loader is a plain function `(raw: bytes, ctx: LoadContext) -> list[ParsedDocument]` that
raises `SourceError` with a clear reason when the file cannot be used. Loaders do no I/O: the
pipeline reads the file once (it also hashes those bytes) and hands them over.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from ingest.document import LoadContext, ParsedDocument

Loader = Callable[[bytes, LoadContext], list[ParsedDocument]]


def _registry() -> dict[str, Loader]:
    # Imported lazily so that importing the package stays cheap (pypdf, bs4 are not free).
    from ingest.loaders.html import load_html
    from ingest.loaders.kb import load_kb_json
    from ingest.loaders.markdown import load_markdown
    from ingest.loaders.pdf import load_pdf
    from ingest.loaders.rst import load_rst
    from ingest.loaders.text import load_text
    from ingest.loaders.tickets import load_tickets_csv, load_tickets_jsonl

    return {
        ".md": load_markdown,
        ".markdown": load_markdown,
        ".html": load_html,
        ".htm": load_html,
        ".pdf": load_pdf,
        ".rst": load_rst,
        ".txt": load_text,
        ".csv": load_tickets_csv,
        ".jsonl": load_tickets_jsonl,
        ".json": load_kb_json,
    }


SUPPORTED_SUFFIXES = frozenset(
    {".md", ".markdown", ".html", ".htm", ".pdf", ".rst", ".txt", ".csv", ".jsonl", ".json"}
)


def loader_for(path: str | PurePath) -> Loader | None:
    """The loader for a file name, or None when the format is not supported."""
    suffix = PurePath(path).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return None
    return _registry()[suffix]
