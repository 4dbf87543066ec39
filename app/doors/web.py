"""The web app: `create_app()` builds FastAPI with everything it needs made in `lifespan`.

- /chat: the customer chat (Chainlit), answering through the answer pipeline;
- /widget-demo: a plain page embedding that chat as a website widget;
- /api/search and /: passage search on the same index;
- /healthz (alive), /readyz (index, database and model server answer: app/doors/health.py) and
  /metrics (Prometheus: app/doors/metrics.py), for the operators; none needs a login and none
  shows personal data.
The index is the one the nightly ingest writes; the reader follows new generations by itself.
"""

from __future__ import annotations

import asyncio
import html
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, cast

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from app.chat import runtime
from app.chat.identity import COOKIE_NAME, chat_secret, identifier, new_customer_cookie, verify
from app.chat.mount import CHAT_PATH, mount_chat
from app.console import state as app_state
from app.console.auth import current_agent, page_agent
from app.console.routers import ROUTERS as CONSOLE_ROUTERS
from app.conversation.service import ConversationService
from app.db.chat_writes import ChatWrites
from app.db.engine import make_engine, upgrade
from app.doors.assistant import build_pipeline, load_catalog
from app.doors.health import readiness
from app.doors.metrics import CONTENT_TYPE, Metrics
from app.ground.config import Settings, get_settings
from app.ground.errors import AppError
from app.handoff.service import Handoff
from app.index.models import SearchFilter
from app.index.protocols import IndexReader
from app.index.store import open_reader
from app.live.bus import make_bus
from app.pipeline.retrieval import HybridRetriever, RetrievedPassage


def create_app(settings: Settings | None = None, *, with_chat: bool = True) -> FastAPI:
    """The ASGI app; the model, the index reader and the database are opened at startup.

    `with_chat=False` leaves out the Chainlit chat (one per process: see app.chat.mount).
    """
    settings = settings or get_settings()
    secret = chat_secret(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.ground.embedding import SentenceTransformerEmbedder

        reader = open_reader(settings)
        embedder = SentenceTransformerEmbedder(settings.embedding_model_path)
        app.state.retriever = HybridRetriever(reader, embedder, settings.retrieval)
        upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        pipeline = build_pipeline(
            settings, reader, embedder, catalog=load_catalog(settings.data_dir)
        )
        await asyncio.to_thread(pipeline.warm)
        bus = make_bus(settings.handoff.bus, settings.resolved_database_url)
        await bus.start()
        handoff = Handoff(
            engine,
            bus,
            settings.handoff,
            settings.console,
            assistant_name=settings.chat.assistant_name,
        )
        metrics = Metrics(engine)
        app_state.attach(app, engine=engine, handoff=handoff, embedder=embedder)
        app.state.reader, app.state.metrics = reader, metrics
        starters = runtime.load_starters(settings)
        writes = ChatWrites(engine)  # one write order for Chainlit's layer and the service
        conversation = ConversationService(pipeline, handoff, writes, metrics)
        runtime.install(
            runtime.ChatRuntime(settings, engine, secret, starters, conversation, writes)
        )
        pusher = None
        if with_chat:  # Chainlit is imported only once mount_chat has prepared its config
            from app.chat.push import push_people_messages

            pusher = asyncio.create_task(push_people_messages(bus, engine))
        try:
            yield
        finally:
            if pusher is not None:
                pusher.cancel()
            await bus.aclose()
            await pipeline.aclose()
            engine.dispose()
            reader.close()

    app = FastAPI(title="supportbot", lifespan=lifespan)
    app_state.install(app, settings)

    @app.middleware("http")
    async def give_customers_an_identity(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """A first visit to the chat gets a signed customer cookie (app.chat.identity)."""
        path = request.url.path
        needs_identity = path.startswith(CHAT_PATH) or path == "/widget-demo"
        has_identity = verify(request.cookies.get(COOKIE_NAME), secret) is not None
        if needs_identity and not has_identity:
            request.state.new_customer = new_customer_cookie(secret)
        response = await call_next(request)
        if needs_identity and not has_identity:
            _set_identity_cookie(response, request, request.state.new_customer, settings)
        return response

    @app.get("/widget-demo", response_class=HTMLResponse)
    def widget_demo(request: Request) -> HTMLResponse:
        """A stand-in for a customer's website with the chat widget embedded."""
        cookie = request.cookies.get(COOKIE_NAME)
        customer_id = verify(cookie, secret) or verify(request.state.new_customer, secret)
        assert customer_id is not None  # the middleware gave this request an identity
        token = widget_token(customer_id)
        nonce = secrets.token_urlsafe(16)
        page = _WIDGET_PAGE.format(
            nonce=nonce,
            server=json.dumps(str(request.base_url).rstrip("/") + CHAT_PATH),
            token=json.dumps(token),
        )
        csp = (
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self' ws: wss:; font-src 'self' data:"
        )
        return HTMLResponse(page, headers={"Content-Security-Policy": csp})

    @app.exception_handler(AppError)
    async def app_error(_request: Request, exc: AppError) -> JSONResponse:
        """Any AppError a route leaves unhandled, with its status from the one table
        (app.ground.errors.HTTP_STATUS; the console's own refusals use it too)."""
        return JSONResponse(
            {"error": exc.code, "message": exc.message}, status_code=exc.http_status
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process serves requests. Checks nothing else, on purpose."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: 200 when the index, the database and the model server answer, else 503."""
        ready, checks = await readiness(
            reader=cast(IndexReader, app_state.present(request, "reader")),
            engine=app_state.engine_of(request),
            model=settings.model,
        )
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics")
    def prometheus_metrics(request: Request) -> Response:
        """Prometheus metrics (app/doors/metrics.py): counts and latencies, no personal data."""
        metrics = app_state.typed(request, "metrics", Metrics)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    def search(
        request: Request, q: str, k: int, product: str | None, doc_type: str | None
    ) -> list[RetrievedPassage]:
        if len(q) > 2000:
            raise AppError("too_long", "the query is longer than 2,000 characters")
        search_filter = None
        if product or doc_type:
            search_filter = SearchFilter(
                products=(product,) if product else None,
                doc_types=(doc_type,) if doc_type else None,
            )
        retriever = app_state.typed(request, "retriever", HybridRetriever)
        return retriever.search(q, k=k, search_filter=search_filter)

    @app.get("/api/search", dependencies=[Depends(current_agent)])  # staff only
    def api_search(
        request: Request,
        q: Annotated[str, Query(min_length=1)],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
        product: str | None = None,
        doc_type: str | None = None,
    ) -> dict[str, Any]:
        results = search(request, q, k, product, doc_type)
        return {"query": q, "results": [r.to_json(i) for i, r in enumerate(results, 1)]}

    @app.get("/", response_class=HTMLResponse, dependencies=[Depends(page_agent)])
    def search_page(request: Request, q: str = "") -> str:
        rows = []
        if q.strip():
            for r in search(request, q, 8, None, None):
                where = " &gt; ".join(html.escape(h) for h in r.passage.heading_path)
                rows.append(
                    f"<li><p><b>{html.escape(r.passage.source)}</b> — {where} "
                    f"<small>({r.score:.3f})</small></p><pre>{html.escape(r.passage.text)}</pre></li>"
                )
        return _PAGE.format(query=html.escape(q, quote=True), results="\n".join(rows))

    for router in CONSOLE_ROUTERS:  # the one place the console's routers are included
        app.include_router(router)
    if with_chat:
        mount_chat(app, settings, secret)
    return app


def widget_token(customer_id: str) -> str:
    """A chat token for a customer, as a site embedding the widget would mint for its user."""
    import chainlit as cl
    from chainlit.auth import create_jwt

    return create_jwt(cl.User(identifier=identifier(customer_id), metadata={"role": "customer"}))


def _set_identity_cookie(
    response: Response, request: Request, value: str, settings: Settings
) -> None:
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=settings.chat.login_days * 86400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


_WIDGET_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Larkspur Networks — widget demo</title>
<style>body{{font:16px system-ui;max-width:48rem;margin:3rem auto;color:#222}}</style>
</head><body>
<h1>Larkspur Networks</h1>
<p>This page stands in for a company website. The support chat is embedded as a widget:
open it with the button in the bottom corner.</p>
<script src="/chat/copilot/index.js"></script>
<script nonce="{nonce}">
window.mountChainlitWidget({{chainlitServer: {server}, accessToken: {token}}});
</script>
</body></html>"""


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>supportbot search</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{{font:15px system-ui;max-width:60rem;margin:2rem auto}}pre{{white-space:pre-wrap;
background:#f6f6f6;padding:.6rem}}input{{width:70%;font-size:1rem}}</style></head><body>
<h1>supportbot — passage search</h1>
<form method="get"><input name="q" value="{query}" placeholder="e.g. factory reset LA-6 Pro">
<button>Search</button></form><ol>{results}</ol></body></html>"""
