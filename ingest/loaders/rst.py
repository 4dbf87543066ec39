"""reStructuredText loader, written without docutils.

Sphinx projects are full of directives and roles docutils does not know (`option`, `:opt:`,
`:doc:`), and docutils treats those as errors. We only need section paths and readable
paragraphs, so this is a line-based reader: section levels follow the order in which adornment
styles first appear (the docutils rule), directives are either admonition-like (one block,
prefixed with their name), code, transparent containers, tables, or dropped, and comments go to
`hidden_text`. Inline markup is handled in `rst_inline.py`.
"""

from __future__ import annotations

import csv
import re

from ingest.document import LoadContext, ParsedDocument
from ingest.loaders.common import (
    DocBuilder,
    decode_text,
    finish_document,
    parse_doc_type,
    title_from_source,
)
from ingest.loaders.rst_inline import (
    ADORNMENT_CHARS,
    collect_substitutions,
    dedent_block,
    indent_of,
    indented_end,
    inline_to_text,
    render_grid_table,
    render_simple_table,
)

_DIRECTIVE = re.compile(r"^\.\.[ \t]+([\w:.+-]+)::(?:[ \t]+(.*))?$")
_FOOTNOTE = re.compile(r"^\.\.[ \t]+\[([^\]]+)\](?:[ \t]+(.*))?$")
_OPTION = re.compile(r"^:([\w-]+(?: [\w-]+)*):(?:[ \t]+(.*))?$")
_FIELD = re.compile(r"^:(?![\w:.+-]+:`)([^:`]+):(?:[ \t]+(.*))?$")
_BULLET = re.compile(r"^([-*+\u2022\u2023\u2043])( +)(\S.*)$")
_ENUM = re.compile(r"^(\(?)(\d+|#|[A-Za-z])([.)])( +)(\S.*)$")
_SIMPLE_BORDER = re.compile(r"^=+( +=+)+ *$")
_GRID_BORDER = re.compile(r"^\+([-=]+\+)+ *$")
_MAX_DEPTH = 32

_LABELS = {
    "seealso": "See also",
    "versionadded": "New in version",
    "versionchanged": "Changed in version",
    "deprecated": "Deprecated since version",
    "versionremoved": "Removed in version",
}
_ADMONITIONS = {"note", "warning", "tip", "important", "caution", "danger", "attention", "hint"}
_ADMONITIONS |= {"error", "admonition", "topic", "sidebar", *_LABELS}
_CODE = {"code-block", "code", "sourcecode", "parsed-literal"}
_TRANSPARENT = {"container", "only", "tabs", "tab", "group-tab", "code-tab", "glossary", "hlist"}
_TRANSPARENT |= {"rst-class", "cssclass", "figure", "compound", "epigraph", "highlights"}
# Directives whose content is not prose a reader sees on the page (or needs another file).
_DROPPED = {"image", "include", "literalinclude", "contents", "role", "default-role", "raw"}
_DROPPED |= {"default-domain", "highlight", "index", "meta", "math", "graphviz", "digraph"}
_DROPPED |= {"graph", "tabularcolumns", "sectnum", "todo", "program", "currentmodule", "module"}
_DROPPED |= {"target-notes", "header", "footer", "title", "plot", "youtube", "mermaid"}


def _is_adornment(line: str) -> bool:
    s = line.rstrip()
    return len(s) >= 2 and s[0] in ADORNMENT_CHARS and s == s[0] * len(s) and s != "::"


class _Parser:
    def __init__(self, substitutions: dict[str, str]) -> None:
        self.subs = substitutions
        self.styles: dict[tuple[str, bool], int] = {}

    def text(self, value: str) -> str:
        return inline_to_text(value, self.subs)

    def heading(self, b: DocBuilder, char: str, overline: bool, title: str) -> None:
        level = self.styles.setdefault((char, overline), len(self.styles) + 1)
        b.heading(level, " ".join(self.text(title).split()))

    def parse(self, lines: list[str], b: DocBuilder, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            b.add(self.text(" ".join(line.strip() for line in lines)))
            return
        i, n = 0, len(lines)
        while i < n:
            line = lines[i]
            after_blank = i == 0 or not lines[i - 1].strip()
            if not line.strip():
                i += 1
            elif indent_of(line) > 0:  # a block quote: parse it as content in its own right
                end = indented_end(lines, i, 1)
                for text in self.nested(dedent_block(lines[i:end]), b, depth):
                    b.add(text, "raw")
                i = end
            elif (
                after_blank
                and _is_adornment(line)
                and i + 2 < n
                and lines[i + 2].rstrip() == line.rstrip()
                and 0 < len(lines[i + 1].strip()) <= len(line.rstrip())
            ):
                self.heading(b, line[0], True, lines[i + 1])
                i += 3
            elif (
                after_blank
                and i + 1 < n
                and not _is_adornment(line)
                and _is_adornment(lines[i + 1])
                # docutils also accepts (with a warning) an underline of 4+ that falls short.
                and len(lines[i + 1].rstrip()) >= min(len(line.rstrip()), 4)
            ):
                self.heading(b, lines[i + 1][0], False, line)
                i += 2
            elif _is_adornment(line) and len(line.strip()) >= 4:
                i += 1  # a transition line
            elif line.startswith(".."):
                i = self.explicit(lines, i, b, depth)
            elif _SIMPLE_BORDER.match(line):
                rows, i = render_simple_table(lines, i)
                b.add("\n".join(" | ".join(self.text(c) for c in row) for row in rows))
            elif _GRID_BORDER.match(line):
                rows, i = render_grid_table(lines, i)
                b.add("\n".join(" | ".join(self.text(c) for c in row) for row in rows))
            elif self.item_kind(lines, i):
                i = self.list_block(lines, i, b, depth)
            elif line.startswith("|") and (len(line) == 1 or line[1] == " "):
                end = i
                while end < n and lines[end].startswith("|"):
                    end += 1
                b.add("\n".join(self.text(x[1:].strip()) for x in lines[i:end]), "raw")
                i = end
            elif field := _FIELD.match(line):
                end = indented_end(lines, i + 1, 1)
                body = " ".join(x.strip() for x in lines[i + 1 : end])
                b.add(self.text(f"{field.group(1)}: {field.group(2) or ''} {body}"))
                i = end
            else:
                i = self.paragraph(lines, i, b, depth)

    def nested(self, lines: list[str], b: DocBuilder, depth: int) -> list[str]:
        child = b.child()
        child_parser = _Parser(self.subs)
        child_parser.styles = self.styles
        child_parser.parse(lines, child, depth + 1)
        b.hidden.extend(child.hidden)
        return [block.text for block in child.blocks]

    def paragraph(self, lines: list[str], i: int, b: DocBuilder, depth: int) -> int:
        n = len(lines)
        end = i
        while end < n and lines[end].strip() and indent_of(lines[end]) == 0:
            end += 1
        para = [x.strip() for x in lines[i:end]]
        if end < n and lines[end].strip():  # indented text right under a line: definition list
            term = para.pop()
            if para:
                b.add(self.text(" ".join(para)))
            stop = indented_end(lines, end, 1)
            texts = self.nested(dedent_block(lines[end:stop]), b, depth)
            b.add("\n".join([self.text(term), *texts]), "raw")
            return stop
        text = " ".join(para)
        literal = text.endswith("::")
        if literal:  # "Text::" shows "Text:"; "Text ::" and a lone "::" add nothing visible
            text = text[:-2].rstrip() if text == "::" or text[-3] == " " else text[:-1]
        b.add(self.text(text))
        if literal:
            start = end
            while start < n and not lines[start].strip():
                start += 1
            if start < n and indent_of(lines[start]) > 0:
                stop = indented_end(lines, start, 1)
                b.add("\n".join(lines[start:stop]), "code")
                return stop
        return end

    def item_kind(self, lines: list[str], i: int) -> str | None:
        if _BULLET.match(lines[i]):
            return lines[i][0]
        enum = _ENUM.match(lines[i])
        if not enum or (enum.group(1) and enum.group(3) != ")"):
            return None
        # "e.g. foo" is a sentence, not an item: an item's next line is blank, indented or
        # another item.
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if nxt.strip() and indent_of(nxt) == 0 and not _ENUM.match(nxt):
            return None
        return "#" if enum.group(2)[0].isdigit() or enum.group(2) == "#" else "a"

    def list_block(self, lines: list[str], i: int, b: DocBuilder, depth: int) -> int:
        kind = self.item_kind(lines, i)
        rendered: list[str] = []
        number = 1
        n = len(lines)
        while i < n and self.item_kind(lines, i) == kind:
            match = _BULLET.match(lines[i]) or _ENUM.match(lines[i])
            assert match is not None
            marker = match.group(0)[: match.start(match.lastindex or 0)]
            column = len(marker)
            end = indented_end(lines, i + 1, 1)
            body = [match.group(match.lastindex or 0)]
            body += [x[min(column, indent_of(x)) :] for x in lines[i + 1 : end]]
            texts = self.nested(body, b, depth)
            if kind == "#":
                digits = match.group(2)
                number = int(digits) if digits.isdigit() and not rendered else number
                label = f"{number}."
                number += 1
            else:
                label = "-" if kind != "a" else marker.strip()
            flat = "\n".join(texts).split("\n") if texts else [""]
            rendered.append(f"{label} {flat[0]}".rstrip())
            rendered.extend(f"  {x}" if x else "" for x in flat[1:])
            i = end
            while i < n and not lines[i].strip():
                i += 1
        b.add("\n".join(rendered), "raw")
        return i

    def explicit(self, lines: list[str], i: int, b: DocBuilder, depth: int) -> int:
        """`.. ` markup: directives, footnotes, targets, substitution definitions, comments."""
        head = lines[i]
        if head.strip() == ".." and (i + 1 >= len(lines) or not lines[i + 1].strip()):
            return i + 1  # an empty comment ends at the blank line; what follows is visible
        end = indented_end(lines, i + 1, 1)
        body = dedent_block(lines[i + 1 : end])
        if re.match(r"^\.\.[ \t]+(_|__:|\|)", head):
            return end  # hyperlink targets and substitution definitions show nothing
        if footnote := _FOOTNOTE.match(head):
            b.add(self.text(" ".join([footnote.group(2) or "", *body])))
            return end
        directive = _DIRECTIVE.match(head)
        if directive is None:
            b.add_hidden("\n".join([head[2:].strip(), *body]))  # a comment
            return end
        name = directive.group(1).lower()
        argument = (directive.group(2) or "").strip()
        options: dict[str, str] = {}
        while body and (option := _OPTION.match(body[0].strip())):
            options[option.group(1)] = option.group(2) or ""
            body.pop(0)
        self.directive(name, argument, options, body, b, depth)
        return end

    def directive(
        self,
        name: str,
        argument: str,
        options: dict[str, str],
        body: list[str],
        b: DocBuilder,
        depth: int,
    ) -> None:
        short = name.rsplit(":", 1)[-1]
        if short in _DROPPED:
            return
        if short in _CODE:
            b.add("\n".join(body), "code")
        elif short in _ADMONITIONS:
            label = _LABELS.get(short, short.capitalize())
            if short.startswith(("version", "deprecated")):
                head = f"{label} {argument}".strip()
            elif short in ("admonition", "topic", "sidebar"):
                head = self.text(argument) or label
            else:  # for note, seealso & co. the argument is the first line of the text
                head, body = label, [argument, *body] if argument else body
            texts = self.nested(body, b, depth)
            b.add(f"{head}: " + "\n".join(texts) if texts else head, "raw")
        elif short in _TRANSPARENT:
            self.parse(body, b, depth + 1)
        elif short == "toctree":
            if "hidden" not in options:
                entries = [_toc_entry(x) for x in body if x.strip()]
                b.add("\n".join(f"- {self.text(x)}" for x in entries if x))
        elif short in ("rubric", "centered"):
            b.add(self.text(argument))
        elif short == "csv-table":
            rows = list(csv.reader([options.get("header", "")] + body, skipinitialspace=True))
            lines = [" | ".join(self.text(c) for c in row) for row in rows if any(row)]
            b.add("\n".join([self.text(argument), *lines]) if lines else "")
        elif body:  # option, cmdoption, describe, list-table and directives we do not know
            texts = self.nested(body, b, depth)
            signature = self.text(argument)
            b.add("\n".join([signature, *texts]) if signature else "\n".join(texts), "raw")


def _toc_entry(line: str) -> str:
    """'Command Line Operation <syncthing>' -> the title; 'getting-started' -> words."""
    entry = line.strip()
    titled = re.match(r"^(.*?)\s*<[^<>]+>$", entry)
    if titled and titled.group(1):
        return titled.group(1)
    if entry.startswith(("http://", "https://")):
        return entry
    return title_from_source(entry.rsplit("/", 1)[-1])


def _top_fields(lines: list[str]) -> tuple[dict[str, str], int]:
    """A field list at the very top (`:orphan:`, `:title: ...`) is metadata, not text."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines) and (field := _OPTION.match(lines[i].strip())) and lines[i][0] == ":":
        fields[field.group(1).lower()] = (field.group(2) or "").strip()
        i += 1
    return fields, i


def load_rst(raw: bytes, ctx: LoadContext) -> list[ParsedDocument]:
    lines = decode_text(raw).expandtabs(8).split("\n")
    fields, start = _top_fields(lines)
    parser = _Parser(collect_substitutions(lines))
    builder = DocBuilder()
    parser.parse(lines[start:], builder)
    warnings: list[str] = []
    doc_type = ctx.default_doc_type
    if fields.get("type"):
        doc_type = parse_doc_type(fields["type"]) or doc_type
        if parse_doc_type(fields["type"]) is None:
            warnings.append(f"field :type: {fields['type']!r} is not manual, kb or ticket; ignored")
    doc = finish_document(
        builder,
        title=fields.get("title") or builder.first_h1 or title_from_source(ctx.source),
        doc_type=doc_type,
        product=fields.get("product"),
        url=fields.get("url"),
        warnings=warnings,
    )
    return [doc]
