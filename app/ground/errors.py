"""One error type for the whole app, translated at the edges (CLI, HTTP, chat)."""

from __future__ import annotations


class AppError(Exception):
    """An expected failure with a stable machine code and a message for a person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message
