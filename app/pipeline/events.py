"""What `AnswerPipeline.stream` hands out while it answers: text, maybe a restart, the result.

The chat shows text as it arrives; a `Restart` tells it to withdraw what it showed (a model
failed mid-answer, or wrote an answer without citations) before the fallback answer streams.
These are plain data, so the chat, `supportbot ask` and the evaluation read the same events.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.pipeline.types import Answer


@dataclass(frozen=True)
class TextDelta:
    """More answer text to show."""

    text: str


@dataclass(frozen=True)
class Restart:
    """Discard the text streamed so far; a fallback answer follows (`notice` says why)."""

    notice: str


@dataclass(frozen=True)
class Done:
    """The finished answer. Its text is what was streamed since the last Restart, with the
    citation markers renumbered 1, 2, 3 in order of appearance: show it in place of the
    streamed text."""

    answer: Answer


AnswerEvent = TextDelta | Restart | Done
