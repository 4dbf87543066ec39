"""`supportbot search` and `supportbot ask`: the index and the answer pipeline from a terminal.

`search` shows the passages retrieval ranks for a query (what the pipeline would read);
`ask` runs the same pipeline the chat uses and prints the answer with its citations.
"""

from __future__ import annotations

import argparse
from typing import Any

from app.doors.cli import common


def add_commands(sub: Any) -> None:
    search = sub.add_parser("search", help="show the passages retrieved for a query")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    search.add_argument("--product", action="append", help="only this product (repeatable)")
    search.add_argument(
        "--doc-type", action="append", choices=["manual", "kb", "ticket"], help="only this type"
    )
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=cmd_search)

    ask = sub.add_parser("ask", help="answer a question from the index, with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON last")
    ask.set_defaults(func=cmd_ask)


def cmd_search(args: argparse.Namespace) -> int:
    from app.index.models import SearchFilter
    from app.index.store import open_reader
    from app.pipeline.retrieval import HybridRetriever

    settings = common.settings()
    reader = open_reader(settings)
    try:
        retriever = HybridRetriever(reader, common.embedder(settings), settings.retrieval)
        search_filter = None
        if args.product or args.doc_type:
            search_filter = SearchFilter(
                products=tuple(args.product) if args.product else None,
                doc_types=tuple(args.doc_type) if args.doc_type else None,
            )
        results = retriever.search(args.query, k=args.k, search_filter=search_filter)
    finally:
        reader.close()
    rows = [r.to_json(rank) for rank, r in enumerate(results, 1)]
    if not rows:
        print("no passages found")
    for rank, r in enumerate(results, 1):
        # Every section the passage spans: its text is not all under the first heading.
        where = "; ".join(" > ".join(path) for path in r.passage.section_paths if path)
        where = where or r.passage.title
        page = f" (page {r.passage.page})" if r.passage.page else ""
        print(f"{rank}. [{r.score:.3f}] {r.passage.source}{page} — {where}")
        snippet = " ".join(r.passage.text.split())
        print(f"   {snippet[:240]}{'…' if len(snippet) > 240 else ''}")
    if args.json:
        common.print_json_last({"query": args.query, "results": rows})
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    import asyncio

    from app.doors.assistant import open_pipeline

    settings = common.settings()
    with open_pipeline(settings, common.embedder(settings)) as pipeline:
        answer = asyncio.run(pipeline.answer(args.question))
    print(answer.text)
    if answer.notice:
        print(f"({answer.notice})")
    if answer.citations:
        print()
    for citation in answer.citations:
        where = citation.location
        page = f", page {citation.page}" if citation.page else ""
        link = f" <{citation.url}>" if citation.url else ""
        print(f"[{citation.marker}] {citation.source}{page} — {where}{link}")
    if args.json:
        common.print_json_last(answer.to_json())
    return 0
