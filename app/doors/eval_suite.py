"""Reading a QA suite's `questions.jsonl` (format: shared/datasets/README.md).

A question is one line: its text, the gold sections, a reference answer and, for a
multi-turn suite, the conversation before it (`history`) and the behaviour expected of the
bot (`expect`). Every problem with a line is a usage error naming the file, the line and
what is wrong, so that a suite author can fix it without reading this code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from app.ground.errors import AppError
from app.pipeline.types import Turn

# What the bot should do with a question: answer it from the corpus (fully or in part), say
# the corpus does not answer it, or ask which one is meant.
Expect = Literal["answer", "partial", "abstain", "clarify"]
EXPECTS: tuple[Expect, ...] = get_args(Expect)
# The roles a suite's history may use: a suite records a customer talking to the bot.
_HISTORY_ROLES = ("customer", "assistant")


@dataclass(frozen=True)
class Gold:
    source: str
    section: tuple[str, ...] | None  # lower-cased components, or None for the whole source


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: tuple[Gold, ...]
    answer: str | None
    expect: Expect  # absent from the line: "answer" with gold, "abstain" without
    history: tuple[Turn, ...] = ()  # the conversation before the question, oldest first
    kind: str | None = None  # the suite's own label (e.g. "follow-up"), for per-kind figures


class _BadLine(ValueError):
    """What is wrong with one line; load_questions adds the file and line number."""


def load_questions(suite_dir: Path) -> list[Question]:
    """Read `questions.jsonl`; a malformed line is a usage error naming the line."""
    path = suite_dir / "questions.jsonl"
    if not path.is_file():
        raise AppError("usage", f"{suite_dir} is not a QA suite: no questions.jsonl")
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            questions.append(parse_question(json.loads(line)))
        except _BadLine as exc:
            raise AppError("usage", f"{path}:{number}: {exc}") from exc
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise AppError("usage", f"{path}:{number}: not a valid question ({exc})") from exc
    return questions


def parse_question(row: dict[str, Any]) -> Question:
    """One line's object as a Question; raises _BadLine (or KeyError/TypeError) if malformed."""
    gold = tuple(_gold(g) for g in row.get("gold") or [])
    question = row["question"]
    if not isinstance(question, str) or not question.strip():
        raise _BadLine("question must be a non-empty string")
    return Question(
        id=str(row["id"]),
        question=question,
        gold=gold,
        answer=row.get("answer"),
        history=_history(row.get("history")),
        expect=_expect(row.get("expect"), answerable=bool(gold)),
        kind=_kind(row.get("kind")),
    )


def _gold(item: dict[str, Any]) -> Gold:
    section = item.get("section")
    components = tuple(c.strip().lower() for c in section.split(">")) if section else None
    return Gold(item["source"], components)


def _history(value: object) -> tuple[Turn, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _BadLine("history must be a list of turns")
    return tuple(_turn(position, turn) for position, turn in enumerate(value, 1))


def _turn(position: int, turn: object) -> Turn:
    if not isinstance(turn, dict):
        raise _BadLine(f"history turn {position} must be an object with role and text")
    role, text = turn.get("role"), turn.get("text")
    if role not in _HISTORY_ROLES:
        raise _BadLine(
            f"history turn {position}: role must be 'customer' or 'assistant', not {role!r}"
        )
    if not isinstance(text, str):
        raise _BadLine(f"history turn {position}: text must be a string")
    return Turn("customer" if role == "customer" else "assistant", text)


def _expect(value: object, *, answerable: bool) -> Expect:
    """The expected behaviour; absent, the gold decides (as for single-turn suites)."""
    if value is None:
        return "answer" if answerable else "abstain"
    for expect in EXPECTS:
        if value == expect:
            return expect
    raise _BadLine(f"expect must be one of {', '.join(EXPECTS)}, not {value!r}")


def _kind(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _BadLine(f"kind must be a string, not {value!r}")
