"""The embedded default generator: answers with the passages' own sentences and steps.

No model, no server: it picks, from the best passage, the sentences that share the most
meaningful words with the question (and the whole procedure when the passage is a list of
steps), keeps them in document order, and cites each one. A second passage is quoted only
when retrieval ranked it almost as high and it adds words the first one lacks. Because every
sentence is copied from a cited passage, nothing is claimed that a citation does not show.
A ticket is answered from its resolution: the customer's description and exchange with the
agents are never quoted as if they were the answer.

A follow-up ("and what if the light stays red?") is answered from what was not said yet: the
sentences of the bot's previous answer are left out, and the answer comes from the best-ranked
passage that still has a sentence about the customer's own new words.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from app.ground.injection import is_instruction
from app.ground.lures import asks_for_secrets
from app.ground.text import content_words, split_sentences
from app.index.models import TICKET_RESOLUTION, Passage
from app.pipeline.generators.base import GenerationReport, GenerationRequest
from app.pipeline.types import Route, Turn

# A numbered step ("1. ", "2) "); bullets ("- ", "* ", "• ") are read as sentences.
_STEP_RE = re.compile(r"^\s*\d{1,2}[.)]\s+")
_BULLET_RE = re.compile(r"^\s*[-*•]\s+")
_MAX_STEPS = 8
_MAX_SENTENCES = 3
_MAX_CHARS = 900
# Passages this close in one source are read as one text (an intro, a note, then the steps).
_NEIGHBOUR_ORDINALS = 2
# The runner-up passage is quoted instead of the best one when retrieval ranked it nearly
# as high and its best sentence shares clearly more of the question's words.
_RUNNER_UP_SCORE_RATIO = 0.9
_RUNNER_UP_OVERLAP_RATIO = 1.5
# A follow-up that would get the previous answer again is answered from the next passage with
# something new only when retrieval ranked it this close to the best one.
_FOLLOW_UP_SCORE_RATIO = 0.8


@dataclass(frozen=True)
class _Unit:
    """A sentence or a list item of one passage."""

    marker: int
    position: int
    text: str
    is_step: bool
    words: frozenset[str]


class ExtractiveGenerator:
    """Builds a concise cited answer from retrieved passages (see the module docstring)."""

    name = "extractive"

    async def stream(
        self,
        request: GenerationRequest,
        report: GenerationReport | None = None,  # noqa: ARG002 - no model, no tokens to report
    ) -> AsyncIterator[str]:
        # Sentence by sentence, so the chat shows the same progressive answer as a model's.
        for piece in re.split(r"(?<=\])(?=[ \n])", compose_answer(request)):
            if piece:
                yield piece

    def current_model(self) -> str | None:
        return None  # no model: sentences of the passages

    async def classify_intent(self, _text: str, _history: tuple[Turn, ...]) -> Route | None:
        return None  # the rules decide

    async def aclose(self) -> None:
        return None


def compose_answer(request: GenerationRequest) -> str:
    """The answer text: sentences run on as prose, steps one per line, each cited."""
    if not request.passages:
        return ""
    query_words = content_words(request.question)
    units_by_marker = {
        marker: _units(marker, retrieved.passage)
        for marker, retrieved in enumerate(request.passages, 1)
    }
    weights = _idf(query_words, [u for units in units_by_marker.values() for u in units])
    anchor = _anchor(request, units_by_marker, weights)
    if not units_by_marker[anchor]:
        # Nothing in it may be quoted (a ticket's exchange without its resolution): the best
        # passage that has something to say answers instead.
        anchor = next((m for m, units in units_by_marker.items() if units), anchor)
    chosen = _from_passage(_anchor_units(request, units_by_marker, anchor), weights)
    if request.said:
        chosen = _not_said_again(request, units_by_marker, weights, chosen)
    return _render(chosen)


def _not_said_again(
    request: GenerationRequest,
    units_by_marker: dict[int, list[_Unit]],
    weights: dict[str, float],
    chosen: list[_Unit],
) -> list[_Unit]:
    """For a follow-up whose answer would only repeat the previous one: the sentences not
    said yet of the best-ranked passage (among those ranked nearly as high as the best) that
    speaks to the message's own words; else just the repeated sentences about those words."""
    said = f" {_plain(request.said)} "
    if not all(f" {_plain(u.text)} " in said for u in chosen):
        return chosen  # it adds something already
    own = content_words(request.focus) & set(weights)
    focus = {w: weights[w] for w in own} if own else weights
    fresh = {
        marker: [u for u in units if f" {_plain(u.text)} " not in said]
        for marker, units in units_by_marker.items()
    }
    bar = _FOLLOW_UP_SCORE_RATIO * request.passages[0].score
    for marker, units in fresh.items():
        if request.passages[marker - 1].score < bar:
            break
        if any(_overlap(u, focus) > 0 for u in units):
            return _from_passage(_anchor_units(request, fresh, marker), weights)
    return [u for u in chosen if _overlap(u, focus) > 0] or chosen


def _plain(text: str) -> str:
    """`text` reduced to its words, so that a sentence is found in an answer that quoted it
    with other spacing, list numbering or a citation marker after it."""
    return " ".join(re.findall(r"[a-z0-9]+", re.sub(r"\[\d+\]", " ", text.lower())))


def _anchor(
    request: GenerationRequest, units_by_marker: dict[int, list[_Unit]], weights: dict[str, float]
) -> int:
    """The marker of the passage to answer from (see _RUNNER_UP_*)."""
    if len(request.passages) < 2:
        return 1
    first, second = request.passages[0], request.passages[1]
    if second.score < _RUNNER_UP_SCORE_RATIO * first.score:
        return 1
    best = {m: max((_overlap(u, weights) for u in units_by_marker[m]), default=0.0) for m in (1, 2)}
    return 2 if best[2] > _RUNNER_UP_OVERLAP_RATIO * best[1] else 1


def _anchor_units(
    request: GenerationRequest, units_by_marker: dict[int, list[_Unit]], anchor: int
) -> list[_Unit]:
    """The best passage's units, joined by the steps of its neighbours in the same source
    when they were retrieved too: a procedure's introduction and its steps often fall into two
    passages. Only steps join: a neighbour's prose is another section, and quoting it would
    cite a passage that does not answer the question."""
    first = request.passages[anchor - 1].passage
    group = [
        (retrieved.passage.ordinal, marker)
        for marker, retrieved in enumerate(request.passages, 1)
        if retrieved.passage.source == first.source
        and retrieved.passage.root == first.root
        and abs(retrieved.passage.ordinal - first.ordinal) <= _NEIGHBOUR_ORDINALS
    ]
    units: list[_Unit] = []
    for _ordinal, marker in sorted(group):
        for unit in units_by_marker[marker]:
            if marker == anchor or unit.is_step:
                units.append(_Unit(marker, len(units), unit.text, unit.is_step, unit.words))
    return units


def _units(marker: int, passage: Passage) -> list[_Unit]:
    units: list[_Unit] = []
    offset = 0
    for raw in passage.text.splitlines(keepends=True):
        line, start = raw.strip(), offset
        offset += len(raw)
        if not line or _customer_words(passage, start):
            continue
        if _STEP_RE.match(line):
            pieces = [(line, True)]
        else:
            pieces = [(s, False) for s in split_sentences(_BULLET_RE.sub("", line))]
        for piece, is_step in pieces:
            # Screened at ingest; checked again for indexes built before the screening.
            if is_instruction(piece) or asks_for_secrets(piece):
                continue
            units.append(_Unit(marker, len(units), piece, is_step, content_words(piece)))
    return units


def _customer_words(passage: Passage, offset: int) -> bool:
    """Whether `offset` lies outside a ticket's resolution: the customer's description and
    the exchange with the agents are not the support team's answer (quoting them would show
    "Customer: ... Agent: ..." as one), so a ticket is answered from its resolution only."""
    if passage.doc_type != "ticket":
        return False
    path = passage.section_at(offset)
    return not path or path[-1] != TICKET_RESOLUTION


def _idf(query_words: frozenset[str], units: list[_Unit]) -> dict[str, float]:
    """Weight each question word by how rare it is among the candidate sentences."""
    n = max(len(units), 1)
    return {
        word: math.log(1 + n / (1 + sum(1 for u in units if word in u.words)))
        for word in query_words
    }


def _overlap(unit: _Unit, weights: dict[str, float]) -> float:
    return sum(w for word, w in weights.items() if word in unit.words)


def _from_passage(units: list[_Unit], weights: dict[str, float]) -> list[_Unit]:
    """The best sentences of the best passage, or its procedure when it has one."""
    if not units:
        return []
    scored = sorted(units, key=lambda u: (-_overlap(u, weights), u.position))
    steps = _best_step_run(units, weights)
    if len(steps) >= 2:
        lead = [u for u in scored if not u.is_step and _overlap(u, weights) > 0][:1]
        chosen = sorted(lead + steps[:_MAX_STEPS], key=lambda u: u.position)
    else:
        best = scored[0]
        chosen = [best]
        # Short sentences rarely stand alone ("Yes." / "Use the reset button."): add the
        # next one, then further matching sentences, within the length budget.
        # A table row does stand alone: the next row is another matter.
        following = next((u for u in units if u.position == best.position + 1), None)
        if following is not None and len(best.text) < 80 and not _is_row(best.text):
            chosen.append(following)
        for unit in scored[1:]:
            if len(chosen) >= _MAX_SENTENCES:
                break
            if unit not in chosen and _overlap(unit, weights) > 0:
                chosen.append(unit)
        chosen.sort(key=lambda u: u.position)
    return _within_budget(chosen)


def _is_row(text: str) -> bool:
    return text.count("|") >= 2


def _best_step_run(units: list[_Unit], weights: dict[str, float]) -> list[_Unit]:
    """The list (consecutive steps) that shares most with the question; the first on a tie."""
    runs: list[list[_Unit]] = []
    for unit in units:
        if not unit.is_step:
            continue
        if runs and runs[-1][-1].position == unit.position - 1:
            runs[-1].append(unit)
        else:
            runs.append([unit])
    if not runs:
        return []
    return max(runs, key=lambda run: (sum(_overlap(u, weights) for u in run), -run[0].position))


def _within_budget(units: list[_Unit]) -> list[_Unit]:
    kept: list[_Unit] = []
    total = 0
    for unit in units:
        if kept and total + len(unit.text) > _MAX_CHARS:
            break
        total += len(unit.text)
        kept.append(unit)
    return kept


def _render(units: list[_Unit]) -> str:
    """Prose sentences run on; a step, and whatever follows one, starts a new line."""
    text = ""
    previous_was_step = False
    for unit in units:
        if text:
            text += "\n" if unit.is_step or previous_was_step else " "
        text += f"{unit.text} [{unit.marker}]"
        previous_was_step = unit.is_step
    return text
