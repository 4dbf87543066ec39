"""Logs: one JSON object a line, and no personal data in any format."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app.doors.logs import RedactFilter, configure_logging, make_handler, redact
from app.ground.config import LogSettings


def test_redact_hides_emails_phones_serials_and_orders_and_keeps_the_rest() -> None:
    text = (
        "Customer jane.doe+support@example.co.uk called from +44 20 7946 0958 "
        "about order number 55123, serial number LX7Q2-99812 and unit K3J9X2M7Q1 "
        "(also (415) 555-0132), at 2026-11-23 02:00:01 from 127.0.0.1:8000"
    )
    assert redact(text) == (
        "Customer [email] called from [phone] "
        "about order number [order], serial number [serial] and unit [serial] "
        "(also [phone]), at 2026-11-23 02:00:01 from 127.0.0.1:8000"
    )
    assert redact("GET /chat/ HTTP/1.1 200") == "GET /chat/ HTTP/1.1 200"
    assert redact("Order ORD-2024-7731 shipped") == "Order [order] shipped"


def _log_through(settings: LogSettings, emit: object) -> str:
    stream = io.StringIO()
    handler = make_handler(settings)
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        assert callable(emit)
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_json_lines_carry_time_level_logger_message_and_extra_fields_redacted() -> None:
    def emit(logger: logging.Logger) -> None:
        logger.warning(
            "reply to %s failed",
            "ana@example.com",
            extra={"conversation": "c-1", "brief": {"phone": "call 555-123-4567"}, "n": 3},
        )

    out = _log_through(LogSettings(format="json"), emit)
    assert out.endswith("\n") and out.count("\n") == 1
    entry = json.loads(out)
    assert entry["level"] == "WARNING" and entry["logger"] == "test.logs"
    assert entry["message"] == "reply to [email] failed"
    assert entry["conversation"] == "c-1" and entry["n"] == 3
    assert entry["brief"] == {"phone": "call [phone]"}
    assert entry["time"].endswith("+00:00")


def test_tracebacks_are_redacted_in_both_formats() -> None:
    def emit(logger: logging.Logger) -> None:
        try:
            raise ValueError("no customer with email bob@example.org")
        except ValueError:
            logger.exception("lookup failed for serial SN: AB12345678")

    for fmt in ("json", "text"):
        out = _log_through(LogSettings(format=fmt), emit)
        assert "bob@example.org" not in out and "AB12345678" not in out
        assert "[email]" in out and "[serial]" in out
        assert "ValueError" in out
    entry = json.loads(_log_through(LogSettings(format="json"), emit))
    assert "Traceback" in entry["exception"]


def test_configure_logging_sends_uvicorn_through_the_redacting_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging(LogSettings(format="json", level="INFO"))
        assert any(isinstance(f, RedactFilter) for h in root.handlers for f in h.filters)
        logging.getLogger("uvicorn.access").info('%s - "GET /?q=%s"', "10.0.0.1", "me@x.io")
        logging.getLogger("app.test").debug("not shown at INFO")
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1
        assert json.loads(lines[0])["message"] == '10.0.0.1 - "GET /?q=[email]"'
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
