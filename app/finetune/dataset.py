"""`supportbot finetune dataset`: a chat-format SFT set from resolved tickets and KB articles.

Each example is what the model will see when it serves: the system prompt and the numbered
passages the app retrieves for the customer's question (`build_messages`, the very function
the vLLM generator calls), followed by a reference answer that cites those passages.

- Questions and answers come from the sources (app/finetune/pairs.py): a ticket's first
  customer words and its resolution; a KB article's title and its opening sentences. The
  finetune door reads the files with the ingest loaders and passes the documents in.
- Context: the passages the app's retriever returns for the question, from the live index.
  A ticket's own passages are left out: a new customer's question has no ticket yet, and a
  model trained to copy the ticket it is asked about learns nothing it can use.
- Citations: each answer sentence is matched to the retrieved passages by embedding
  similarity; a sentence no passage is like is dropped (no claim without a citation). A kept
  sentence must also pass the app's own support check (app/pipeline/support.py: its content
  words, numbers and model names are in the passage it cites), since the app withdraws any
  answer that fails it: a sentence that does is kept as written with its marker; one that
  does not (a ticket's resolution paraphrases, names a version the passages lack) is replaced
  by the passage's sentence most like it, copied and cited. When nothing is left, the
  reference answer is the app's "I don't know": the model should learn to abstain when the
  passages do not answer.
- Personal data (e-mails, phones, serials, order numbers, names) becomes placeholders.
- Near-duplicates (same question and answer in other words) are kept once.
- Train/validation split by a hash of the example id: stable across runs, so the validation
  set stays held out when the sources grow.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from app.finetune.pairs import (
    ExampleKind,
    SourceDocument,
    SourcePair,
    UnreadableSource,
    source_pairs,
)
from app.ground.embedding import Embedder
from app.ground.redaction import redact, scrub
from app.ground.text import estimate_tokens, split_sentences
from app.pipeline.answering import ABSTAIN_TEXT
from app.pipeline.generators.base import GenerationRequest
from app.pipeline.generators.vllm import build_messages
from app.pipeline.retrieval import ProductPreference, RetrievedPassage, Retriever
from app.pipeline.support import unsupported_claims

# A sentence is backed by a passage when their embeddings are at least this similar
# (MiniLM cosine; paraphrases of one fact score about 0.6-0.9, related topics 0.3-0.5).
SUPPORT_SIMILARITY = 0.5
# Two examples whose question+answer share this share of word trigrams are one example.
DUPLICATE_JACCARD = 0.8
# A passage sentence copied into a reference answer: long enough to say something, short
# enough to be a sentence and not a list or table the splitter left whole.
MIN_COPIED_WORDS = 4
MAX_COPIED_WORDS = 45
PLACEHOLDERS = ("[email]", "[phone]", "[serial]", "[order]", "[name]")


@dataclass(frozen=True)
class Example:
    id: str
    kind: ExampleKind
    messages: list[dict[str, str]]
    abstain: bool  # the reference answer is the app's "I don't know"
    passages: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "abstain": self.abstain,
            "passages": self.passages,
            "messages": self.messages,
        }


@dataclass
class DatasetStats:
    sources: Counter[str] = field(default_factory=Counter)  # pairs by kind
    skipped: list[str] = field(default_factory=list)  # why a ticket or article gave nothing
    duplicates: int = 0
    train: int = 0
    validation: int = 0
    abstain: int = 0
    citations: list[int] = field(default_factory=list)  # per answering example
    prompt_tokens: list[int] = field(default_factory=list)
    placeholders: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        tokens = self.prompt_tokens or [0]
        return {
            "pairs": dict(self.sources),
            "skipped": len(self.skipped),
            "skipped_reasons": self.skipped[:20],
            "near_duplicates_removed": self.duplicates,
            "train": self.train,
            "validation": self.validation,
            "abstain_examples": self.abstain,
            "mean_citations": round(statistics.fmean(self.citations), 2) if self.citations else 0,
            "prompt_tokens_p50": int(statistics.median(tokens)),
            "prompt_tokens_max": max(tokens),
            "placeholders": dict(self.placeholders),
        }


# --- examples ----------------------------------------------------------------------------------


class ExampleBuilder:
    """Turns pairs into chat examples with the app's own retrieval and prompt."""

    def __init__(
        self,
        retriever: Retriever,
        embedder: Embedder,
        *,
        passages: int,
        other_product_weight: float,
    ) -> None:
        self._retriever = retriever
        self._embedder = embedder
        self._passages = passages
        self._other_product_weight = other_product_weight

    def build(self, pair: SourcePair) -> Example:
        # Personal data goes before the prompt is built: names are looked for only in what
        # customers and tickets wrote (a manual names products and menus, not people, and the
        # name finder would take some of those for names); identifiers everywhere. The answer
        # is cited against the passages as the model will read them.
        context = [_without_personal_data(r) for r in self._context(pair)]
        answer = self._cited_answer(scrub(pair.answer), [r.passage.text for r in context])
        request = GenerationRequest(
            question=scrub(pair.question),
            history=(),
            passages=tuple(context),
            product=pair.product,
        )
        messages = build_messages(request)
        messages.append({"role": "assistant", "content": answer or ABSTAIN_TEXT})
        return Example(pair.id, pair.kind, messages, abstain=not answer, passages=len(context))

    def _context(self, pair: SourcePair) -> list[RetrievedPassage]:
        prefer = (
            ProductPreference(pair.product, other_product_weight=self._other_product_weight)
            if pair.product
            else None
        )
        found = self._retriever.search(pair.question, k=self._passages + 5, prefer=prefer)
        if pair.kind == "ticket":
            found = [
                r
                for r in found
                if not (r.passage.source == pair.source and r.passage.record_id == pair.record_id)
            ]
        return found[: self._passages]

    def _cited_answer(self, answer: str, passages: list[str]) -> str:
        """The answer's sentences that a passage backs, each citing its best passage; a
        sentence the support check would reject gives way to that passage's closest sentence."""
        sentences = split_sentences(answer)
        if not sentences or not passages:
            return ""
        vectors = np.asarray(self._embedder.embed_documents(sentences))
        similarity = vectors @ np.asarray(self._embedder.embed_documents(passages)).T
        kept: list[str] = []
        for sentence, vector, row in zip(sentences, vectors, similarity, strict=True):
            best = int(np.argmax(row))
            if row[best] < SUPPORT_SIMILARITY:
                continue
            cited = f"{sentence.rstrip()} [{best + 1}]"
            if unsupported_claims(cited, passages):
                cited = self._closest_sentence(vector, passages[best], best + 1)
            if cited and cited not in kept:
                kept.append(cited)
        return " ".join(kept)

    def _closest_sentence(self, vector: Any, passage: str, number: int) -> str:
        """The passage's sentence most like `vector`, cited as passage `number`; empty when
        none is a short, plain sentence that passes the support check (a table row split
        into a sentence, a heading)."""
        candidates = [
            s.strip()
            for s in split_sentences(passage)
            if MIN_COPIED_WORDS <= len(s.split()) <= MAX_COPIED_WORDS and "|" not in s
        ]
        if not candidates:
            return ""
        similarity = np.asarray(self._embedder.embed_documents(candidates)) @ vector
        best = int(np.argmax(similarity))
        cited = f"{candidates[best]} [{number}]"
        if similarity[best] < SUPPORT_SIMILARITY or unsupported_claims(
            cited, [""] * (number - 1) + [passage]
        ):
            return ""
        return cited


def remove_near_duplicates(examples: Sequence[Example]) -> tuple[list[Example], int]:
    """The examples with each near-duplicate group kept once (the first by id)."""
    kept: list[Example] = []
    kept_shingles: list[frozenset[str]] = []
    for example in sorted(examples, key=lambda e: e.id):
        shingles = _shingles(" ".join(m["content"] for m in example.messages[-2:]))
        if any(_jaccard(shingles, other) >= DUPLICATE_JACCARD for other in kept_shingles):
            continue
        kept.append(example)
        kept_shingles.append(shingles)
    return kept, len(examples) - len(kept)


def _shingles(text: str) -> frozenset[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return frozenset(" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2)))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def split(
    examples: Sequence[Example], validation_share: float
) -> tuple[list[Example], list[Example]]:
    """Train and validation by a stable hash of each id; at least one of each when possible."""
    ranked = sorted(examples, key=lambda e: hashlib.sha256(e.id.encode()).hexdigest())
    cut = round(len(ranked) * validation_share)
    if len(ranked) >= 2:
        cut = min(max(cut, 1), len(ranked) - 1)
    validation = set(id(e) for e in ranked[:cut])
    return (
        [e for e in examples if id(e) not in validation],
        [e for e in examples if id(e) in validation],
    )


def build_dataset(
    sources: Iterable[SourceDocument | UnreadableSource],
    out_dir: Path,
    *,
    retriever: Retriever,
    embedder: Embedder,
    passages: int,
    other_product_weight: float,
    validation_share: float = 0.15,
) -> DatasetStats:
    """Write train.jsonl, validation.jsonl and stats.json to `out_dir`; return the stats.

    `sources`: the documents read from the source folders, in order, and the files that could
    not be read (listed in the stats as skipped)."""
    stats = DatasetStats()
    builder = ExampleBuilder(
        retriever, embedder, passages=passages, other_product_weight=other_product_weight
    )
    pairs = source_pairs(sources, stats.skipped)
    stats.sources.update(pair.kind for pair in pairs)
    examples = [builder.build(pair) for pair in pairs]
    examples, stats.duplicates = remove_near_duplicates(examples)
    train, validation = split(examples, validation_share)
    stats.train, stats.validation = len(train), len(validation)
    for example in examples:
        stats.abstain += example.abstain
        answer = example.messages[-1]["content"]
        if not example.abstain:
            stats.citations.append(len(re.findall(r"\[\d+\]", answer)))
        prompt = " ".join(m["content"] for m in example.messages[:-1])
        stats.prompt_tokens.append(estimate_tokens(prompt))
        for message in example.messages[1:]:
            for placeholder in PLACEHOLDERS:
                stats.placeholders[placeholder] += message["content"].count(placeholder)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out_dir / "train.jsonl", (e.to_json() for e in train))
    _write_jsonl(out_dir / "validation.jsonl", (e.to_json() for e in validation))
    (out_dir / "stats.json").write_text(json.dumps(stats.to_json(), indent=2) + "\n")
    return stats


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _without_personal_data(retrieved: RetrievedPassage) -> RetrievedPassage:
    """The passage with identifiers replaced, and names too when a ticket wrote it."""
    passage = retrieved.passage
    hide = scrub if passage.doc_type == "ticket" else redact
    return replace(retrieved, passage=replace(passage, text=hide(passage.text)))
