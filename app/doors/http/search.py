"""Passage search on the live index, for the support team (behind the console's login):
`/api/search` as JSON and `/` as a plain page."""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from app.console import state as app_state
from app.console.auth import current_agent, page_agent
from app.ground.errors import AppError
from app.index.models import SearchFilter
from app.pipeline.retrieval import HybridRetriever, RetrievedPassage

router = APIRouter()

MAX_QUERY_CHARS = 2000


def search(
    request: Request, q: str, k: int, product: str | None, doc_type: str | None
) -> list[RetrievedPassage]:
    if len(q) > MAX_QUERY_CHARS:
        raise AppError("too_long", "the query is longer than 2,000 characters")
    search_filter = None
    if product or doc_type:
        search_filter = SearchFilter(
            products=(product,) if product else None,
            doc_types=(doc_type,) if doc_type else None,
        )
    retriever = app_state.typed(request, "retriever", HybridRetriever)
    return retriever.search(q, k=k, search_filter=search_filter)


@router.get("/api/search", dependencies=[Depends(current_agent)])  # staff only
def api_search(
    request: Request,
    q: Annotated[str, Query(min_length=1)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    product: str | None = None,
    doc_type: str | None = None,
) -> dict[str, Any]:
    results = search(request, q, k, product, doc_type)
    return {"query": q, "results": [r.to_json(i) for i, r in enumerate(results, 1)]}


@router.get("/", response_class=HTMLResponse, dependencies=[Depends(page_agent)])
def search_page(request: Request, q: str = "") -> str:
    rows = []
    if q.strip():
        for r in search(request, q, 8, None, None):
            # Every section the passage spans: its text is not all under the first heading.
            where = "; ".join(
                " &gt; ".join(html.escape(h) for h in path) for path in r.passage.section_paths
            )
            rows.append(
                f"<li><p><b>{html.escape(r.passage.source)}</b> — {where} "
                f"<small>({r.score:.3f})</small></p><pre>{html.escape(r.passage.text)}</pre></li>"
            )
    return _PAGE.format(query=html.escape(q, quote=True), results="\n".join(rows))


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>supportbot search</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{{font:15px system-ui;max-width:60rem;margin:2rem auto}}pre{{white-space:pre-wrap;
background:#f6f6f6;padding:.6rem}}input{{width:70%;font-size:1rem}}</style></head><body>
<h1>supportbot — passage search</h1>
<form method="get"><input name="q" value="{query}" placeholder="e.g. factory reset LA-6 Pro">
<button>Search</button></form><ol>{results}</ol></body></html>"""
