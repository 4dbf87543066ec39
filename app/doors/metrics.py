"""Prometheus metrics of one app process, served at /metrics.

Recorded where a turn ends (the chat handler calls `observe_answer`, which also counts each
route's tokens and seconds and the routing decision, `first_token_clock`,
`count_escalation`, `count_feedback`), never inside the pipeline, which stays free of them.
The two rates operators watch, deflection and thumbs up, are read from the database at scrape
time, so they are the same whichever process is scraped and survive restarts:

- deflection rate: of the conversations in which a customer wrote, started in the last 30
  days, those the bot resolved alone (an answer, nobody asked in, no thumbs down, and the
  customer did not come back unhappy within a day: app/db/stats.py `deflected`);
- thumbs-up ratio: thumbs up over all thumbs given (a changed vote counts as changed).

Labels are fixed small sets (answer kinds, escalation reasons, vote values, routes and
routing reasons, the actions declared in actions.toml and their outcomes): nothing a
customer typed, and no identifier, ever becomes a label, so /metrics shows no personal data.
Each app gets its own registry (no process-wide state): tests build several apps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.db.models import utc_now
from app.db.stats import conversation_outcomes, feedback_votes
from app.pipeline.types import Answer

CONTENT_TYPE = CONTENT_TYPE_LATEST
log = logging.getLogger(__name__)

# Seconds. Answers on a GPU take 1-10 s, extractive ones a few hundred ms; retrieval is ms.
GAUGE_PERIOD = timedelta(days=30)  # the conversations the database gauges count
_ANSWER_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60)
_RETRIEVAL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
_FIRST_TOKEN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13)


class Metrics:
    """The app's metrics; `engine` feeds the database gauges (none without it)."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        r = self.registry
        self.answer_seconds = Histogram(
            "supportbot_answer_seconds",
            "Time to the complete answer to a customer message (pipeline total).",
            buckets=_ANSWER_BUCKETS,
            registry=r,
        )
        self.retrieval_seconds = Histogram(
            "supportbot_retrieval_seconds",
            "Time to retrieve the passages for an answer.",
            buckets=_RETRIEVAL_BUCKETS,
            registry=r,
        )
        self.first_token_seconds = Histogram(
            "supportbot_time_to_first_token_seconds",
            "Time from a customer message to the first text of its answer in the chat.",
            buckets=_FIRST_TOKEN_BUCKETS,
            registry=r,
        )
        self.answers = Counter(
            "supportbot_answers", "Answers given, by kind.", ["kind"], registry=r
        )
        self.fallbacks = Counter(
            "supportbot_model_fallbacks",
            "Answers written from passages because the model server failed.",
            registry=r,
        )
        self.escalations = Counter(
            "supportbot_escalations",
            "Conversations queued for a person, by reason.",
            ["reason"],
            registry=r,
        )
        self.feedback = Counter(
            "supportbot_feedback", "Thumbs given on answers.", ["value"], registry=r
        )
        self.routing_decisions = Counter(
            "supportbot_routing_decisions",
            "Model answers by the route that wrote them (small or large model) and why.",
            ["route", "reason"],
            registry=r,
        )
        self.route_seconds = Histogram(
            "supportbot_route_seconds",
            "Time one route's model spent on an answer (an abandoned opening included).",
            ["route"],
            buckets=_ANSWER_BUCKETS,
            registry=r,
        )
        self.route_tokens = Counter(
            "supportbot_route_tokens",
            "Tokens by route and kind (prompt or completion), as the model servers count them.",
            ["route", "kind"],
            registry=r,
        )
        self.actions = Counter(
            "supportbot_actions",
            "Look-ups in the company's systems (actions.toml), by action and outcome "
            "(answered, asked, not_found, error, timeout).",
            ["action", "outcome"],
            registry=r,
        )
        self.action_seconds = Histogram(
            "supportbot_action_seconds",
            "Time one look-up in a company system took, by action.",
            ["action"],
            buckets=_RETRIEVAL_BUCKETS + (5, 10, 30),
            registry=r,
        )
        if engine is not None:
            r.register(_DatabaseGauges(engine))

    def observe_answer(self, answer: Answer) -> None:
        """A finished answer: its latencies and its kind."""
        self.answers.labels(answer.kind).inc()
        timings = answer.timings_ms
        if "total_ms" in timings:
            self.answer_seconds.observe(timings["total_ms"] / 1000)
        if "retrieval_ms" in timings:
            self.retrieval_seconds.observe(timings["retrieval_ms"] / 1000)
        if answer.notice and answer.generator == "extractive" and answer.kind == "answer":
            self.fallbacks.inc()
        if answer.routing is not None:
            self.routing_decisions.labels(answer.routing.route, answer.routing.reason).inc()
        for route, spent in answer.usage.items():
            self.route_seconds.labels(route).observe(spent.seconds)
            self.route_tokens.labels(route, "prompt").inc(spent.prompt_tokens)
            self.route_tokens.labels(route, "completion").inc(spent.completion_tokens)

    def first_token_clock(self) -> FirstTokenClock:
        """Start timing a customer message; call `.text()` on every piece of answer shown."""
        return FirstTokenClock(self.first_token_seconds)

    def count_escalation(self, reason: str) -> None:
        self.escalations.labels(reason).inc()

    def count_feedback(self, value: int) -> None:
        self.feedback.labels("up" if value else "down").inc()

    def observe_action(self, action: str, outcome: str, seconds: float) -> None:
        """One action's turn (app/actions): its outcome, and how long a call took. The
        action's name is the operator's, from actions.toml: a small fixed set of labels."""
        self.actions.labels(action, outcome).inc()
        if outcome != "asked":  # asking for the identifier calls nothing
            self.action_seconds.labels(action).observe(seconds)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


class FirstTokenClock:
    """Observes the time from its creation to the first `text()` call, once."""

    def __init__(self, histogram: Histogram) -> None:
        self._histogram = histogram
        self._started: float | None = time.perf_counter()

    def text(self) -> None:
        if self._started is not None:
            self._histogram.observe(time.perf_counter() - self._started)
            self._started = None


class _DatabaseGauges(Collector):
    """Deflection and thumbs-up ratios, and the counts behind them, read at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def describe(self) -> list[Metric]:
        return []  # nothing at registration: collect() queries the database

    def collect(self) -> Iterator[Metric]:
        try:
            with Session(self._engine) as session:
                since = utc_now() - GAUGE_PERIOD
                conversations, escalated, deflected = conversation_outcomes(session, since=since)
                up, down = feedback_votes(session)
        except SQLAlchemyError as exc:  # a scrape must not fail with the database
            log.warning("database gauges unavailable: %s", type(exc).__name__)
            return
        by_outcome = GaugeMetricFamily(
            "supportbot_conversations",
            "Conversations in which a customer wrote, started in the last 30 days, by outcome: "
            "deflected (answered by the bot alone, see app/db/stats.py), escalated, or other "
            "(no answer, a thumbs down, or the customer came back unhappy).",
            labels=["outcome"],
        )
        by_outcome.add_metric(["deflected"], deflected)
        by_outcome.add_metric(["escalated"], escalated)
        by_outcome.add_metric(["other"], conversations - escalated - deflected)
        yield by_outcome
        yield GaugeMetricFamily(
            "supportbot_deflection_rate",
            "Share of the last 30 days' conversations the bot resolved alone (NaN before the "
            "first).",
            value=deflected / conversations if conversations else float("nan"),
        )
        votes = GaugeMetricFamily(
            "supportbot_feedback_votes", "Thumbs as they stand, by value.", labels=["value"]
        )
        votes.add_metric(["up"], up)
        votes.add_metric(["down"], down)
        yield votes
        yield GaugeMetricFamily(
            "supportbot_thumbs_up_ratio",
            "Thumbs up over all thumbs given (NaN before the first).",
            value=up / (up + down) if up + down else float("nan"),
        )
