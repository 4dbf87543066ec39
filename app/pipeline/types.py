"""What flows through the answer pipeline: turns in, their triage, a cited answer out.

These are plain data, free of any web framework, so that the chat app, `supportbot ask` and
`supportbot eval` all read the very same answer. The triage's data live here too, not in
`app/pipeline/triage/`, because an answer carries its turn's triage and triage reads the
turns before it: kept here, neither imports the other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from app.pipeline.retrieval import RetrievedPassage

Role = Literal["customer", "assistant", "agent"]

# What the customer wants: the one intent vocabulary, read by triage (app/pipeline/triage/).
Intent = Literal["faq", "troubleshooting", "account_billing", "complaint", "human_request", "other"]
SentimentLabel = Literal["negative", "neutral", "positive"]
EntityKind = Literal[
    "product",
    "model",
    "serial",
    "order",
    "ticket",
    "rma",
    "email",
    "phone",
    "card",
    "iban",
    "date",
    "amount",
]

# How the pipeline treats the turn, read off the intent (app/pipeline/routes.py); only a
# "question" is answered from the index. A language model may refine a question's route.
Route = Literal["question", "complaint", "human", "greeting", "thanks"]
ROUTES: tuple[Route, ...] = ("question", "complaint", "human", "greeting", "thanks")

# How the turn was answered.
#   answer:   a cited answer from the passages
#   abstain:  retrieval too weak to answer; says so and offers a person
#   clarify:  the question fits several products or documents; asks which one
#   handoff:  the customer asked for a person, or the topic is reserved for people
#             (app/pipeline/policy.py): no answer attempted
#   smalltalk: greeting or thanks
#   action:   from a look-up in the company's own systems (app/actions), or a question for
#             the identifier it needs; never from this pipeline
AnswerKind = Literal["answer", "abstain", "clarify", "handoff", "smalltalk", "action"]


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far."""

    role: Role
    text: str


@dataclass(frozen=True)
class Entity:
    """Something the customer identified: `text` as written, `value` normalised."""

    kind: EntityKind
    text: str
    value: str


@dataclass(frozen=True)
class Triage:
    """What one customer turn says about the customer and their problem."""

    sentiment_score: float  # -1..1
    sentiment_label: SentimentLabel
    complaint: bool
    complaint_score: float  # 0..1; complaint when >= 0.5
    intent: Intent
    entities: tuple[Entity, ...]
    signals: tuple[str, ...] = ()  # why: the complaint signals that fired, for the agent
    # The company's own intent (intents.toml, learned by app/learned) and where its taxonomy
    # routes it; None when no intent model is stored or the message fits none of them.
    company_intent: str | None = None
    intent_route: str = "answer"
    # Keyboard mashing, no words at all (app.ground.words): an abstention on it is no failure.
    junk: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "sentiment_score": round(self.sentiment_score, 4),
            "sentiment_label": self.sentiment_label,
            "complaint": self.complaint,
            "complaint_score": round(self.complaint_score, 4),
            "intent": self.intent,
            "entities": [{"kind": e.kind, "text": e.text, "value": e.value} for e in self.entities],
            "signals": list(self.signals),
            "company_intent": self.company_intent,
            "intent_route": self.intent_route,
            "junk": self.junk,
        }


@dataclass(frozen=True)
class Citation:
    """A passage the answer cites, under the marker `[marker]` used in the text."""

    marker: int
    passage_id: str
    source: str
    title: str
    heading_path: tuple[str, ...]
    # The sections of the sentences it supports (first: `heading_path`); for a citation made
    # without its sentences, every section the passage spans.
    section_paths: tuple[tuple[str, ...], ...]
    url: str | None
    page: int | None
    product: str | None
    doc_type: str
    snippet: str  # the passage text, for the customer to open and read

    @classmethod
    def of(
        cls,
        marker: int,
        retrieved: RetrievedPassage,
        sections: tuple[tuple[str, ...], ...] | None = None,
    ) -> Citation:
        """`sections`: the heading paths of the sentences this citation supports (see
        app/pipeline/sections.py); by default every section the passage spans."""
        p = retrieved.passage
        sections = sections or p.section_paths or (p.heading_path,)
        return cls(
            marker=marker,
            passage_id=p.id,
            source=p.source,
            title=p.title,
            heading_path=sections[0],
            section_paths=sections,
            url=p.url,
            page=p.page,
            product=p.product,
            doc_type=p.doc_type,
            # Only the text of the cited sections, so the passage shown under their names
            # holds nothing from a neighbouring section it was joined to at ingest.
            snippet=p.text_of(sections),
        )

    @property
    def location(self) -> str:
        """ "Title > heading > heading" for each cited section (joined by "; "), without
        repeating a title the path starts with."""
        return "; ".join(
            " > ".join(path if path and path[0] == self.title else (self.title, *path))
            for path in self.section_paths or (self.heading_path,)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "marker": self.marker,
            "source": self.source,
            "title": self.title,
            "heading_path": list(self.heading_path),
            "section_paths": [list(path) for path in self.section_paths],
            "url": self.url,
            "page": self.page,
            "product": self.product,
            "doc_type": self.doc_type,
            "snippet": self.snippet,
        }


EscalationReason = Literal[
    "asked_for_human",  # the customer asked for a person
    "complaint",  # a complaint with negative sentiment
    "policy_topic",  # refunds, legal, safety: reserved for people
    "repeated_problem",  # "still not working" after the bot's suggestions
    "repeated_failure",  # the bot failed twice (abstained or got a thumbs down)
]


@dataclass(frozen=True)
class Escalation:
    """Why a person should take over the conversation (shown to the agent)."""

    reason: EscalationReason
    detail: str
    topic: str | None = None  # for policy_topic: refund, legal or safety


@dataclass
class RouteUsage:
    """What one route (the small model, or the larger one it hands over to) spent on a turn."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class RoutingDecision:
    """Which model wrote the answer, and why (app/pipeline/generators/routing.py)."""

    route: Literal["small", "large"]
    # confident | low_confidence | abstained: the small model's opening was judged;
    # large_unavailable: it was not confident, but the larger one failed, so it answered;
    # small_unavailable: the small model failed before its first word.
    reason: str
    confidence: float | None  # the small model's mean token probability over its opening
    threshold: float
    small_model: str
    large_model: str

    def to_json(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "reason": self.reason,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "threshold": self.threshold,
            "small_model": self.small_model,
            "large_model": self.large_model,
        }


@dataclass(frozen=True)
class Answer:
    """The complete result of one turn."""

    kind: AnswerKind
    intent: Route  # the route the turn took (the field keeps its name: JSON readers use it)
    text: str  # with inline markers [1]..[n] referring to `citations`
    citations: tuple[Citation, ...]
    confidence: float  # 0..1, from retrieval strength
    product: str | None  # the product the turn was answered for, if known
    query: str  # what was actually searched (the question, resolved against the history)
    retrieved: tuple[RetrievedPassage, ...] = ()
    escalation: Escalation | None = None
    generator: str = ""  # which generator wrote the text ("extractive", "vllm", ...)
    model: str | None = None  # the model the server was asked for (base name or adapter)
    notice: str | None = None  # e.g. "the model server is unavailable; answered from passages"
    routing: RoutingDecision | None = None  # small or large model, when routing is set up
    usage: dict[str, RouteUsage] = field(default_factory=dict)  # tokens and seconds by route
    clarify_products: tuple[str, ...] = ()
    # A question back's choices, shown as buttons: the products, or the documents' titles.
    clarify_options: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    triage: Triage | None = None  # the customer turn's sentiment, complaint, entities

    @property
    def abstained(self) -> bool:
        return self.kind == "abstain"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "intent": self.intent,
            "text": self.text,
            "citations": [c.to_json() for c in self.citations],
            "confidence": round(self.confidence, 4),
            "abstained": self.abstained,
            "product": self.product,
            "query": self.query,
            "escalation": (
                {"reason": self.escalation.reason, "detail": self.escalation.detail}
                if self.escalation
                else None
            ),
            "generator": self.generator,
            "model": self.model,
            "notice": self.notice,
            "routing": self.routing.to_json() if self.routing else None,
            "usage": {route: asdict(spent) for route, spent in self.usage.items()},
            "clarify_products": list(self.clarify_products),
            "clarify_options": list(self.clarify_options),
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "triage": self.triage.to_json() if self.triage else None,
        }
