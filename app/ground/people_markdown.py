"""An agent's reply as safe Markdown for the customer's chat: working links, nothing else live.

Agents are trusted to write to the customer, not to run anything in the customer's browser.
Their replies keep what helps a reply read well: http(s) links (written bare, as
`https://...` or `www....`, or as `[label](https://...)`), **bold**, *italics*, `code` and
lists. Everything else is made inert (app.ground.render): no HTML, no images (`![..](..)`
shows as text around a plain link), no link to any other scheme, no reference definitions.

Why not escape everything, as for untrusted text: an escaped address
(`support\\.larkspur\\.example`) is still picked up by the chat's autolinker, which links it
with the backslashes in the target (`%5C`); a link has to reach the renderer whole, as one
construct whose text and target we wrote ourselves.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from app.ground.render import inert, safe_url

# Inline constructs kept, in order of precedence; the rest of a line is made inert.
_INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|\[(?P<label>[^\[\]\n]{1,500})\]\((?P<target>[^()\s]{1,2000})\)"
    r"|(?P<url>(?:https?://|www\.)[^\s<>\"'`\\]+)"
    r"|\*\*(?P<strong>[^*\n]+?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^*\s](?:[^*\n]*?[^*\s])?)\*(?![\w*])",
    re.IGNORECASE,
)
# A list item's marker at the start of a line: "- ", "* ", "+ ", "1. ", "1) ".
_LIST_ITEM = re.compile(r"(?P<indent> {0,6})(?P<marker>[-*+]|\d{1,9}[.)]) +(?P<rest>.*)")
# Punctuation that ends a sentence rather than the address it follows.
_TRAILING = ".,;:!?'\""
# What may stay as written in a link target; the rest is percent-encoded, so nothing in a
# target can end it early (`>`, space) or be read as an escape (`\`).
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def people_markdown(text: str) -> str:
    """`text` as Markdown in which only links to http(s), emphasis, code and lists are live."""
    return "  \n".join(_line(line) for line in text.split("\n"))


def _line(line: str) -> str:
    item = _LIST_ITEM.fullmatch(line)
    if item is None:
        return _inline(line)
    return f"{item['indent']}{item['marker']} {_inline(item['rest'])}"


def _inline(text: str) -> str:
    parts: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        parts.append(inert(text[position : match.start()]))
        parts.append(_construct(match))
        position = match.end()
    parts.append(inert(text[position:]))
    return "".join(parts)


def _construct(match: re.Match[str]) -> str:
    if match["code"] is not None:
        return match["code"]  # a code span shows its content literally
    if match["label"] is not None:
        target = safe_url(match["target"])
        if target is None:  # javascript:, data:, a relative path...: shown as typed
            return inert(match[0])
        return f"[{inert(match['label'])}](<{_encoded(target)}>)"
    if match["url"] is not None:
        return _bare_url(match["url"])
    if match["strong"] is not None:
        return f"**{inert(match['strong'])}**"
    return f"*{inert(match['em'])}*"


def _bare_url(written: str) -> str:
    """A bare address as a link whose text is the address (`www.` ones get https://);
    sentence punctuation and an unmatched closing parenthesis after it stay outside."""
    url = written.rstrip(_TRAILING)
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(_TRAILING)
    rest = written[len(url) :]
    target = safe_url(url if "://" in url else f"https://{url}")
    if target is None:
        return inert(written)
    # An autolink: its text is its target, taken whole (no escapes, no nested links).
    return f"<{_encoded(target)}>{inert(rest)}"


def _encoded(url: str) -> str:
    return quote(url, safe=_URL_SAFE)
