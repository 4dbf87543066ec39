"""Who owns a conversation, and the only moves between owners.

A conversation is with the bot, queued for a person, or assigned to one agent. Every change
of owner goes through `next_state`, so the chat, the console and the tests all obey the same
table; anything not in it is refused with a message naming the state and the move.
"""

from __future__ import annotations

from typing import Literal

from app.ground.errors import AppError

HandoffState = Literal["bot", "queued", "assigned"]
Move = Literal["escalate", "claim", "assign", "release", "resolve", "return"]

STATES: tuple[HandoffState, ...] = ("bot", "queued", "assigned")

_TABLE: dict[tuple[HandoffState, Move], HandoffState] = {
    ("bot", "escalate"): "queued",
    # Escalating again is not an error: the reasons add up, the owner stays.
    ("queued", "escalate"): "queued",
    ("assigned", "escalate"): "assigned",
    ("queued", "claim"): "assigned",
    ("queued", "assign"): "assigned",  # a supervisor hands it to someone
    ("assigned", "assign"): "assigned",  # ... or to someone else
    ("assigned", "release"): "queued",  # the agent puts it back in the queue
    ("assigned", "resolve"): "bot",  # done: the bot answers again
    ("assigned", "return"): "bot",  # not a person's job after all: back to the bot
}


def next_state(state: str, move: Move) -> HandoffState:
    """The state after `move`, or AppError("handoff_conflict") if the move is not allowed."""
    if state not in STATES:
        raise AppError("bad_state", f"unknown handoff state {state!r}")
    after = _TABLE.get((state, move))
    if after is None:
        raise AppError("handoff_conflict", f"cannot {move} a conversation that is {state}")
    return after


def bot_may_answer(state: str) -> bool:
    """The bot answers only conversations no person has been asked to take."""
    return state == "bot"
