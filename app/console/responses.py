"""How the console answers besides a page: escaped JSON, and refusals (an `AppError` as the
caller wants it, with the status from the app's one table, app.ground.errors.HTTP_STATUS).

Console routes catch the `AppError`s of their moves here rather than leaving them to the
app's exception handler because a refused move in a browser gets an error page with a link
back to where it came from, which only the route knows.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder

from app.console import auth
from app.console.account_pages import error_page
from app.console.auth import ConsoleUser
from app.console.html import page_response, security_headers
from app.ground.errors import AppError


class SafeJSONResponse(Response):
    """JSON in which <, > and & are \\u-escaped: the parsed values are unchanged, but no
    customer text can be read as markup by anything that sniffs or embeds the body."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        text = json.dumps(jsonable_encoder(content), ensure_ascii=False, separators=(",", ":"))
        text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
        return text.encode("utf-8")


def json_response(content: Any, status_code: int = 200) -> SafeJSONResponse:
    return SafeJSONResponse(content, status_code=status_code, headers=security_headers())


def refusal(
    request: Request,
    user: ConsoleUser | None,
    exc: AppError,
    *,
    page: bool,
    back: str = "/console",
) -> Response:
    """An AppError as the caller wants it: JSON, or an error page with the right status."""
    if auth.as_json(request) or not page:
        return json_response({"error": exc.code, "message": exc.message}, exc.http_status)
    return page_response(
        error_page(user, exc.message, back=back), title="Error", status_code=exc.http_status
    )
