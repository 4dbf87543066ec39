"""The `supportbot` command: one entry point, a subcommand per job.

This is an edge of the system: it turns `AppError`s into one line on stderr and an exit code
(2 for bad usage or configuration, 1 for other failures) and never shows a traceback for an
expected problem.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from app.ground.config import Settings, get_settings
from app.ground.errors import AppError

if TYPE_CHECKING:
    from sqlalchemy import Engine

_USAGE_CODES = frozenset({"usage", "config", "busy"})


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise AppError("config", f"invalid configuration: {problems}") from None


@lru_cache(maxsize=2)
def _load_embedder(model_path: str, batch_size: int) -> Any:
    from app.ground.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(model_path, batch_size=batch_size)


def _embedder(settings: Settings) -> Any:
    """The embedding model, loaded once per process (seconds) and only when needed."""
    return _load_embedder(settings.embedding_model_path, settings.ingest.embed_batch_size)


def _progress_bar(total: int, label: str) -> Callable[[int], None]:
    """A progress bar on a terminal; silence when output is piped or logged."""
    if not sys.stderr.isatty():
        return lambda _n: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, unit="passage", file=sys.stderr, leave=False)

    def advance(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return advance


def _print_json_last(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False, sort_keys=False))


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.lock import ingest_lock
    from ingest.pipeline import run_ingest

    settings = _settings()
    paths = [Path(p) for p in args.paths] or [settings.data_dir]
    with ingest_lock(settings):  # a second concurrent ingest stops here ("busy", exit 2)
        report = run_ingest(
            paths,
            settings=settings,
            embedder_factory=lambda: _embedder(settings),
            progress=_progress_bar,
            rebuild=args.rebuild,
        )
        report.save(settings.reports_dir)
        _record_run(settings, report.summary())
    print(report.render())
    if args.json:
        _print_json_last(report.summary())
    return report.exit_code


def _record_run(settings: Settings, summary: dict[str, Any]) -> None:
    """Keep the run in the database's history (migrating it first: idempotent, fast)."""
    from sqlalchemy.orm import Session

    from app.db.engine import make_engine, upgrade
    from app.db.ingest_runs import record_run

    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session, session.begin():
            record_run(session=session, summary=summary)
    finally:
        engine.dispose()


def cmd_runs(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from app.db.engine import make_engine, upgrade
    from app.db.ingest_runs import recent_runs

    settings = _settings()
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            runs = recent_runs(session=session, limit=args.n)
            for run in runs:
                print(
                    f"{run.started_at:%Y-%m-%d %H:%M} {run.duration_s:7.1f}s  +{run.added} "
                    f"~{run.updated} ={run.unchanged} -{run.deleted} !{run.failed}  "
                    f"{run.passages_total} passages"
                )
    finally:
        engine.dispose()
    if not runs:
        print("no ingest runs yet")
    return 0


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    from app.db.engine import upgrade

    settings = _settings()
    upgrade(settings.resolved_database_url)
    print(f"database at head: {settings.resolved_database_url.split('@')[-1]}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from app.index.models import SearchFilter
    from app.index.store import open_reader
    from app.pipeline.retrieval import HybridRetriever

    settings = _settings()
    reader = open_reader(settings)
    try:
        retriever = HybridRetriever(reader, _embedder(settings), settings.retrieval)
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
        where = " > ".join(r.passage.heading_path) or r.passage.title
        page = f" (page {r.passage.page})" if r.passage.page else ""
        print(f"{rank}. [{r.score:.3f}] {r.passage.source}{page} — {where}")
        snippet = " ".join(r.passage.text.split())
        print(f"   {snippet[:240]}{'…' if len(snippet) > 240 else ''}")
    if args.json:
        _print_json_last({"query": args.query, "results": rows})
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    import asyncio

    from app.doors.assistant import open_pipeline

    settings = _settings()
    with open_pipeline(settings, _embedder(settings)) as pipeline:
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
        _print_json_last(answer.to_json())
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from app.doors.assistant import make_generator
    from app.doors.evaluation import evaluate_suite

    settings = _settings()
    generator = None
    if args.generator == "vllm":
        generator = make_generator(settings)
        if generator is None:
            raise AppError("config", "--generator vllm needs SUPPORTBOT_MODEL__BASE_URL")
    metrics = evaluate_suite(
        Path(args.suite_dir),
        settings=settings,
        embedder=_embedder(settings),
        generator=generator,
        answers=not args.retrieval_only,
        index_home=Path(args.keep_index) if args.keep_index else None,
    )
    for key, value in metrics.items():
        print(f"{key:>16}: {value}")
    if args.json:
        _print_json_last(metrics)
    return 0


def cmd_eval_complaints(args: argparse.Namespace) -> int:
    from app.doors.complaints_eval import evaluate_complaints, load_messages

    messages = load_messages(Path(args.file))  # a bad file fails before the model loads
    prototypes = None
    if not args.no_embeddings:
        from app.pipeline.triage import ComplaintPrototypes

        prototypes = ComplaintPrototypes(_embedder(_settings()))
    metrics = evaluate_complaints(messages, prototypes=prototypes)
    for key, value in metrics.items():
        print(f"{key:>20}: {value}")
    if args.json:
        _print_json_last(metrics)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.doors.logs import configure_logging
    from app.doors.web import create_app

    settings = _settings()
    configure_logging(settings.log)
    # log_config=None: uvicorn's loggers go through ours (one format, personal data redacted).
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)
    return 0


def cmd_schedule_ingest(args: argparse.Namespace) -> int:
    import logging
    from zoneinfo import ZoneInfo

    from app.doors.logs import configure_logging
    from app.doors.schedule import NightlyLoop, parse_time_of_day, run_child

    settings = _settings()
    configure_logging(settings.log)
    log = logging.getLogger("app.doors.schedule")
    at = args.at or settings.ingest.schedule_at
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at):
        raise AppError("usage", f"--at wants a time of day as HH:MM (24 h), not {at!r}")
    heartbeat = settings.home / "schedule-ingest.heartbeat"
    command = [sys.executable, "-m", "app.doors.cli", "ingest", "--json", *args.paths]

    def job() -> None:
        log.info("ingest starting")
        code, out, err = run_child(command, heartbeat=heartbeat, beat_s=30)
        summary = _last_json_line(out)
        if summary is None:  # it stopped before indexing: busy (another ingest), or broken
            log.error("ingest did not run", extra={"exit_code": code, "error": err[-2000:]})
        else:
            level = logging.INFO if code == 0 else logging.WARNING
            log.log(level, "ingest finished", extra={"exit_code": code, "summary": summary})

    zone = ZoneInfo(settings.ingest.schedule_timezone)
    log.info("scheduling the ingest daily at %s %s", at, zone.key, extra={"paths": args.paths})
    NightlyLoop(job, at=parse_time_of_day(at), zone=zone, heartbeat=heartbeat).run(now=args.now)
    return 0


def _last_json_line(out: str) -> dict[str, Any] | None:
    """The summary `ingest --json` prints last, if it got that far."""
    lines = out.strip().splitlines()
    try:
        found = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


# --- agents: console logins ------------------------------------------------------------


def _agents_engine(settings: Settings) -> Engine:
    """An engine on the migrated database (agents live there)."""
    from app.db.engine import make_engine, upgrade

    upgrade(settings.resolved_database_url)
    return make_engine(settings.resolved_database_url)


def _read_password(from_stdin: bool) -> str:
    """The new password: one line on stdin, or asked twice at the terminal (never echoed)."""
    from app.console.account import check_password_rules

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass("Password (10+ characters): ")
        if getpass.getpass("Same password again: ") != password:
            raise AppError("usage", "the two passwords differ")
    check_password_rules(password)
    return password


def cmd_agents_create(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from app.console.passwords import hash_password
    from app.db import agents
    from app.db.escalations import audit

    settings = _settings()
    password = _read_password(args.password_stdin)
    engine = _agents_engine(settings)
    try:
        with Session(engine) as session, session.begin():
            agent = agents.create_agent(
                session,
                username=args.username,
                display_name=args.name or args.username,
                role=args.role,
                password_hash=hash_password(password),
            )
            audit(
                session,
                action="agent_created",
                detail={"agent_id": agent.id, "username": agent.username, "role": agent.role,
                        "by": "cli"},
            )  # fmt: skip
            print(f"created {agent.role} {agent.username!r} ({agent.display_name})")
    finally:
        engine.dispose()
    return 0


def cmd_agents_list(_args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from app.db import agents

    engine = _agents_engine(_settings())
    try:
        with Session(engine) as session:
            rows = agents.list_agents(session)
            for agent in rows:
                status = "active" if agent.active else "inactive"
                print(f"{agent.username:<24} {agent.role:<10} {status:<8} {agent.display_name}")
    finally:
        engine.dispose()
    if not rows:
        print("no agents yet: supportbot agents create USERNAME --role admin")
    return 0


def cmd_agents_deactivate(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from app.db import agents
    from app.db.escalations import audit

    engine = _agents_engine(_settings())
    try:
        with Session(engine) as session, session.begin():
            agent = agents.require_agent(session, username=args.username)
            ended = agents.set_active(session, agent_id=agent.id, active=False)
            audit(
                session,
                action="agent_deactivated",
                detail={"agent_id": agent.id, "sessions_ended": len(ended), "by": "cli"},
            )
            print(f"deactivated {agent.username!r}; {len(ended)} login(s) ended")
    finally:
        engine.dispose()
    return 0


def cmd_agents_set_role(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from app.db import agents
    from app.db.escalations import audit

    engine = _agents_engine(_settings())
    try:
        with Session(engine) as session, session.begin():
            agent = agents.require_agent(session, username=args.username)
            agents.set_role(session, agent_id=agent.id, role=args.role)
            audit(
                session,
                action="agent_role_changed",
                detail={"agent_id": agent.id, "role": args.role, "by": "cli"},
            )
            print(f"{agent.username!r} is now {args.role}")
    finally:
        engine.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supportbot", description="Self-hosted support assistant: ingest, search, evaluate."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="index support sources (incremental)")
    ingest.add_argument("paths", nargs="*", help="files or folders (default: data/)")
    ingest.add_argument("--json", action="store_true", help="print the summary as JSON last")
    ingest.add_argument(
        "--rebuild",
        action="store_true",
        help="index PATHs from scratch into a new index and switch to it when complete "
        "(re-embeds everything; drops what came from other folders)",
    )
    ingest.set_defaults(func=cmd_ingest)

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

    evaluate = sub.add_parser("eval", help="score retrieval and answers on a QA suite")
    evaluate.add_argument("suite_dir")
    evaluate.add_argument(
        "--generator",
        choices=["extractive", "vllm"],
        default="extractive",
        help="who writes the answers (vllm: the configured model server)",
    )
    evaluate.add_argument("--retrieval-only", action="store_true", help="skip the answers")
    evaluate.add_argument(
        "--keep-index", metavar="DIR", help="keep the suite's index in DIR to re-run faster"
    )
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(func=cmd_eval)

    complaints = sub.add_parser(
        "eval-complaints", help="score complaint detection on a complaint suite (.jsonl)"
    )
    complaints.add_argument("file", help="one JSON message a line: id, text, complaint, domain")
    complaints.add_argument(
        "--no-embeddings",
        action="store_true",
        help="rules and sentiment only: no sentence-embedding similarity (faster start)",
    )
    complaints.add_argument("--json", action="store_true", help="print the metrics as JSON last")
    complaints.set_defaults(func=cmd_eval_complaints)

    runs = sub.add_parser("runs", help="recent ingest runs")
    runs.add_argument("-n", type=int, default=10)
    runs.set_defaults(func=cmd_runs)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

    agents = sub.add_parser("agents", help="console logins: create, list, deactivate, set-role")
    agents_sub = agents.add_subparsers(dest="agents_command", required=True)
    roles = ["agent", "supervisor", "admin"]
    create = agents_sub.add_parser("create", help="add an agent who can sign in to /console")
    create.add_argument("username")
    create.add_argument("--role", choices=roles, required=True)
    create.add_argument("--name", help="display name shown to customers (default: username)")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (one line)"
    )
    create.set_defaults(func=cmd_agents_create)
    agents_sub.add_parser("list", help="every agent").set_defaults(func=cmd_agents_list)
    deactivate = agents_sub.add_parser("deactivate", help="block sign-in and end their logins")
    deactivate.add_argument("username")
    deactivate.set_defaults(func=cmd_agents_deactivate)
    set_role = agents_sub.add_parser("set-role", help="change an agent's role")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=roles)
    set_role.set_defaults(func=cmd_agents_set_role)

    schedule = sub.add_parser(
        "schedule-ingest", help="run the ingest every day at a set time (a long-running job)"
    )
    schedule.add_argument("paths", nargs="*", help="files or folders (default: data/)")
    schedule.add_argument(
        "--at", help="local time of day, HH:MM (default: SUPPORTBOT_INGEST__SCHEDULE_AT, 02:00)"
    )
    schedule.add_argument("--now", action="store_true", help="also run once at start")
    schedule.set_defaults(func=cmd_schedule_ingest)

    from app.finetune.cli import add_commands as add_finetune_commands

    add_finetune_commands(sub, _settings, _embedder)

    serve = sub.add_parser("serve", help="serve the web app on the configured index")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # The model must come from the installed package; never reach for a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Model-loading progress bars are noise in a service's log (and not JSON).
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except AppError as exc:
        print(f"supportbot: error: {exc.message}", file=sys.stderr)
        return 2 if exc.code in _USAGE_CODES else 1
    except KeyboardInterrupt:
        print("supportbot: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
