"""Grouping the questions the bot could not answer by meaning: one group, one article to write.

Greedy clustering on MiniLM sentence embeddings (unit vectors, so a dot product is the cosine):
each question, newest first, joins the group whose centroid is most similar if that similarity
reaches `SIMILARITY`, else starts a group. A few hundred questions take milliseconds, there is
no number of groups to choose, and a question never lands in a group it does not resemble, which
matters more here than an optimal partition. Without an embedder, questions are grouped by
their wording (case and spacing ignored), which still merges exact repeats.

`VectorCache` keeps the vectors of questions already embedded, so reloading the page or
switching the period embeds only the questions that are new since.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from app.db.unanswered import FailedQuestion
from app.ground.embedding import Embedder, Vectors

# MiniLM cosine: paraphrases of one question score ~0.75-0.9 ("Do you ship to Canada?" /
# "Can I get my order delivered to Canada?" 0.79), two questions about one product and topic
# ~0.6-0.7 (worth one article), unrelated support questions below 0.35.
SIMILARITY = 0.6
EXAMPLES = 3  # questions shown under each group besides the representative


@dataclass(frozen=True)
class QuestionGroup:
    """Questions that ask the same thing, the most typical one first."""

    representative: FailedQuestion
    questions: tuple[FailedQuestion, ...]  # newest first, the representative included

    @property
    def size(self) -> int:
        return len(self.questions)

    @property
    def last_asked(self) -> datetime:
        return max(q.asked_at for q in self.questions)

    @property
    def conversations(self) -> int:
        return len({q.conversation_id for q in self.questions})

    @property
    def abstained(self) -> int:
        return sum(q.abstained for q in self.questions)

    @property
    def thumbs_down(self) -> int:
        return sum(q.thumbs_down for q in self.questions)

    def examples(self, limit: int = EXAMPLES) -> list[FailedQuestion]:
        """Other wordings of the question, newest first, each wording once."""
        seen = {normalized(self.representative.text)}
        found = []
        for question in self.questions:
            key = normalized(question.text)
            if key not in seen:
                seen.add(key)
                found.append(question)
            if len(found) == limit:
                break
        return found


def normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def cluster(vectors: Vectors, *, threshold: float = SIMILARITY) -> list[list[int]]:
    """Greedy centroid clustering of unit vectors: lists of row indices, in input order."""
    members: list[list[int]] = []
    if len(vectors) == 0:
        return members
    sums = np.zeros((0, vectors.shape[1]), dtype=np.float32)  # one row per group
    for index, vector in enumerate(vectors):
        if members:
            centroids = sums / np.linalg.norm(sums, axis=1, keepdims=True)
            similarity = centroids @ vector
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold:
                members[best].append(index)
                sums[best] += vector
                continue
        members.append([index])
        sums = np.vstack([sums, vector[None, :]])
    return members


def group_questions(
    questions: Sequence[FailedQuestion], vectors: Vectors | None, *, threshold: float = SIMILARITY
) -> list[QuestionGroup]:
    """Groups by meaning (`vectors`, one per question) or, without vectors, by wording; the
    largest first, then the most recently asked."""
    if vectors is None:
        by_wording: dict[str, list[int]] = {}
        for index, question in enumerate(questions):
            by_wording.setdefault(normalized(question.text), []).append(index)
        clusters = list(by_wording.values())
    else:
        clusters = cluster(vectors, threshold=threshold)
    groups = []
    for indices in clusters:
        members = tuple(questions[i] for i in indices)
        representative = members[0]
        if vectors is not None and len(indices) > 2:
            # The member closest to the group's centroid reads most like the whole group.
            block = vectors[indices]
            centroid = block.sum(axis=0)
            representative = members[int(np.argmax(block @ centroid))]
        groups.append(QuestionGroup(representative=representative, questions=members))
    groups.sort(key=lambda g: (g.size, g.last_asked), reverse=True)
    return groups


class VectorCache:
    """Embeddings of texts already seen (least recently used dropped first); thread-safe, as
    pages are built in worker threads."""

    def __init__(self, max_entries: int = 5000) -> None:
        self.max_entries = max_entries
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> Vectors:
        """One unit vector per text; only texts not in the cache are embedded (in one batch)."""
        with self._lock:
            known = {text: self._vectors[text] for text in texts if text in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
        missing = [text for text in dict.fromkeys(texts) if text not in known]
        if missing:
            # Outside the lock: embedding takes a while, and another page may read meanwhile.
            fresh = embedder.embed_documents(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    known[text] = self._vectors[text] = vector
                while len(self._vectors) > self.max_entries:
                    self._vectors.popitem(last=False)
        if not texts:
            return np.zeros((0, embedder.dimension), dtype=np.float32)
        return np.stack([known[text] for text in texts]).astype(np.float32, copy=False)
