"""`supportbot serve`: the web app (chat, console, API) under uvicorn."""

from __future__ import annotations

import argparse
from typing import Any

from app.doors.cli import common


def add_commands(sub: Any) -> None:
    serve = sub.add_parser("serve", help="serve the web app on the configured index")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.doors.logs import configure_logging
    from app.doors.web import create_app

    settings = common.settings()
    configure_logging(settings.log)
    # log_config=None: uvicorn's loggers go through ours (one format, personal data redacted).
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)
    return 0
