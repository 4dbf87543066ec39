"""Which one the customer means, when the best passages answer different things.

"Which product?" (app/pipeline/decision.py) covers passages about different products. The same
doubt arises between documents: "what are the opening hours of the library?" over a corpus
with two libraries, "how long is the warranty?" over two warranties. It is read off the data,
never off chosen words:

- the contenders are the best passages of different documents (by title) that retrieval
  scored close to the best one (`ambiguity_ratio`, the same closeness as for products);
  tickets are no contenders: a past customer's case is no subject to choose;
- they are about different things: not all about one product (an administrator guide and a
  knowledge-base article on the same router answer the same customer), and no two of them
  share most of their content words (a page repeated under two titles is one answer);
- the conversation does not choose between them: each title has words of its own (not in
  the other titles), and none of those is in the question, the customer's earlier messages or
  the product the conversation is about.

The options are the titles, at most three, best first.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.ground.text import content_words
from app.pipeline.retrieval import RetrievedPassage

MAX_OPTIONS = 3
# Contenders whose texts share at least this share of their content words (Jaccard) say the
# same thing: the answer does not depend on which one is meant.
_SAME_TEXT_OVERLAP = 0.5
# How far down the ranking contenders are looked for.
_LOOK_DOWN = 5


def options_in_doubt(
    retrieved: list[RetrievedPassage], conversation: Iterable[str], ambiguity_ratio: float
) -> list[str]:
    """The titles to ask between ("which one do you mean?"), or [] when there is no doubt."""
    if not retrieved or retrieved[0].passage.doc_type == "ticket":
        return []  # the best answer is a past case, not one of several documents
    bar = ambiguity_ratio * retrieved[0].score
    best_of_title: dict[str, RetrievedPassage] = {}
    for r in retrieved[:_LOOK_DOWN]:
        title = r.passage.title.strip()
        if r.score < bar or not title or title in best_of_title or r.passage.doc_type == "ticket":
            continue
        best_of_title[title] = r
    contenders = list(best_of_title.items())[:MAX_OPTIONS]
    if len(contenders) < 2:
        return []
    if set.intersection(*(set(r.passage.products) for _, r in contenders)):
        return []  # one product is what all of them are about
    texts = [content_words(r.passage.text) for _, r in contenders]
    for i, first in enumerate(texts):
        for second in texts[i + 1 :]:
            if _jaccard(first, second) >= _SAME_TEXT_OVERLAP:
                return []
    said = frozenset().union(*(content_words(text) for text in conversation))
    titles = [content_words(title) for title, _ in contenders]
    for i, words in enumerate(titles):
        others = frozenset().union(*(t for j, t in enumerate(titles) if j != i))
        own = words - others
        if not own or own & said:
            return []  # a title nothing tells apart, or one the customer named
    return [title for title, _ in contenders]


def _jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    union = first | second
    return len(first & second) / len(union) if union else 1.0
