"""Citation markers in generated text: keep the ones that point at a given passage.

A model may cite `[7]` when it was given four passages, or invent `[source]`. Such markers
are dropped as the text streams, so the customer never sees a citation that leads nowhere.
Text that merely looks like the start of a marker (`[2` at the end of a chunk) is held back
until the next chunk decides it.
"""

from __future__ import annotations

import re

# One marker or a group: [1], [1, 3], [1][2] is two markers.
_MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
# An unfinished marker at the end of the text so far.
_PARTIAL = re.compile(r"\[[\d,\s]{0,12}$")


class MarkerFilter:
    """Streams text through, removing markers outside 1..`passages` (see module docstring)."""

    def __init__(self, passages: int):
        self._valid = range(1, passages + 1)
        self._pending = ""
        self.cited: list[int] = []  # valid markers in order of first use

    def feed(self, chunk: str) -> str:
        """The text that can be shown now."""
        text = self._pending + chunk
        partial = _PARTIAL.search(text)
        if partial:
            text, self._pending = text[: partial.start()], text[partial.start() :]
        else:
            self._pending = ""
        return self._clean(text)

    def finish(self) -> str:
        """Whatever was held back, once the stream has ended."""
        text, self._pending = self._pending, ""
        return self._clean(text)

    def _clean(self, text: str) -> str:
        return _MARKER.sub(self._keep_valid, text)

    def _keep_valid(self, match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        kept = [n for n in numbers if n in self._valid]
        for n in kept:
            if n not in self.cited:
                self.cited.append(n)
        return "".join(f"[{n}]" for n in kept)


def tidy_spacing(text: str) -> str:
    """Remove the spaces a dropped marker leaves behind ("word  ." -> "word.")."""
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def strip_markers(text: str) -> str:
    """The text with every citation marker and the space before it removed ("it [1]." ->
    "it."): answers are compared with references on their words, not their citations."""
    return re.sub(r"\s*\[\d+\]", "", text)
