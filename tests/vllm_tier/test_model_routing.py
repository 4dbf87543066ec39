"""Model routing on the real model: the small model answers when its opening is confident,
hands over to the larger endpoint when it is not, and neither endpoint being down makes a turn
fail; the served app records every decision and counts each route's tokens.

One server plays both endpoints: SmolLM2-135M-Instruct ("smollm2") is the small model and its
untrained LoRA adapter "support" stands in for the larger one (a second server would not fit
beside the tests on two cores). Which model answered is read from the server's own stream
(the `model` of its chunks). Answers are pinned to one cited sentence with structured output
(`choice`) so that the test can tell them apart; the token probabilities routing judges are
still the real model's, given the real prompt.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from app.db.engine import make_engine
from app.db.models import RoutingRecord
from app.doors.cli import main
from app.ground.config import ModelSettings, RoutingSettings, Settings, get_settings
from app.pipeline.generators.base import GenerationReport, GenerationRequest
from app.pipeline.generators.routing import RoutingGenerator
from app.pipeline.generators.vllm import VllmGenerator
from tests.integration.chat_server import ChatClient, serve, write_access_point_corpus
from tests.vllm_tier.server import ADAPTER_MODEL, REAL_MODEL, VllmServer
from tests.vllm_tier.suites import write_reset_suite

CITED = "Hold the reset button for ten seconds [1]."
PINNED = {"structured_outputs": {"choice": [CITED]}}
NOWHERE = "http://127.0.0.1:9/v1"  # nothing listens on port 9
# The CPU server's first answer with log-probabilities can take longer than the production
# first-token timeout on a busy 2-core machine; a timeout here would test the machine.
PATIENT = {"first_token_timeout_s": 60.0, "total_timeout_s": 120.0}


def _router(
    small_url: str,
    large_url: str,
    *,
    min_confidence: float,
    small_says: str = CITED,
    probe_tokens: int = 6,
) -> RoutingGenerator:
    common: dict[str, object] = {"max_tokens": 64, "retries": 0, **PATIENT}
    small_body = {"structured_outputs": {"choice": [small_says]}}
    small = ModelSettings(base_url=small_url, name=REAL_MODEL, extra_body=small_body, **common)
    large = RoutingSettings(base_url=large_url, name=ADAPTER_MODEL, extra_body=PINNED, **common)
    return RoutingGenerator(
        VllmGenerator(small),
        VllmGenerator(large, route="large"),
        min_confidence=min_confidence,
        probe_tokens=probe_tokens,
    )


def _patient_environment() -> dict[str, str]:
    """PATIENT for both endpoints, as the app reads it from its environment."""
    return {
        f"SUPPORTBOT_{group}__{name.upper()}": str(value)
        for group in ("MODEL", "ROUTING")
        for name, value in PATIENT.items()
    }


def _answer(router: RoutingGenerator) -> tuple[str, GenerationReport]:
    async def scenario() -> tuple[str, GenerationReport]:
        report = GenerationReport()
        request = GenerationRequest("How long do I hold reset?", (), (), None)
        try:
            return "".join([piece async for piece in router.stream(request, report)]), report
        finally:
            await router.aclose()

    return asyncio.run(scenario())


def test_a_confident_small_model_answers_alone(real_model_server: VllmServer) -> None:
    text, report = _answer(_router(real_model_server.base_url, NOWHERE, min_confidence=0.0))
    assert text == CITED and report.model == REAL_MODEL
    assert report.routing is not None
    assert (report.routing.route, report.routing.reason) == ("small", "confident")
    assert report.routing.confidence is not None and 0 < report.routing.confidence <= 1
    assert set(report.usage) == {"small"}  # the larger endpoint was never asked
    assert report.usage["small"].prompt_tokens > 0 and report.usage["small"].completion_tokens > 6


def test_an_unsure_small_model_hands_the_question_to_the_larger_one(
    real_model_server: VllmServer,
) -> None:
    text, report = _answer(
        _router(real_model_server.base_url, real_model_server.base_url, min_confidence=1.0)
    )
    assert text == CITED and report.model == ADAPTER_MODEL  # written by the larger model
    assert report.routing is not None
    assert (report.routing.route, report.routing.reason) == ("large", "low_confidence")
    assert report.routing.confidence is not None and report.routing.confidence < 1.0
    small, large = report.usage["small"], report.usage["large"]
    # The small model's request was cut off after its judged opening.
    assert 6 <= small.completion_tokens < large.completion_tokens
    assert small.prompt_tokens > 0 and large.prompt_tokens > 0


def test_a_small_model_that_says_it_does_not_know_hands_over_however_sure_it_is(
    real_model_server: VllmServer,
) -> None:
    router = _router(
        real_model_server.base_url,
        real_model_server.base_url,
        min_confidence=0.0,
        small_says="I don't know which button that is [1].",
        probe_tokens=24,
    )
    text, report = _answer(router)
    assert text == CITED and report.model == ADAPTER_MODEL
    assert report.routing is not None
    assert (report.routing.route, report.routing.reason) == ("large", "abstained")


def test_a_larger_endpoint_that_is_down_leaves_the_answer_to_the_small_model(
    real_model_server: VllmServer,
) -> None:
    text, report = _answer(_router(real_model_server.base_url, NOWHERE, min_confidence=1.0))
    assert text == CITED and report.model == REAL_MODEL
    assert report.routing is not None
    assert (report.routing.route, report.routing.reason) == ("small", "large_unavailable")


def test_a_small_model_that_is_down_is_covered_by_the_larger_one(
    real_model_server: VllmServer,
) -> None:
    text, report = _answer(_router(NOWHERE, real_model_server.base_url, min_confidence=0.5))
    assert text == CITED and report.model == ADAPTER_MODEL
    assert report.routing is not None
    assert (report.routing.route, report.routing.reason) == ("large", "small_unavailable")
    assert report.routing.confidence is None


def test_the_served_app_records_each_decision_and_counts_tokens_by_route(
    real_model_server: VllmServer, tmp_path: Path
) -> None:
    data = write_access_point_corpus(tmp_path / "data", starter="Reset")
    home = tmp_path / "home"
    environment = {
        "SUPPORTBOT_MODEL__BASE_URL": real_model_server.base_url,
        "SUPPORTBOT_MODEL__NAME": REAL_MODEL,
        "SUPPORTBOT_MODEL__MAX_TOKENS": "64",
        "SUPPORTBOT_MODEL__CLASSIFY_INTENT": "false",
        "SUPPORTBOT_MODEL__EXTRA_BODY": json.dumps(PINNED),
        "SUPPORTBOT_ROUTING__BASE_URL": real_model_server.base_url,
        "SUPPORTBOT_ROUTING__NAME": ADAPTER_MODEL,
        "SUPPORTBOT_ROUTING__MAX_TOKENS": "64",
        "SUPPORTBOT_ROUTING__EXTRA_BODY": json.dumps(PINNED),
        "SUPPORTBOT_ROUTING__MIN_CONFIDENCE": "1.0",  # every answer goes to the larger model
        **_patient_environment(),
    }
    with serve(home, data, **environment) as base:

        async def chat() -> dict[str, object]:
            customer = ChatClient(base)
            await customer.login()
            await customer.connect()
            try:
                return await customer.ask("How long do I hold the reset button on the AP-1?")
            finally:
                await customer.close()

        reply = asyncio.run(chat())
        assert "Hold the reset button for ten seconds" in str(reply["output"])
        metrics = httpx.get(f"{base}/metrics", timeout=10).text

    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
    }
    decision = (("reason", "low_confidence"), ("route", "large"))
    assert samples[("supportbot_routing_decisions_total", decision)] == 1
    for route in ("small", "large"):
        assert samples[("supportbot_route_seconds_count", (("route", route),))] == 1
        for kind in ("prompt", "completion"):
            tokens = ("supportbot_route_tokens_total", (("kind", kind), ("route", route)))
            assert samples[tokens] > 0

    engine = make_engine(Settings(home=home, data_dir=data).resolved_database_url)
    with Session(engine) as session:
        records = session.query(RoutingRecord).all()
        assert [(r.message_id, r.route, r.reason) for r in records] == [
            (reply["id"], "large", "low_confidence")
        ]
        assert records[0].small_model == REAL_MODEL and records[0].large_model == ADAPTER_MODEL
        assert records[0].usage["large"]["completion_tokens"] > 0
    engine.dispose()


def test_eval_reports_the_share_the_larger_model_wrote(
    real_model_server: VllmServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    suite = write_reset_suite(tmp_path / "suite")
    for name, value in {
        "MODEL__BASE_URL": real_model_server.base_url,
        "MODEL__NAME": REAL_MODEL,
        "MODEL__CLASSIFY_INTENT": "false",
        "MODEL__EXTRA_BODY": json.dumps(PINNED),
        "ROUTING__BASE_URL": real_model_server.base_url,
        "ROUTING__NAME": ADAPTER_MODEL,
        "ROUTING__EXTRA_BODY": json.dumps(PINNED),
        "ROUTING__MIN_CONFIDENCE": "1.0",
    }.items():
        monkeypatch.setenv(f"SUPPORTBOT_{name}", value)
    for name, value in _patient_environment().items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    assert main(["eval", str(suite), "--generator", "vllm", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert metrics["routed_to_large_rate"] == 1.0 and metrics["citation_precision"] == 1.0
