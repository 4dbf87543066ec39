"""HTML loader (BeautifulSoup + lxml), also used for HTML bodies inside KB exports.

Order matters: hidden material (comments, script/style, `hidden`, display:none, text coloured
like its background) is cut out and recorded first, page chrome (nav, header, footer, aside,
forms) is dropped, and only then is the tree walked in document order. The walk treats
headings as path changes and p/ul/ol/pre/table/blockquote/dl as blocks; loose text between
block elements is gathered into paragraphs so nothing visible is lost.
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, Tag
from bs4.element import Comment, NavigableString, PageElement, PreformattedString

from ingest.document import Block, LoadContext, ParsedDocument, SourceError
from ingest.loaders.common import (
    DocBuilder,
    background_of,
    decode_text,
    finish_document,
    normalize_color,
    parse_doc_type,
    parse_style,
    style_hides,
    title_from_source,
)

_HIDDEN_TAGS = ("script", "style", "template")
_CHROME_TAGS: tuple[str, ...] = ("noscript", "nav", "header", "footer", "aside", "form", "head")
_CHROME_TAGS += ("iframe", "button", "select", "svg", "canvas", "object", "embed", "img", "picture")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = {"p", "ul", "ol", "pre", "table", "blockquote", "dl", "hr", "figure", "details"}
_BLOCK_TAGS |= set(_HEADINGS) | {"div", "section", "article", "main", "body", "li", "summary"}
_BLOCK_TAGS |= {"address", "figcaption", "dd", "dt", "tr", "td", "th", "caption", "center"}
_BLOCK_TAGS |= {"html", "[document]"}


def _cut_hidden(root: Tag, builder: DocBuilder) -> None:
    """Record and remove everything a reader of the rendered page would not see."""
    for comment in root.find_all(string=lambda s: isinstance(s, Comment)):
        builder.add_hidden(str(comment))
        comment.extract()
    for tag in root.find_all(_HIDDEN_TAGS):
        builder.add_hidden(tag.get_text(" "))
        tag.decompose()
    for tag in root.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        if _is_hidden(tag):
            builder.add_hidden(tag.get_text(" "))
            tag.decompose()


def _is_hidden(tag: Tag) -> bool:
    if tag.has_attr("hidden") or (tag.name == "input" and tag.get("type") == "hidden"):
        return True
    style = parse_style(str(tag.get("style", "")))
    if isinstance(tag.get("color"), str) and "color" not in style:
        style["color"] = str(tag["color"]).lower()  # <font color="white">
    if not style:
        return False
    return style_hides(style, _inherited_background(tag))


def _inherited_background(tag: Tag) -> str | None:
    """The nearest background colour set on an ancestor (style or bgcolor), if any."""
    for parent in tag.parents:
        if not isinstance(parent, Tag) or parent.attrs is None:
            continue
        found = background_of(parse_style(str(parent.get("style", ""))))
        bgcolor = parent.get("bgcolor")
        if found is None and isinstance(bgcolor, str):
            found = normalize_color(bgcolor)
        if found:
            return found
    return None


def _inline_text(node: PageElement) -> str:
    """Visible text of an element; <br> and nested block elements become line breaks."""
    if isinstance(node, NavigableString):
        # Source line breaks inside text are just spaces; only <br> and blocks break lines.
        return "" if isinstance(node, PreformattedString) else re.sub(r"\s+", " ", str(node))
    if not isinstance(node, Tag):
        return ""
    if node.name == "br":
        return "\n"
    inner = "".join(_inline_text(child) for child in node.children)
    return f"\n{inner}\n" if node.name in _BLOCK_TAGS else inner


def _lines(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


class _Walker:
    def __init__(self, builder: DocBuilder) -> None:
        self.b = builder
        self.pending: list[str] = []

    def flush(self) -> None:
        text = " ".join("".join(self.pending).split())
        self.pending.clear()
        if text:
            self.b.add(text)

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):
                    self.pending.append(str(child))
            elif isinstance(child, Tag):
                self.element(child)

    def element(self, tag: Tag) -> None:
        name = tag.name
        if name in _HEADINGS:
            self.flush()
            self.b.heading(_HEADINGS[name], " ".join(tag.get_text(" ").split()))
        elif name == "p":
            self.flush()
            self.b.add(_inline_text(tag))
        elif name in ("ul", "ol"):
            self.flush()
            self.b.add(self.list_text(tag), "raw")
        elif name == "pre":
            self.flush()
            self.b.add(tag.get_text(), "code")
        elif name == "table":
            self.flush()
            self.b.add(self.table_text(tag))
        elif name == "dl":
            self.flush()
            self.b.add(self.definitions_text(tag), "raw")
        elif name == "blockquote":
            self.flush()
            self.b.add(_lines(_inline_text(tag)))
        elif name == "hr":
            self.flush()
        elif name in _BLOCK_TAGS:
            self.flush()
            self.walk(tag)
            self.flush()
        elif name == "br":
            self.pending.append("\n")
        else:
            self.walk(tag)  # inline element: its text joins the current paragraph

    def list_text(self, tag: Tag, depth: int = 0) -> str:
        ordered = tag.name == "ol"
        start = str(tag.get("start", "1"))
        number = int(start) if start.isdigit() else 1
        lines: list[str] = []
        for item in tag.find_all("li", recursive=False):
            own = [s for s in item.find_all(("ul", "ol")) if s.find_parent("li") is item]
            nested = [sub.extract() for sub in own]
            text = " ".join(_inline_text(item).split())
            label = f"{number}." if ordered else "-"
            number += 1
            lines.append("  " * depth + f"{label} {text}".rstrip())
            for sub in nested:
                lines.append(self.list_text(sub, depth + 1))
        return "\n".join(line for line in lines if line.strip())

    def table_text(self, tag: Tag) -> str:
        rows: list[str] = []
        caption = tag.find("caption")
        if isinstance(caption, Tag):
            rows.append(" ".join(caption.get_text(" ").split()))
        for row in tag.find_all("tr"):
            cells = [" ".join(_inline_text(c).split()) for c in row.find_all(("th", "td"))]
            if any(cells):
                rows.append(" | ".join(cells))
        return "\n".join(rows)

    def definitions_text(self, tag: Tag) -> str:
        lines: list[str] = []
        for child in tag.find_all(("dt", "dd")):
            text = " ".join(_inline_text(child).split())
            if text:
                lines.append(text if child.name == "dt" else f"  {text}")
        return "\n".join(lines)


def _blocks_from_soup(root: Tag, builder: DocBuilder) -> None:
    _cut_hidden(root, builder)
    for tag in root.find_all(_CHROME_TAGS):
        if not tag.decomposed:
            tag.decompose()
    walker = _Walker(builder)
    walker.walk(root)
    walker.flush()


def html_to_blocks(html: str, base_path: tuple[str, ...] = ()) -> tuple[list[Block], list[str]]:
    """HTML text (page or fragment) -> (blocks, hidden texts); the KB loader uses this."""
    builder = DocBuilder(base_path=base_path)
    _blocks_from_soup(BeautifulSoup(html, "lxml"), builder)
    return builder.blocks, builder.hidden


def _decode(raw: bytes) -> str:
    """UTF-8 as everywhere else, but honour a declared legacy charset (old KB exports)."""
    try:
        return decode_text(raw)
    except SourceError as exc:
        declared = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", raw[:4096], re.I)
        if not declared or "UTF-8" not in str(exc):
            raise
        try:
            return raw.decode(declared.group(1).decode("ascii")).replace("\r\n", "\n")
        except (LookupError, UnicodeDecodeError):
            raise exc from None


def _meta(soup: BeautifulSoup, **attrs: str) -> str:
    wanted: dict[str, Any] = dict(attrs)
    tag = soup.find("meta", attrs=wanted)
    return " ".join(str(tag.get("content", "")).split()) if isinstance(tag, Tag) else ""


def load_html(raw: bytes, ctx: LoadContext) -> list[ParsedDocument]:
    soup = BeautifulSoup(_decode(raw), "lxml")
    title_tag = soup.find("title")
    page_title = " ".join(title_tag.get_text(" ").split()) if title_tag else ""
    product = _meta(soup, name="product")
    canonical = soup.find("link", rel="canonical")
    url = str(canonical.get("href", "")) if isinstance(canonical, Tag) else ""
    url = url or _meta(soup, property="og:url")
    declared = _meta(soup, name="doc-type")
    warnings: list[str] = []
    doc_type = parse_doc_type(declared) or ctx.default_doc_type
    if declared and parse_doc_type(declared) is None:
        warnings.append(f'<meta name="doc-type"> {declared!r} is not manual, kb or ticket; ignored')
    builder = DocBuilder()
    _blocks_from_soup(soup, builder)
    doc = finish_document(
        builder,
        title=page_title or builder.first_h1 or title_from_source(ctx.source),
        doc_type=doc_type,
        product=product,
        url=url,
        warnings=warnings,
    )
    return [doc]
