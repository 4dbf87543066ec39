"""Process logging: one line per record on stderr, JSON or text, personal data redacted.

`configure_logging` is called by the long-running commands (`serve`, `schedule-ingest`); the
library code only ever asks `logging.getLogger(__name__)`. Redaction is a filter on the
handler, so it covers every logger that reaches it (uvicorn's access log, Chainlit, ours) and
both formats: e-mail addresses, phone numbers, serial numbers and order numbers found by the
same patterns triage uses to pick them out of customer messages are replaced by `[email]`,
`[phone]`, `[serial]` and `[order]` in the message, in extra fields and in tracebacks.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from app.ground.config import LogSettings
from app.ground.redaction import redact

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


class RedactFilter(logging.Filter):
    """Rewrites a record in place so that no formatter can show personal data."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD:
                setattr(record, key, _redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, then any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def make_handler(settings: LogSettings) -> logging.Handler:
    """A stderr handler in the configured format, redacting."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter())
    return handler


def configure_logging(settings: LogSettings) -> None:
    """Route every logger (uvicorn's and Chainlit's included) to one redacting handler."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(make_handler(settings))
    root.setLevel(settings.level)
    logging.captureWarnings(True)  # warnings become records too: one format, redacted
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "chainlit", "py.warnings"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True
        # A library's dictConfig (uvicorn's, alembic's) may have left it disabled or filtered.
        logger.disabled = False
        logger.setLevel(logging.NOTSET)
    # httpx logs every request's whole URL at INFO. An action's URL carries a customer's
    # order or serial number in its path, where the redaction patterns (which need the words
    # around a number) cannot see it; the actions log their calls themselves, without it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
