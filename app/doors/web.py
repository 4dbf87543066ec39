"""The web app: `create_app()` assembles FastAPI from the routers, with its services opened
in `lifespan` (app/doors/services.py).

- /chat: the customer chat (Chainlit), answering through the conversation service;
- /widget-demo: a plain page embedding that chat as a website widget (app/doors/http/widget.py);
- /api/search and /: passage search on the same index, for staff (app/doors/http/search.py);
- /console: the agent console (app/console/routers);
- /healthz, /readyz and /metrics for the operators (app/doors/http/operators.py).
The index is the one the nightly ingest writes; the reader follows new generations by itself.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.chat.identity import chat_secret
from app.chat.mount import mount_chat
from app.console import state as app_state
from app.console.routers import ROUTERS as CONSOLE_ROUTERS
from app.doors.http import operators, search, widget
from app.doors.http.csp import ContentSecurityPolicy
from app.doors.services import lifespan_for
from app.ground.config import Settings, get_settings
from app.ground.errors import AppError


def create_app(settings: Settings | None = None, *, with_chat: bool = True) -> FastAPI:
    """The ASGI app; the model, the index reader and the database are opened at startup.

    `with_chat=False` leaves out the Chainlit chat (one per process: see app.chat.mount).
    """
    settings = settings or get_settings()
    secret = chat_secret(settings)
    docs = settings.web.api_docs  # off unless configured: the API's map is for developers
    app = FastAPI(
        title="supportbot",
        lifespan=lifespan_for(settings, secret, with_chat=with_chat),
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    app_state.install(app, settings)
    app.state.chat_secret = secret
    app.middleware("http")(widget.give_customers_an_identity)
    app.add_exception_handler(AppError, _app_error)  # type: ignore[arg-type]
    # The one place routers are included.
    for router in (operators.router, search.router, widget.router, *CONSOLE_ROUTERS):
        app.include_router(router)
    if with_chat:
        mount_chat(app, settings, secret)
    app.add_middleware(ContentSecurityPolicy)  # last added: outermost, so it sees every reply
    return app


async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
    """Any AppError a route leaves unhandled, with its status from the one table
    (app.ground.errors.HTTP_STATUS; the console's own refusals use it too)."""
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.http_status)
