"""Making untrusted text inert before the chat renders it as Markdown.

Customer messages, retrieved passages and model output all end up in a Markdown renderer.
None of them may run script, inject HTML, load a remote image or disguise a link. Rather than
trying to recognise every dangerous construct, every character that Markdown or HTML could
give a meaning to is escaped, so the text shows exactly as written. Escaping works character
by character, so it is safe on streamed pieces cut anywhere.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Markdown's active characters (emphasis, code, links, images, headings, lists, tables, HTML)
# each get a backslash; HTML's & < > become entities, which Markdown shows literally.
_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    **{ch: "\\" + ch for ch in "\\`*_{}[]()#+-.!|~"},
}
_TABLE = str.maketrans(_ESCAPES)


def inert(text: str) -> str:
    """`text` as Markdown that displays literally (line breaks kept)."""
    return text.translate(_TABLE).replace("\n", "  \n")


_INERT_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~])")


def plain(text: str) -> str:
    """The text `inert` was given back, for places that escape it their own way (the
    console's HTML)."""
    text = text.replace("  \n", "\n")
    text = _INERT_ESCAPE.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are ever shown; `javascript:` and friends are dropped."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.geturl()
