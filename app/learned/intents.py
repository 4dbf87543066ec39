"""The intent taxonomy a support team writes: `intents.toml`.

Each `[[intent]]` has a `name`, a `route` and `examples` (5-10 real-sounding customer messages
suffice for the head to learn from). A route says what happens to a message of that intent:
`answer` (the cited-answer pipeline), `queue:<team>` (hand off to that team's queue) or
`action:<name>` (a named action the app performs). Mistakes are reported with the file and the
intent, before any model is trained.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from app.ground.errors import AppError

_ROUTE = re.compile(r"^(answer|queue:[a-z0-9][a-z0-9_-]*|action:[a-z0-9][a-z0-9_-]*)$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")


@dataclass(frozen=True)
class Intent:
    name: str
    route: str
    examples: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Taxonomy:
    intents: tuple[Intent, ...]

    def route(self, name: str | None) -> str:
        """Where a message of this intent goes; out of scope (None) is answered."""
        for intent in self.intents:
            if intent.name == name:
                return intent.route
        return "answer"

    def routes(self) -> dict[str, str]:
        return {intent.name: intent.route for intent in self.intents}


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and check `intents.toml`; every problem is an AppError naming file and intent."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AppError("usage", f"{path}: no such intent taxonomy") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AppError("config", f"{path}: not valid TOML ({exc})") from exc
    rows = data.get("intent")
    if not isinstance(rows, list) or not rows:
        raise AppError("config", f"{path}: no [[intent]] tables")
    intents: list[Intent] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, 1):
        where = f"{path}: intent #{number}"
        if not isinstance(row, dict):
            raise AppError("config", f"{where}: not a table")
        name = row.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise AppError("config", f"{where}: name must be lower_snake_case, got {name!r}")
        where = f"{path}: intent {name!r}"
        if name in seen:
            raise AppError("config", f"{where}: duplicate name")
        seen.add(name)
        route = row.get("route", "answer")
        if not isinstance(route, str) or not _ROUTE.match(route):
            raise AppError(
                "config",
                f"{where}: unknown route {route!r} (use answer, queue:<team> or action:<name>)",
            )
        examples = row.get("examples")
        if not isinstance(examples, list) or not examples:
            raise AppError("config", f"{where}: no examples (write 5-10 customer messages)")
        if not all(isinstance(e, str) and e.strip() for e in examples):
            raise AppError("config", f"{where}: every example must be a non-empty string")
        description = row.get("description", "")
        intents.append(Intent(name, route, tuple(e.strip() for e in examples), str(description)))
    if len(intents) < 2:
        raise AppError("config", f"{path}: at least two intents are needed to tell them apart")
    return Taxonomy(tuple(intents))
