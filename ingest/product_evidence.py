"""What a document says about the product it covers, with where it says it.

Strongest first: a field that names the product outright (front matter `product:`, an HTML
`<meta name="product">`, a ticket's or KB record's product field), then the folder it sits in,
its title (for a PDF, the metadata title), its first line when that reads as a title, its
first heading (a PDF's first outline entry), and its file name. Model codes are found by
app/ground/model_codes.py; nothing here knows any product. Only manuals are read for model
codes: tickets and KB articles name products through their field, and their titles are
matched against the catalog the manuals make.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from app.ground.model_codes import FoundCode, codes_in_name, codes_in_title
from ingest.document import DocType, ParsedDocument

_TITLE_LINE_WORDS = 12
_BODY_CHARS = 200_000  # enough text to see how a manual names its model


@dataclass(frozen=True)
class Evidence:
    """One place where a document names a product."""

    product: str  # the name as found there: a model code (with variant words) or a field
    kind: str  # front matter, html meta, ticket field, record field, folder, title, ...
    text: str  # the text it was read from
    phrase: str = ""  # a longer name around a model code ("Samsung Galaxy S10")

    @property
    def explicit(self) -> bool:
        return self.kind in EXPLICIT_KINDS


_FIELD_KINDS = {".md": "front matter", ".markdown": "front matter", ".html": "html meta"}
EXPLICIT_KINDS = frozenset(
    {"front matter", "html meta", "ticket field", "record field", "pdf metadata"}
)


def field_kind(document: ParsedDocument, source: str) -> str:
    """How a loader's `product` field was written down in this kind of source."""
    if document.doc_type == DocType.TICKET:
        return "ticket field"
    suffix = PurePosixPath(source).suffix.lower()
    return _FIELD_KINDS.get(suffix, "pdf metadata" if suffix == ".pdf" else "record field")


def document_evidence(document: ParsedDocument, source: str) -> list[Evidence]:
    """Every place `document` names a product, strongest first (see the module docstring)."""
    found: list[Evidence] = []
    if document.product and document.product.strip():
        kind = field_kind(document, source)
        found.append(Evidence(document.product.strip(), kind, document.product.strip()))
    if document.doc_type != DocType.MANUAL:
        # A ticket's subject is the customer's words, and a KB article is about a problem
        # ("Firmware update fails with E-17"), not a product: their titles name products
        # only where the catalog knows them (ingest/pipeline.py matches them against it).
        return found
    body = _body(document)
    path = PurePosixPath(source)
    for folder in reversed(path.parts[:-1]):
        found += _from(codes_in_name(folder), "folder", folder, body)
    found += _from(codes_in_title(document.title), "title", document.title, body)
    line = title_line(document)
    if line:
        found += _from(codes_in_title(line), "title line", line, body)
    heading = (
        document.blocks[0].heading_path[0]
        if document.blocks and document.blocks[0].heading_path
        else ""
    )
    if heading and heading != document.title:
        found += _from(codes_in_title(heading), "heading", heading, body)
    found += _from(codes_in_name(path.stem), "file name", path.name, body)
    return found


def title_line(document: ParsedDocument) -> str:
    """The document's first line when it reads as a title: short, not a sentence.

    Manuals converted from PDF often start with a plain line ("Samsung Galaxy S10 User
    Manual") rather than a heading."""
    if not document.blocks:
        return ""
    first = (
        document.blocks[0].text.strip().splitlines()[0].strip()
        if document.blocks[0].text.strip()
        else ""
    )
    first = first.lstrip("#").strip()
    if not first or len(first.split()) > _TITLE_LINE_WORDS or first.endswith((".", "?", "!", ":")):
        return ""
    return first


def _from(codes: list[FoundCode], kind: str, text: str, body: str) -> list[Evidence]:
    return [Evidence(_as_named(code.code, body), kind, text, code.phrase) for code in codes]


def _as_named(code: str, body: str) -> str:
    """The code with its variant words ("LA-6 Pro") only when the document itself mostly
    calls the model so: "LX-1400 Switch Manual" names the LX-1400, whose manual says "the
    LX-1400" throughout, while an LA-6 Pro guide says "LA-6 Pro" nearly every time."""
    bare, _, qualifiers = code.partition(" ")
    if not qualifiers:
        return code
    separators = r"[\s_\-]*".join(re.escape(ch) for ch in re.sub(r"[\s_\-]", "", bare))
    mentions = re.findall(
        rf"(?<![A-Za-z0-9]){separators}(?![A-Za-z0-9])((?:\s+[A-Za-z]+){{0,2}})", body, re.I
    )
    if not mentions:
        return code
    wanted = qualifiers.lower().split()
    with_them = sum(1 for m in mentions if m.lower().split()[: len(wanted)] == wanted)
    return code if with_them * 2 >= len(mentions) else bare


def _body(document: ParsedDocument) -> str:
    parts: list[str] = []
    size = 0
    for block in document.blocks:
        parts.append(block.text)
        size += len(block.text)
        if size > _BODY_CHARS:
            break
    return "\n".join(parts)
