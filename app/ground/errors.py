"""One error type for the whole app, translated at the edges (CLI, HTTP, chat).

`HTTP_STATUS` is the one table from an error's code to the HTTP status the web answers with:
the app's exception handler (app.doors.web) and the console's error pages
(app.console.refusals) both read it, so a code means the same status on every route.
"""

from __future__ import annotations

# Codes not listed are the caller's mistake: 400.
HTTP_STATUS: dict[str, int] = {
    "not_found": 404,
    "forbidden": 403,
    "handoff_conflict": 409,
}


class AppError(Exception):
    """An expected failure with a stable machine code and a message for a person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    @property
    def http_status(self) -> int:
        """The status an HTTP answer to this error carries (HTTP_STATUS, else 400)."""
        return HTTP_STATUS.get(self.code, 400)
