"""What answers say, on the real model: SmolLM2-135M-Instruct served by vLLM on the CPU.

The base model neither cites nor stays inside its passages (docs/BENCHMARKS.md, "Model tier:
SmolLM2-135M-Instruct"): these tests pin what the app makes of real model text. The customer
never sees an uncited model answer, nor a cited one that says what its passage does not; they
get the cited extractive answer with a notice saying why. A question no passage answers is
not answered with the model's invention. An instruction planted in a passage never reaches the
model. `supportbot eval --generator vllm` scores the answers the app would show.

Greedy decoding and short answers (max_tokens 48-64; ~18 tokens/s on 2 cores) keep them
repeatable and quick. Fine-tuning that teaches the model to cite gets its kept answers tested
with the tuned adapter.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from app.doors.cli import main
from app.ground.config import ModelSettings, Settings, get_settings
from app.ground.embedding import SentenceTransformerEmbedder
from app.pipeline.answering import Restart, TextDelta
from app.pipeline.generation import UNCITED_NOTICE, UNSUPPORTED_NOTICE
from app.pipeline.generators.base import GenerationRequest
from app.pipeline.generators.vllm import VllmGenerator, build_messages
from tests.vllm_tier.answering import answer_pipeline, collect
from tests.vllm_tier.server import REAL_MODEL, VllmServer
from tests.vllm_tier.suites import write_reset_suite

# One sentence in the model's own words that must end by citing passage 1: structured output
# fixes the marker's place and a length that fits max_tokens, not a word of the text.
ENDS_CITING_1 = {"structured_outputs": {"regex": r"[A-Z][^\[\]\n]{8,120} \[1\]\."}}


def _model(server: VllmServer, **overrides: object) -> ModelSettings:
    values: dict[str, object] = {
        "base_url": server.base_url,
        "name": REAL_MODEL,
        "max_tokens": 48,
        "temperature": 0.0,
        "classify_intent": False,
        # The first request after the start waits for vLLM's warm-up on a busy 2-core machine.
        "first_token_timeout_s": 60.0,
        "total_timeout_s": 120.0,
    }
    values.update(overrides)
    return ModelSettings.model_validate(values)


def _ask(
    server: VllmServer,
    indexed: tuple[Settings, Path],
    embedder: SentenceTransformerEmbedder,
    question: str,
    **model: object,
) -> tuple[list[object], str]:
    """The answer's events, and the model's own text (what streamed before a withdrawal)."""
    generator = VllmGenerator(_model(server, **model))
    try:
        with answer_pipeline(*indexed, embedder, generator) as pipeline:
            events, answer = asyncio.run(collect(pipeline, question))
    finally:
        asyncio.run(generator.aclose())
    restart = next((i for i, e in enumerate(events) if isinstance(e, Restart)), len(events))
    written = "".join(e.text for e in events[:restart] if isinstance(e, TextDelta))
    return [*events, answer], written


def test_the_real_models_uncited_answer_is_withdrawn_for_a_cited_extractive_one(
    real_model_server: VllmServer,
    indexed: tuple[Settings, Path],
    embedder: SentenceTransformerEmbedder,
) -> None:
    events, written = _ask(
        real_model_server, indexed, embedder, "How long do I hold the reset button?"
    )
    answer = events[-1]
    # The model wrote real text (it streamed to the customer while it was written)...
    assert len(written.split()) >= 5 and any(isinstance(e, Restart) for e in events)
    # ...citing nothing, so it was withdrawn and the passage answered, cited.
    assert answer.generator == "extractive" and answer.notice == UNCITED_NOTICE
    assert "10 seconds" in answer.text and answer.citations
    assert all(f"[{c.marker}]" in answer.text for c in answer.citations)
    assert answer.citations[0].source.endswith("reset.md")


def test_a_real_answer_that_cites_but_says_what_its_passage_does_not_is_withdrawn(
    real_model_server: VllmServer,
    indexed: tuple[Settings, Path],
    embedder: SentenceTransformerEmbedder,
) -> None:
    # The base model explains E-17 from what it knows of error codes, not from the passage
    # (which says the configuration file is damaged); made to cite, it cites passage 1.
    events, written = _ask(
        real_model_server,
        indexed,
        embedder,
        "What does error E-17 mean on my AP-1?",
        extra_body=ENDS_CITING_1,
        max_tokens=64,
    )
    answer = events[-1]
    assert written.rstrip().endswith("[1].")  # cited, in the model's own words...
    assert (
        answer.generator == "extractive" and answer.notice == UNSUPPORTED_NOTICE
    )  # ...unsupported
    assert "configuration file is damaged" in answer.text and answer.citations
    assert written.strip() not in answer.text


def test_a_question_no_passage_answers_gets_no_invented_answer(
    real_model_server: VllmServer,
    indexed: tuple[Settings, Path],
    embedder: SentenceTransformerEmbedder,
) -> None:
    # Asked anyway, the base model invents OSPF steps: the app abstains before asking it.
    events, written = _ask(
        real_model_server, indexed, embedder, "How do I configure OSPF area 0 on my router?"
    )
    answer = events[-1]
    assert answer.kind == "abstain" and not answer.citations
    assert "bring in a person" in answer.text
    assert not answer.usage and not answer.generator  # the model was never asked


def test_an_instruction_planted_in_a_passage_reaches_neither_the_model_nor_the_answer(
    real_model_server: VllmServer,
    indexed: tuple[Settings, Path],
    embedder: SentenceTransformerEmbedder,
) -> None:
    events, written = _ask(real_model_server, indexed, embedder, "How long do refunds take?")
    answer = events[-1]
    assert "555-0100" not in written and "555-0100" not in answer.text
    request = GenerationRequest(
        question="refunds", history=(), passages=answer.retrieved, product=None
    )
    prompt = "\n".join(m["content"] for m in build_messages(request))
    assert "555-0100" not in prompt and "Refunds are paid within 14 days" in prompt


def test_eval_scores_the_answers_the_app_shows_with_the_real_model(
    real_model_server: VllmServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    suite = write_reset_suite(tmp_path / "suite")
    assert main(["eval", str(suite), "--generator", "vllm"]) == 2  # no server configured
    assert "SUPPORTBOT_MODEL__BASE_URL" in capsys.readouterr().err

    for name, value in {
        "BASE_URL": real_model_server.base_url,
        "NAME": REAL_MODEL,
        "MAX_TOKENS": "48",
        "TEMPERATURE": "0",
        "CLASSIFY_INTENT": "false",
        "FIRST_TOKEN_TIMEOUT_S": "60",
    }.items():
        monkeypatch.setenv(f"SUPPORTBOT_MODEL__{name}", value)
    get_settings.cache_clear()
    assert main(["eval", str(suite), "--generator", "vllm", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert metrics["generator"] == "vllm" and metrics["questions"] == 1
    # The base model cites nothing, so the answer shown came from the fallback: cited, right.
    assert metrics["citation_precision"] == 1.0 and metrics["abstain_rate"] == 0.0
