"""The model server as the fine-tuning loop sees it: list, load and ask models.

vLLM loads a LoRA adapter at run time (POST /v1/load_lora_adapter) when it was started with
VLLM_ALLOW_RUNTIME_LORA_UPDATING=True and --enable-lora; the adapter is then served under its
name next to the ones already loaded, so requests in flight to the old name are untouched.
"""

from __future__ import annotations

from typing import Any

import httpx

from app.ground.config import ModelSettings
from app.ground.errors import AppError


class ModelServer:
    def __init__(self, settings: ModelSettings, *, timeout_s: float = 120.0) -> None:
        if not settings.base_url:
            raise AppError("config", "no model server configured (SUPPORTBOT_MODEL__BASE_URL)")
        key = settings.api_key.get_secret_value()
        self._client = httpx.Client(
            base_url=settings.base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {key}"} if key else {},
            timeout=timeout_s,
        )

    def close(self) -> None:
        self._client.close()

    def models(self) -> list[str]:
        """The names the server answers to (base model and loaded adapters)."""
        data = self._request("GET", "/models").json()
        return [str(m["id"]) for m in data.get("data", [])]

    def load_adapter(self, name: str, path: str) -> None:
        """Serve the adapter at `path` (as the server sees it) as model `name`; a no-op when a
        model of that name is already served."""
        if name in self.models():
            return
        self._request("POST", "/load_lora_adapter", json={"lora_name": name, "lora_path": path})
        if name not in self.models():
            raise AppError("model", f"the model server did not list {name!r} after loading it")

    def chat(self, model: str, messages: list[dict[str, str]], *, max_tokens: int) -> str:
        """One greedy answer (temperature 0: evaluations must be repeatable)."""
        body = {"model": model, "messages": messages, "max_tokens": max_tokens, "temperature": 0}
        data = self._request("POST", "/chat/completions", json=body).json()
        return str(data["choices"][0]["message"]["content"] or "")

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise AppError(
                "model", f"model server unreachable ({type(exc).__name__}: {exc})"
            ) from exc
        if response.status_code >= 400:
            hint = ""
            if path == "/load_lora_adapter" and response.status_code in (404, 405):
                hint = " (start vLLM with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True and --enable-lora)"
            raise AppError(
                "model",
                f"model server refused {method} {path}: HTTP {response.status_code} "
                f"{response.text[:300]}{hint}",
            )
        return response
