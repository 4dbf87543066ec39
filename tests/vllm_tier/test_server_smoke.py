"""Smoke tests of the real vLLM server itself: the protocol features the app relies on.

Plumbing, on the tiny random-weight model (it starts in seconds): its text is noise, so these
tests assert the protocol (model list, SSE stream framing, constrained output, the LoRA
adapter being applied), never wording. The real model's answers: test_real_model_answers.py.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.vllm_tier.server import VllmServer

MESSAGES = [{"role": "user", "content": "My router keeps dropping the connection. Why?"}]


def _client() -> httpx.Client:
    return httpx.Client(trust_env=False, timeout=60.0)


def _chat(server: VllmServer, body: dict[str, Any]) -> dict[str, Any]:
    with _client() as client:
        response = client.post(f"{server.base_url}/chat/completions", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_models_lists_base_model_and_lora_adapter(vllm_server: VllmServer) -> None:
    with _client() as client:
        response = client.get(f"{vllm_server.base_url}/models")
    assert response.status_code == 200, response.text
    models = {card["id"]: card for card in response.json()["data"]}
    assert {vllm_server.model, vllm_server.adapter} <= set(models)
    assert models[vllm_server.adapter]["parent"] == vllm_server.model


def test_streaming_chat_completion_sends_sse_deltas_then_done(vllm_server: VllmServer) -> None:
    body = {
        "model": vllm_server.model,
        "messages": MESSAGES,
        "stream": True,
        "max_tokens": 12,
        "temperature": 0,
        "ignore_eos": True,  # random weights: never let an early EOS make the stream empty
    }
    payloads: list[str] = []
    with _client() as client:
        with client.stream("POST", f"{vllm_server.base_url}/chat/completions", json=body) as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            for line in resp.iter_lines():
                if line:
                    assert line.startswith("data: "), line
                    payloads.append(line.removeprefix("data: "))

    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(payload) for payload in payloads[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert all(chunk["model"] == vllm_server.model for chunk in chunks)
    deltas = [chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks]
    assert sum(1 for delta in deltas if delta) >= 1
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_structured_output_choice_returns_exactly_one_choice(vllm_server: VllmServer) -> None:
    choices = ["question", "complaint"]
    data = _chat(
        vllm_server,
        {
            "model": vllm_server.model,
            "messages": MESSAGES,
            "max_tokens": 16,
            "temperature": 1.0,
            "n": 4,  # several samples: the constraint must hold for each, not by luck
            "structured_outputs": {"choice": choices},
        },
    )
    answers = [choice["message"]["content"] for choice in data["choices"]]
    assert len(answers) == 4
    assert all(answer in choices for answer in answers), answers


def test_lora_adapter_answers_and_changes_the_output(vllm_server: VllmServer) -> None:
    def first_tokens(model: str) -> tuple[str, list[tuple[str, float]]]:
        data = _chat(
            vllm_server,
            {
                "model": model,
                "messages": MESSAGES,
                "max_tokens": 8,
                "temperature": 0,
                "ignore_eos": True,
                "logprobs": True,
            },
        )
        assert data["model"] == model
        assert data["usage"]["completion_tokens"] == 8
        choice = data["choices"][0]
        tokens = [(item["token"], item["logprob"]) for item in choice["logprobs"]["content"]]
        return choice["message"]["content"], tokens

    adapter_text, adapter_tokens = first_tokens(vllm_server.adapter)
    base_text, base_tokens = first_tokens(vllm_server.model)
    assert adapter_text
    assert len(adapter_tokens) == 8
    # Same prompt, greedy decoding: only the adapter's weights can make the tokens differ.
    assert [token for token, _ in adapter_tokens] != [token for token, _ in base_tokens]
    assert adapter_text != base_text
