"""Plain-text helpers shared by ingest (chunking), answering (sentence extraction) and the
evaluations (ROUGE-L)."""

from __future__ import annotations

import re

_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
# A sentence ends at . ! ? (optionally closed by a quote or bracket) followed by space and a
# capital, digit or opening mark — but not after common abbreviations or single initials.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z0-9\"'(\[])")
_ABBREVIATIONS = frozenset(
    {
        "e.g.",
        "i.e.",
        "etc.",
        "vs.",
        "fig.",
        "no.",
        "approx.",
        "min.",
        "max.",
        "dr.",
        "mr.",
        "ms.",
        "inc.",
        "ltd.",
        "co.",
        "st.",
        "sec.",
        "ch.",
        "vol.",
        "p.",
        "pp.",
        "ver.",
        "v.",
    }
)


def estimate_tokens(text: str) -> int:
    """Roughly the word-piece count of `text` (words and punctuation, plus a margin for
    long or unusual words that the tokenizer splits; unbroken runs like base64 count by
    length)."""
    return max((len(_TOKEN_RE.findall(text)) * 115 + 99) // 100, len(text) // 8)


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences without breaking on abbreviations like "e.g."."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        candidate = text[start : match.start()].rstrip()
        words = candidate.lower().split()
        last_word = words[-1] if words else ""
        # "J. Smith" is an initial, but "120 W. The" ends a sentence with a unit.
        initial = re.fullmatch(r"[a-z]\.", last_word) and not (
            len(words) > 1 and words[-2][-1:].isdigit()
        )
        if last_word in _ABBREVIATIONS or initial:
            continue
        end = match.end()
        pieces.append(text[start:end].strip())
        start = end
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return [p for p in pieces if p]


_WORD_RE = re.compile(r"[a-z0-9][a-z0-9\-_.]*[a-z0-9]|[a-z0-9]")
# Words that carry no topic: matching on them would pick sentences at random.
_STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing don't down during each
    few for from further get got had has have having he her here hers him his how i if in into
    is it its itself just let me more most my myself no nor not now of off on once only or
    other our ours out over own same she should so some such than that the their theirs them
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yourself please need want
    know tell like still keep keeps thing things way work works working help hi hello thanks
    thank get gets getting use using used""".split()
)


def content_words(text: str) -> frozenset[str]:
    """Lower-cased words of `text` that say what it is about (stopwords removed).

    Model numbers keep their dashes and dots ("lr-400x", "2.4") so they match as one word.
    """
    return frozenset(content_word_list(text))


def content_word_list(text: str) -> list[str]:
    """The content words of `text` in the order written, each once (see `content_words`)."""
    return list(dict.fromkeys(w for w in _WORD_RE.findall(text.lower()) if w not in _STOPWORDS))


_ROUGE_TOKEN = re.compile(r"[a-z0-9]+")


def rouge_l_f1(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over lower-cased word tokens (longest common subsequence).

    The one measure of answer text both evaluations use: `supportbot eval` against a suite's
    reference answers and `supportbot finetune eval` against the held-out examples."""
    a = _ROUGE_TOKEN.findall(candidate.lower())
    b = _ROUGE_TOKEN.findall(reference.lower())
    if not a or not b:
        return 0.0
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j], current[-1]))
        previous = current
    lcs = previous[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)
