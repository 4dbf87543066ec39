"""reStructuredText helpers: inline markup to text, indentation, tables, substitutions.

Kept apart from the block reader in `rst.py` so each file stays small. Inline handling is
regex based: roles and references are replaced by the words a reader sees on the rendered
page (`:ref:`Text <target>`` -> Text), inline literals are protected from every other rule.
"""

from __future__ import annotations

import re

ADORNMENT_CHARS = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

# --- indentation ------------------------------------------------------------------------------


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def indented_end(lines: list[str], start: int, min_indent: int) -> int:
    """Index after the last line of the indented block starting at `start` (blanks inside)."""
    last = start
    j = start
    while j < len(lines):
        if not lines[j].strip():
            j += 1
        elif indent_of(lines[j]) >= min_indent:
            j += 1
            last = j
        else:
            break
    return last


def dedent_block(lines: list[str]) -> list[str]:
    """Remove the common indentation and the blank lines at both ends."""
    body = list(lines)
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    margin = min((indent_of(x) for x in body if x.strip()), default=0)
    return [x[margin:] for x in body]


# --- substitutions ----------------------------------------------------------------------------

_SUBST_DEF = re.compile(r"^\.\.[ \t]+\|([^|]+)\|[ \t]+([\w-]+)::[ \t]*(.*)$")


def collect_substitutions(lines: list[str]) -> dict[str, str]:
    """`.. |name| replace:: text` -> {name: text}; images and the like become ''."""
    found: dict[str, str] = {}
    for line in lines:
        match = _SUBST_DEF.match(line)
        if match:
            kind, value = match.group(2).lower(), match.group(3).strip()
            found[match.group(1).strip()] = value if kind == "replace" else ""
    return found


# --- inline markup ----------------------------------------------------------------------------

_LITERAL = re.compile(r"``(.+?)``", re.S)
_STASHED = re.compile("\ue000(\\d+)\ue001")
_ESCAPE = re.compile(r"\\(.)", re.S)
_ROLE_TITLED = re.compile(r":[\w:.+-]+:`([^`<]*?)\s*<([^`>]*)>`")
_ROLE = re.compile(r":[\w:.+-]+:`([^`]*)`")
_LINK_TITLED = re.compile(r"`([^`<]*?)\s*<([^`>]*)>`__?")
_INTERPRETED = re.compile(r"`([^`]+)`(?:__?|:[\w:.+-]+:)?")
_FOOTNOTE_REF = re.compile(r"\s?\[(?:#[\w-]*|\*|\d+)\]_")
_CITATION_REF = re.compile(r"\[([A-Za-z][\w.-]*)\]_")
_SUBST_REF = re.compile(r"(?<![\w|<>=-])\|(\w(?:[^|]*[^|\s])?)\|(?:__?)?(?![\w|<>=-])")
_NAMED_REF = re.compile(r"(?<![\w`])([A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?)__?(?=[\s.,;:!?)'\"]|$)")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")


def inline_to_text(text: str, substitutions: dict[str, str] | None = None) -> str:
    """RST inline markup -> the text a reader sees."""
    subs = substitutions or {}
    stash: list[str] = []

    def keep(value: str) -> str:
        stash.append(value)
        return f"\ue000{len(stash) - 1}\ue001"

    def role(match: re.Match[str]) -> str:
        return keep(match.group(1).lstrip("~!"))

    def titled(match: re.Match[str]) -> str:
        return keep(match.group(1) or match.group(2))

    text = _LITERAL.sub(lambda m: keep(m.group(1)), text)
    text = _ROLE_TITLED.sub(titled, text)
    text = _ROLE.sub(role, text)
    text = _LINK_TITLED.sub(titled, text)
    text = _INTERPRETED.sub(role, text)
    text = _ESCAPE.sub(lambda m: "" if m.group(1).isspace() else keep(m.group(1)), text)
    text = _FOOTNOTE_REF.sub("", text)
    text = _CITATION_REF.sub(r"\1", text)
    text = _SUBST_REF.sub(lambda m: subs.get(m.group(1), m.group(1)), text)
    text = _NAMED_REF.sub(r"\1", text)
    text = _STRONG.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\1", text)
    return _STASHED.sub(lambda m: stash[int(m.group(1))], text)


# --- tables -----------------------------------------------------------------------------------


def render_simple_table(lines: list[str], i: int) -> tuple[list[list[str]], int]:
    """A simple table (`=====  =====` borders) -> rows of raw cell text, and the next index."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"=+", lines[i])]
    rows: list[list[str]] = []
    j = i + 1
    while j < len(lines):
        line = lines[j]
        if re.match(r"^=+( +=+)* *$", line):
            j += 1
            if j >= len(lines) or not lines[j].strip():
                break  # a border followed by a blank line closes the table
            continue
        if not line.strip() or re.match(r"^-+( +-+)* *$", line):
            j += 1
            continue
        cells = []
        for k, (start, _) in enumerate(spans):
            stop = spans[k + 1][0] if k + 1 < len(spans) else len(line)
            cell = line[start:stop].strip()
            cells.append("" if cell == "\\" else cell)
        if rows and not cells[0]:  # continuation line of the previous row
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
        j += 1
    return rows, j


def render_grid_table(lines: list[str], i: int) -> tuple[list[list[str]], int]:
    """A grid table (`+---+---+`) -> rows of raw cell text, and the next index."""
    cuts = [m.start() for m in re.finditer(r"\+", lines[i])]
    rows: list[list[str]] = []
    current: list[str] | None = None
    j = i
    while j < len(lines) and lines[j][:1] in ("+", "|"):
        line = lines[j]
        if line.startswith("+"):
            if current is not None and any(current):
                rows.append(current)
            current = None
        else:
            parts = [line[a + 1 : b].strip() for a, b in zip(cuts, cuts[1:], strict=False)]
            if current is None:
                current = parts
            else:
                current = [f"{a} {b}".strip() for a, b in zip(current, parts, strict=False)]
        j += 1
    if current is not None and any(current):
        rows.append(current)
    return rows, j
