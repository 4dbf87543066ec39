"""What every `supportbot` command group shares: settings, the embedder, progress, JSON output.

The command modules call these as attributes of this module (`common.embedder(...)`), not
as names imported into themselves, so that one patch here (tests share one loaded model
across commands this way) reaches every command.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from app.ground.config import Settings, get_settings
from app.ground.errors import AppError


def settings() -> Settings:
    """The process's settings; invalid ones are a configuration error (exit 2), not a trace."""
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


def embedder(config: Settings) -> Any:
    """The embedding model, loaded once per process (seconds) and only when needed."""
    return _load_embedder(config.embedding_model_path, config.ingest.embed_batch_size)


def progress_bar(total: int, label: str) -> Callable[[int], None]:
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


def print_json_last(obj: dict[str, Any]) -> None:
    """The machine-readable summary, always the last line a command prints (`--json`)."""
    print(json.dumps(obj, ensure_ascii=False, sort_keys=False))
