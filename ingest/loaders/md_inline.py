"""Markdown pieces that are not block structure: front matter, hidden HTML, inline markup.

Split from `markdown.py` so the block parser stays readable. Everything here works on plain
strings with regular expressions; it does not try to be a full CommonMark implementation, only
to turn what a reader sees into plain text and to keep what a reader does not see out of it.
"""

from __future__ import annotations

import html
import json
import re

from ingest.loaders.common import cut_hidden_html

# --- front matter -----------------------------------------------------------------------------

_FM_KEY = re.compile(r"^([A-Za-z_][\w.-]*)[ \t]*:(?:[ \t]+(.*?))?[ \t]*$")
_FM_ITEM = re.compile(r"^[ \t]*-[ \t]+(.*)$")


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split `---` front matter off the top: (flat string metadata, rest of the text).

    Only simple `key: value` lines, `- item` lists and folded/literal scalars are understood;
    nested mappings are skipped. Without a closing `---`, or when a top-level line is not a
    key, the block is left alone: it was a horizontal rule, not front matter.
    """
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return {}, text
    meta: dict[str, str] = {}
    key: str | None = None
    block_scalar: list[str] | None = None
    for line in lines[1:end]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if block_scalar is not None and line[:1] in (" ", "\t"):
            block_scalar.append(line.strip())
            meta[key or ""] = " ".join(block_scalar)
            continue
        block_scalar = None
        match = _FM_KEY.match(line)
        if match:
            key = match.group(1).lower()
            value = match.group(2) or ""
            if value in ("|", ">", "|-", ">-", "|+", ">+"):
                block_scalar = []
            elif scalar := _yaml_scalar(value):
                meta[key] = scalar
            continue
        item = _FM_ITEM.match(line)
        if item and key:
            scalar = _yaml_scalar(item.group(1))
            meta[key] = f"{meta[key]}, {scalar}" if meta.get(key) else scalar
            continue
        if line[:1] not in (" ", "\t"):
            return {}, text  # a top-level line that is no key: this was not front matter
    meta.pop("", None)
    return meta, "\n".join(lines[end + 1 :])


def _yaml_scalar(value: str) -> str:
    value = value.strip()
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        try:
            return str(json.loads(value)).strip()
        except ValueError:
            return value[1:-1].strip()
    if value.startswith("'") and value.endswith("'") and len(value) >= 2:
        return value[1:-1].replace("''", "'").strip()
    if value.startswith("[") and value.endswith("]"):
        return ", ".join(s for s in (_yaml_scalar(v) for v in value[1:-1].split(",")) if s)
    if value.startswith("{"):
        return ""  # an inline mapping has no single string meaning
    return re.sub(r"\s+#.*$", "", value)


# --- hidden content ---------------------------------------------------------------------------

_FENCE_LINE = re.compile(r"^\s*(`{3,}|~{3,})")


def cut_hidden(text: str) -> tuple[str, list[str]]:
    """Remove HTML comments and hidden raw-HTML elements outside code fences.

    Line-based so that a comment may span lines (even fences inside it) and a `<!--` shown
    inside a fenced example is left alone.
    """
    hidden: list[str] = []
    out: list[str] = []
    prose: list[str] = []
    comment: list[str] | None = None
    fence: str | None = None

    def flush_prose() -> None:
        chunk, found = cut_hidden_html("\n".join(prose))
        hidden.extend(found)
        if prose:
            out.extend(chunk.split("\n"))
        prose.clear()

    for line in text.split("\n"):
        if comment is not None:
            end = line.find("-->")
            if end < 0:
                comment.append(line)
                continue
            comment.append(line[:end])
            hidden.append(" ".join(" ".join(comment).split()))
            comment = None
            line = line[end + 3 :]
        elif fence is not None:
            out.append(line)
            closing = line.strip()
            if closing.startswith(fence) and set(closing) == {fence[0]}:
                fence = None
            continue
        match = _FENCE_LINE.match(line)
        if match:
            flush_prose()
            fence = match.group(1)
            out.append(line)
            continue
        line, comment = _cut_comments(line, hidden)
        prose.append(line)
    if comment is not None and " ".join(comment).strip():
        hidden.append(" ".join(" ".join(comment).split()))
    flush_prose()
    return "\n".join(out), [h for h in hidden if h]


def _cut_comments(line: str, hidden: list[str]) -> tuple[str, list[str] | None]:
    """Cut complete comments from one line; an unclosed one is returned as the open buffer."""
    kept = ""
    while True:
        start = line.find("<!--")
        # An odd number of backticks before it means the marker is inside inline code.
        if start < 0 or line.count("`", 0, start) % 2:
            return kept + line, None
        end = line.find("-->", start + 4)
        kept += line[:start]
        if end < 0:
            return kept, [line[start + 4 :]]
        hidden.append(" ".join(line[start + 4 : end].split()))
        line = line[end + 3 :]


# --- inline markup ----------------------------------------------------------------------------

_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.S)
_STASHED = re.compile("\ue000(\\d+)\ue001")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~=])")
_IMAGE = re.compile(r"[ \t]*!\[[^\]]*\](?:\((?:[^()]|\([^()]*\))*\)|\[[^\]]*\])")
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\((?:[^()]|\([^()]*\))*\)")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]]+\]")
_REF_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]+|[\w.+-]+@[\w-]+\.[\w.-]+)>")
_ATTR_LIST = re.compile(r"[ \t]*\{(?::[^{}\n]*|[ \t]*[#.][\w-][^{}\n]*)\}")
_INLINE_TAGS = "a|abbr|b|bdi|big|cite|code|data|del|dfn|em|font|i|ins|kbd|mark|nobr|q|s|samp|"
_INLINE_TAGS += "small|span|strike|strong|sub|sup|time|tt|u|var|wbr|img|picture|source|svg|path"
_BLOCK_TAGS = "address|article|aside|blockquote|br|center|caption|col|colgroup|dd|details|div|dl|"
_BLOCK_TAGS += "dt|figcaption|figure|h[1-6]|hr|li|main|ol|p|pre|section|summary|table|tbody|td|"
_BLOCK_TAGS += "tfoot|th|thead|tr|ul|video|audio|iframe|html|body|head"
_INLINE_TAG = re.compile(rf"</?(?:{_INLINE_TAGS})\b[^<>]*/?>", re.I)
_BLOCK_TAG = re.compile(rf"</?(?:{_BLOCK_TAGS})\b[^<>]*/?>", re.I)
_EMPHASIS = (
    re.compile(r"(\*\*\*|___)(?=\S)(.+?)(?<=\S)\1"),
    re.compile(r"(\*\*)(?=\S)(.+?)(?<=\S)\*\*"),
    re.compile(r"(?<!\w)(__)(?=\S)(.+?)(?<=\S)__(?!\w)"),
    re.compile(r"(\*)(?=[^\s*])(.+?)(?<=[^\s*])\*"),
    re.compile(r"(?<!\w)(_)(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)"),
    re.compile(r"(~~)(?=\S)(.+?)(?<=\S)~~"),
    re.compile(r"(\+\+)(?=\S)(.+?)(?<=\S)\+\+"),  # pymdownx keys: ++ctrl+alt+del++
)


def inline_to_text(text: str) -> str:
    """Markdown inline markup -> the plain text a reader sees (code spans kept verbatim)."""
    stash: list[str] = []

    def keep(value: str) -> str:
        stash.append(value)
        return f"\ue000{len(stash) - 1}\ue001"

    def code(match: re.Match[str]) -> str:
        body = match.group(2).replace("\n", " ")
        if len(body) > 2 and body.startswith(" ") and body.endswith(" "):
            body = body[1:-1]
        return keep(body)

    text = _CODE_SPAN.sub(code, text)
    text = _ESCAPE.sub(lambda m: keep(m.group(1)), text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _FOOTNOTE_REF.sub("", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _ATTR_LIST.sub("", text)
    text = _INLINE_TAG.sub("", text)
    text = _BLOCK_TAG.sub(" ", text)
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\2", text)
    text = html.unescape(text)
    return _STASHED.sub(lambda m: stash[int(m.group(1))], text)


def heading_to_text(text: str) -> str:
    """Heading source -> clean heading: no closing #s, anchors, attribute lists or markup."""
    # The attribute list goes first: in "## Reset ## {#reset}" the closing #s precede it.
    text = _ATTR_LIST.sub("", text).strip()
    text = re.sub(r"[ \t]+#+[ \t]*$", "", text)
    text = "" if re.fullmatch(r"#+", text) else text
    return " ".join(inline_to_text(text).replace("¶", "").split())
