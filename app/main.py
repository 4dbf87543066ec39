"""The web app: `create_app()` builds FastAPI with everything it needs made in `lifespan`.

For now it serves retrieval — a search page for support staff and a JSON search API — on the
same index the nightly ingest writes (the reader follows new generations by itself). The
customer chat mounts here later.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from app.config import Settings, get_settings
from app.errors import AppError
from app.index.models import SearchFilter
from app.index.store import open_reader
from app.pipeline.retrieval import HybridRetriever, RetrievedPassage


def _result_json(rank: int, r: RetrievedPassage) -> dict[str, Any]:
    return {
        "rank": rank,
        "score": round(r.score, 4),
        "source": r.passage.source,
        "title": r.passage.title,
        "heading_path": list(r.passage.heading_path),
        "doc_type": r.passage.doc_type,
        "product": r.passage.product,
        "page": r.passage.page,
        "url": r.passage.url,
        "text": r.passage.text,
    }


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app; the embedding model and the index reader are opened once, at startup."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.embedding import SentenceTransformerEmbedder

        reader = open_reader(settings)
        embedder = SentenceTransformerEmbedder(settings.embedding_model_path)
        app.state.retriever = HybridRetriever(reader, embedder, settings.retrieval)
        try:
            yield
        finally:
            reader.close()

    app = FastAPI(title="supportbot", lifespan=lifespan)

    @app.exception_handler(AppError)
    async def app_error(_request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=400)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

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
        retriever: HybridRetriever = request.app.state.retriever
        return retriever.search(q, k=k, search_filter=search_filter)

    @app.get("/api/search")
    def api_search(
        request: Request,
        q: Annotated[str, Query(min_length=1)],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
        product: str | None = None,
        doc_type: str | None = None,
    ) -> dict[str, Any]:
        results = search(request, q, k, product, doc_type)
        return {"query": q, "results": [_result_json(i, r) for i, r in enumerate(results, 1)]}

    @app.get("/", response_class=HTMLResponse)
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

    return app


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>supportbot search</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{{font:15px system-ui;max-width:60rem;margin:2rem auto}}pre{{white-space:pre-wrap;
background:#f6f6f6;padding:.6rem}}input{{width:70%;font-size:1rem}}</style></head><body>
<h1>supportbot — passage search</h1>
<form method="get"><input name="q" value="{query}" placeholder="e.g. factory reset LA-6 Pro">
<button>Search</button></form><ol>{results}</ol></body></html>"""
