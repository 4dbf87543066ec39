"""Test fakes for the answer pipeline's seams: scripted generator, in-memory index, fixed triage.

For unit tests only. They stand in for the parts that need a model server, an index on disk
or language models, so that every branch of the pipeline can be reached in milliseconds and
without I/O. The integration and vLLM tiers keep their real parts.

    QueuedGenerator     the generator protocol, answering from a queue of scripted replies:
                        text with [n] markers, text without, a failure before the first token
                        or in mid-stream
    InMemoryIndexReader the index reader protocol over a list of passages: dense cosine over
                        the embedder's vectors, keyword score by shared BM25 terms
    HashingEmbedder     a deterministic embedder: hashed bags of content words, so a query's
                        cosine with a passage grows with the words they share
    FakeTriager         a triage that answers what it was told (sentiment, complaint, intent)
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import numpy as np

from app.ground.embedding import Vectors
from app.ground.text import content_words
from app.index.models import Passage, SearchFilter
from app.index.protocols import Candidate
from app.index.sparse import SparseTerms, get_bm25
from app.pipeline.generators.base import GenerationReport, GenerationRequest, GeneratorUnavailable
from app.pipeline.triage import SentimentLabel, Triage
from app.pipeline.types import Intent, Route, Turn

# -- generator ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A reply streamed in chunks of `chunk` characters (small, so that markers get split
    across chunks the way a model's tokens split them)."""

    text: str
    chunk: int = 7


@dataclass(frozen=True)
class Failure:
    """The generator fails with `reason` after streaming `streamed` ("" fails before the first
    token, as a server that is down or a breaker that is open does)."""

    reason: str
    streamed: str = ""


Script = Reply | Failure


def reply(text: str) -> Reply:
    """A reply as the model writes it, [n] markers and all."""
    return Reply(text)


def uncited(text: str) -> Reply:
    """A reply without a single citation marker."""
    assert "[" not in text, "an uncited reply has no markers"
    return Reply(text)


def fails(reason: str = "connection refused") -> Failure:
    """A failure before the first token."""
    return Failure(reason)


def fails_mid_stream(streamed: str, reason: str = "read timeout") -> Failure:
    """A failure after `streamed` was already handed out."""
    return Failure(reason, streamed)


class QueuedGenerator:
    """The generator protocol, answering each `stream` call with the next queued script.

    Records every request it got. `intent` is what `classify_intent` answers (a `Failure`
    makes it raise). Each streamed chunk counts as one completion token under `route`, so
    usage reporting can be checked too.
    """

    def __init__(
        self,
        *scripts: Script,
        name: str = "fake-model",
        model: str | None = "fake-7b",
        intent: Route | Failure | None = None,
        route: str = "small",
    ) -> None:
        self.name = name
        self._model = model
        self._scripts: deque[Script] = deque(scripts)
        self._intent = intent
        self._route = route
        self.requests: list[GenerationRequest] = []
        self.intent_calls: list[str] = []
        self.closed = False

    def queue(self, *scripts: Script) -> None:
        self._scripts.extend(scripts)

    @property
    def pending(self) -> int:
        """Scripts not yet used."""
        return len(self._scripts)

    async def stream(
        self, request: GenerationRequest, report: GenerationReport | None = None
    ) -> AsyncIterator[str]:
        self.requests.append(request)
        if not self._scripts:
            raise AssertionError(f"{self.name}: stream called with no reply queued")
        script = self._scripts.popleft()
        text = script.text if isinstance(script, Reply) else script.streamed
        size = script.chunk if isinstance(script, Reply) else 7
        for start in range(0, len(text), size):
            if report is not None:
                report.route_usage(self._route).completion_tokens += 1
            yield text[start : start + size]
        if isinstance(script, Failure):
            raise GeneratorUnavailable(script.reason, streamed=bool(script.streamed))

    def current_model(self) -> str | None:
        return self._model

    async def classify_intent(self, text: str, history: tuple[Turn, ...]) -> Route | None:
        del history  # the scripted answer does not depend on it
        self.intent_calls.append(text)
        if isinstance(self._intent, Failure):
            raise GeneratorUnavailable(self._intent.reason)
        return self._intent

    async def aclose(self) -> None:
        self.closed = True


# -- embedding and index ------------------------------------------------------------------


class HashingEmbedder:
    """A deterministic embedder: each content word adds 1 to a hashed dimension, then the
    vector is scaled to unit length. Cosine similarity is then about shared words; texts that
    share none score 0."""

    def __init__(self, dimension: int = 1024) -> None:
        self.dimension = dimension

    def embed_documents(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> Vectors:
        vectors = np.stack([self.embed_query(t) for t in texts]) if texts else None
        if progress is not None:
            progress(len(texts))
        if vectors is None:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return vectors

    def embed_query(self, text: str) -> Vectors:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in content_words(text):
            vector[zlib.crc32(word.encode()) % self.dimension] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def forget_queries(self) -> None:
        return None  # nothing cached


class InMemoryIndexReader:
    """The index reader protocol over passages held in memory.

    Dense candidates: cosine between the query vector and each passage's vector (from the
    embedder it is given). Keyword candidates: the dot product of the query's BM25 terms with
    each passage's (the real in-process encoder, without the index's IDF), passages sharing no
    term left out. Filters keep passages about any of the products and of any of the doc types.
    """

    def __init__(self, passages: Sequence[Passage], embedder: HashingEmbedder) -> None:
        bm25 = get_bm25()
        self._passages = list(passages)
        self._dense = embedder.embed_documents([p.text for p in passages])
        self._sparse = [_as_dict(bm25.encode_document(p.text)) for p in passages]
        self.searches: list[SearchFilter | None] = []
        self.closed = False

    def search(
        self,
        dense: Vectors,
        sparse: SparseTerms,
        *,
        limit: int,
        search_filter: SearchFilter | None = None,
    ) -> tuple[list[Candidate], list[Candidate]]:
        self.searches.append(search_filter)
        query_terms = _as_dict(sparse)
        dense_hits: list[Candidate] = []
        keyword_hits: list[Candidate] = []
        for i, passage in enumerate(self._passages):
            if not _matches(passage, search_filter):
                continue
            payload = passage.to_payload()
            dense_hits.append(Candidate(passage.id, float(self._dense[i] @ dense), payload))
            overlap = sum(w * self._sparse[i].get(term, 0.0) for term, w in query_terms.items())
            if overlap > 0:
                keyword_hits.append(Candidate(passage.id, overlap, payload))
        return _best(dense_hits, limit), _best(keyword_hits, limit)

    def count(self) -> int:
        return len(self._passages)

    def refresh(self) -> bool:
        return False  # nothing is ever committed behind its back

    def close(self) -> None:
        self.closed = True


def _as_dict(terms: SparseTerms) -> dict[int, float]:
    return dict(zip(terms.indices, terms.values, strict=True))


def _matches(passage: Passage, search_filter: SearchFilter | None) -> bool:
    if search_filter is None:
        return True
    if search_filter.products is not None and not set(passage.products) & set(
        search_filter.products
    ):
        return False
    return search_filter.doc_types is None or passage.doc_type in search_filter.doc_types


def _best(hits: list[Candidate], limit: int) -> list[Candidate]:
    return sorted(hits, key=lambda c: (-c.score, c.id))[:limit]


# -- triage -------------------------------------------------------------------------------


class FakeTriager:
    """A triage that reads nothing: every turn gets the sentiment, complaint and intent it
    was told (no VADER lexicon, no spaCy model)."""

    def __init__(
        self,
        *,
        sentiment: float = 0.0,
        complaint: bool = False,
        intent: Intent = "faq",
        signals: tuple[str, ...] = (),
    ) -> None:
        label: SentimentLabel = (
            "negative" if sentiment <= -0.05 else "positive" if sentiment >= 0.05 else "neutral"
        )
        self.triage = Triage(
            sentiment_score=sentiment,
            sentiment_label=label,
            complaint=complaint,
            complaint_score=0.9 if complaint else 0.1,
            intent="complaint" if complaint and intent == "faq" else intent,
            entities=(),
            signals=signals,
        )
        self.calls: list[str] = []
        self.warmed = False

    def __call__(self, text: str, history: Sequence[Turn] = ()) -> Triage:
        del history  # the told triage does not depend on it
        self.calls.append(text)
        return self.triage

    def warm(self) -> None:
        self.warmed = True
