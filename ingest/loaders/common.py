"""Helpers every loader shares: decoding, invisible-text quarantine, heading paths, titles.

Loaders differ in how they find structure, but they must agree on what a block looks like and
on what counts as hidden text, or retrieval and the injection check would behave differently
per format. So the rules live here once: `decode_text` turns bytes into text with errors a
person can act on, `DocBuilder` collects blocks under a heading stack and cleans every piece of
text on the way in, and `finish_document` applies the "no readable text" rule.
"""

from __future__ import annotations

import codecs
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from ingest.document import Block, DocType, ParsedDocument, SourceError

# --- decoding ---------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(raw: bytes) -> str:
    """Bytes of a text file -> str with \\n newlines, or SourceError saying what is wrong."""
    if not raw.strip():
        raise SourceError("empty file")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"not valid {encoding.upper()} (first bad byte at offset "
                    f"{exc.start + len(bom)}); save the file as UTF-8"
                ) from None
            break
    else:
        # Checked only without a BOM: UTF-16 text is full of NUL bytes by design.
        if b"\x00" in raw[:8192]:
            raise SourceError("looks like a binary file, not text")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"not valid UTF-8 (first bad byte at offset {exc.start}); save the file as UTF-8"
            ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise SourceError("empty file")
    return text


# --- invisible characters ---------------------------------------------------------------------

# Zero-width, joiners, direction marks/overrides/isolates and stray BOMs.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Unicode "tag" characters mirror ASCII but render as nothing: a known way to smuggle text.
_TAG_CHARS = re.compile("[\U000e0000-\U000e007f]+")
# LRM/RLM are routine in right-to-left text, so they never count as obfuscation on their own.
_BENIGN = {"\u200e", "\u200f"}


def sanitize_text(text: str) -> tuple[str, list[str]]:
    """Remove invisible characters; return (visible text, hidden runs found).

    A line where invisible characters are interleaved with words (two or more touching a
    letter or digit) is treated as an attempt to slip text past filters: the whole line leaves
    the visible text and its de-obfuscated form goes to the hidden list instead. Isolated
    marks (a joiner inside an emoji, a direction mark in Hebrew) are simply dropped.
    """
    if not _INVISIBLE.search(text) and not _TAG_CHARS.search(text):
        return text, []
    hidden: list[str] = []
    kept: list[str] = []
    for line in text.split("\n"):
        for run in _TAG_CHARS.findall(line):
            smuggled = "".join(chr(ord(c) - 0xE0000) for c in run if 0xE0020 <= ord(c) <= 0xE007E)
            if smuggled.strip():
                hidden.append(smuggled.strip())
        line = _TAG_CHARS.sub("", line)
        touching = 0
        for match in _INVISIBLE.finditer(line):
            if match.group() in _BENIGN:
                continue
            before = line[match.start() - 1] if match.start() else ""
            after = line[match.end()] if match.end() < len(line) else ""
            if before.isalnum() or after.isalnum():
                touching += 1
        visible = _INVISIBLE.sub("", line)
        if touching >= 2 and any(c.isalnum() for c in visible):
            hidden.append(" ".join(visible.split()))
        else:
            kept.append(visible)
    return "\n".join(kept), hidden


_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def tidy_prose(text: str) -> str:
    """Collapse runs of spaces, trim lines, keep single blank lines as paragraph breaks."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", joined).strip()


def tidy_code(text: str) -> str:
    """Keep a code block's indentation (it carries meaning) but drop margins and blank edges."""
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return textwrap.dedent("\n".join(lines))


# --- building documents -----------------------------------------------------------------------

BlockKind = Literal["prose", "code", "raw"]


@dataclass
class DocBuilder:
    """Collects blocks under a heading stack; every text passes `sanitize_text` on the way in.

    `base_path` is prepended to every heading path (a KB article's title, say). An H1 equal to
    the last base component is the same heading written twice, so it is not pushed again.
    """

    base_path: tuple[str, ...] = ()
    blocks: list[Block] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    first_h1: str | None = None
    heading_count: int = 0
    _stack: list[tuple[int, str]] = field(default_factory=list)

    @property
    def path(self) -> tuple[str, ...]:
        return self.base_path + tuple(text for _, text in self._stack)

    def child(self) -> DocBuilder:
        """A builder for nested content (admonition, list item) under the current path."""
        return DocBuilder(base_path=self.path)

    def heading(self, level: int, text: str) -> None:
        visible, hidden = sanitize_text(text)
        self.hidden.extend(hidden)
        clean = " ".join(visible.split())
        if not clean:
            return
        self.heading_count += 1
        if level == 1 and self.first_h1 is None:
            self.first_h1 = clean
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        if not self._stack and self.base_path and clean.lower() == self.base_path[-1].lower():
            return
        self._stack.append((level, clean))

    def add(self, text: str, kind: BlockKind = "prose", page: int | None = None) -> None:
        """Add one block; "raw" means the text was already tidied (assembled from sub-blocks)."""
        visible, hidden = sanitize_text(text)
        self.hidden.extend(hidden)
        if kind == "prose":
            visible = tidy_prose(visible)
        elif kind == "code":
            visible = tidy_code(visible)
        else:
            visible = visible.strip("\n")
        if visible.strip():
            self.blocks.append(Block(text=visible, heading_path=self.path, page=page))

    def add_hidden(self, text: str) -> None:
        visible, hidden = sanitize_text(text)
        self.hidden.extend(hidden)
        clean = tidy_prose(visible)
        if clean:
            self.hidden.append(clean)


def finish_document(
    builder: DocBuilder,
    *,
    title: str,
    doc_type: DocType,
    record_id: str | None = None,
    product: str | None = None,
    url: str | None = None,
    metadata: dict[str, str] | None = None,
    warnings: list[str] | None = None,
) -> ParsedDocument:
    """Wrap a builder's result, enforcing the "some readable text" rule.

    A page that is only a title (an index page whose body is pulled in by an include) still
    loads, with a warning, so a docs tree does not fail on its table-of-contents files.
    """
    notes = list(warnings or [])
    if not builder.blocks:
        if not builder.heading_count:
            raise SourceError("no readable text found")
        notes.append("only headings, no body text to index")
    return ParsedDocument(
        title=title,
        doc_type=doc_type,
        blocks=builder.blocks,
        record_id=record_id,
        product=product or None,
        url=url or None,
        metadata=dict(metadata or {}),
        warnings=notes,
        hidden_text=builder.hidden,
    )


def prefix_paths(blocks: list[Block], root: str) -> list[Block]:
    """Put `root` in front of every heading path (a title that was not written as an H1)."""
    return [Block(b.text, (root, *b.heading_path), b.page) for b in blocks]


# --- titles, types, small parsing helpers -----------------------------------------------------


def title_from_source(source: str) -> str:
    """'guides/basic_install.md' -> 'Basic install': the fallback when nothing names the doc.

    'docker/index.md' names its folder, so it becomes 'Docker' rather than 'Index'.
    """
    path = PurePosixPath(source)
    stem = path.stem or source
    if stem.lower() in ("index", "_index", "readme") and path.parent.name:
        stem = path.parent.name
    words = " ".join(re.split(r"[-_\s.]+", stem)).strip() or stem
    return words[0].upper() + words[1:] if words else "Untitled"


def parse_doc_type(value: str | None) -> DocType | None:
    """'Manual', ' KB ' -> DocType; anything else -> None (the caller decides whether to warn)."""
    if not value:
        return None
    try:
        return DocType(value.strip().lower())
    except ValueError:
        return None


def as_text(value: object) -> str:
    """A JSON/CSV value as display text: lists joined, numbers plain, None empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if isinstance(value, list | tuple):
        return ", ".join(t for t in (as_text(v) for v in value) if t)
    return ""


_BLOCK_TAG = re.compile(r"<(p|div|h[1-6]|ul|ol|li|table|pre|blockquote|section)\b[^>]*>", re.I)
_MARKDOWN_SIGN = re.compile(r"^(#{1,6}\s|```|~~~|[-*+]\s|\d+\.\s)", re.M)


def looks_like_html(text: str) -> bool:
    """Heuristic for free-text fields that may hold HTML (KB bodies, ticket descriptions).

    Markdown may embed a stray <div>, so block tags only count when no Markdown structure
    (headings, fences, lists) is present.
    """
    stripped = text.lstrip()
    if re.match(r"<(!--|!doctype|[a-zA-Z][\w-]*[\s/>])", stripped, re.I):
        return True
    return len(_BLOCK_TAG.findall(text)) >= 2 and not _MARKDOWN_SIGN.search(text)


# --- hidden HTML ------------------------------------------------------------------------------

_NAMED_COLORS = {"white": "#ffffff", "black": "#000000", "transparent": "transparent"}


def parse_style(style: str) -> dict[str, str]:
    """'color: #FFF; display:none' -> {'color': '#fff', 'display': 'none'} (lower-cased)."""
    result: dict[str, str] = {}
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if sep:
            result[name.strip().lower()] = value.replace("!important", "").strip().lower()
    return result


def normalize_color(value: str) -> str | None:
    """CSS colour -> '#rrggbb' for the few forms worth comparing; None when unknown."""
    value = value.strip().lower()
    if value in _NAMED_COLORS:
        return _NAMED_COLORS[value]
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        return "#" + "".join(c * 2 for c in value[1:])
    if re.fullmatch(r"#[0-9a-f]{6}", value):
        return value
    match = re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([\d.]+)\s*)?\)", value)
    if match:
        if match.group(4) is not None and float(match.group(4)) == 0:
            return "transparent"
        return "#" + "".join(f"{min(int(match.group(i)), 255):02x}" for i in (1, 2, 3))
    return None


def background_of(style: dict[str, str]) -> str | None:
    """The background colour a style sets, if any (from background-color or background)."""
    for key in ("background-color", "background"):
        if key in style:
            for token in style[key].split():
                color = normalize_color(token)
                if color and color != "transparent":
                    return color
    return None


def style_hides(style: dict[str, str], background: str | None = None) -> bool:
    """True when a style makes text invisible: display/visibility, zero size or opacity, or
    text coloured like its background (the page is assumed white when nothing says else)."""
    if style.get("display") == "none" or style.get("visibility") in ("hidden", "collapse"):
        return True
    if re.fullmatch(r"0+(\.0+)?(px|pt|em|rem|%)?", style.get("font-size", "1")):
        return True
    if re.fullmatch(r"0+(\.0+)?", style.get("opacity", "1")):
        return True
    color = normalize_color(style.get("color", ""))
    own_background = background_of(style)
    return color is not None and color == (own_background or background or "#ffffff")


_ATTR = re.compile(r"""([\w:-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


def attrs_hide(attrs: str) -> bool:
    """Do the attributes of a raw HTML tag (as written in Markdown) hide its content?"""
    values = {m.group(1).lower(): (m.group(2) or "").strip("\"'") for m in _ATTR.finditer(attrs)}
    if "hidden" in values:
        return True
    style = parse_style(values.get("style", ""))
    if "color" in values and "color" not in style:
        style["color"] = values["color"].lower()  # <font color="white">
    return style_hides(style)


_OPEN_TAG = re.compile(r"<([a-zA-Z][\w-]*)\b([^<>]*)>")
_ALWAYS_HIDDEN = {"script", "style", "template", "noscript"}


def cut_hidden_html(text: str) -> tuple[str, list[str]]:
    """Remove raw HTML elements that hide their content from Markdown/text; return them too.

    Regex-level on purpose: Markdown is not an HTML document, and these elements are rare
    enough that matching the nearest balanced closing tag of the same name is sufficient.
    """
    hidden: list[str] = []
    pos = 0
    out: list[str] = []
    for match in _OPEN_TAG.finditer(text):
        if match.start() < pos:
            continue
        name = match.group(1).lower()
        if name not in _ALWAYS_HIDDEN and not attrs_hide(match.group(2)):
            continue
        end = _closing_tag_end(text, name, match.end())
        if end is None:
            continue
        out.append(text[pos : match.start()])
        inner = re.sub(r"<[^<>]*>", " ", text[match.end() : end])
        if inner.strip():
            hidden.append(" ".join(inner.split()))
        pos = end
    out.append(text[pos:])
    return "".join(out), hidden


def _closing_tag_end(text: str, name: str, start: int) -> int | None:
    depth = 1
    pattern = re.compile(rf"<(/?){re.escape(name)}\b[^<>]*>", re.I)
    for match in pattern.finditer(text, start):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return match.end()
    return None
