"""Does the evidence mention the specific things the question asks about?

Similarity alone cannot tell "How do I configure OSPF on the LR-400?" from a question the
manual answers: the passages about the LR-400's routing are close in meaning either way. But
a question that hinges on a technical term (OSPF, SNMPv3, 802.1X, a model number such as
LR-900, an error code such as E-17) can only be answered by a passage that names it. When
none of the retrieved passages does, the honest answer is "I don't know".

Capitals alone do not make a term: "URGENT", "HELP" and "ASAP" are the customer's tone, and a
question shouted in capitals asks the same as it would in lower case. A word in capitals is a
term only when it is not ordinary English (app/ground/lexicon.py): BGP and MTBF are, ASAP is
not; and in a message typed all in capitals, capitals mark nothing at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.ground.lexicon import is_ordinary_word
from app.ground.products import ProductCatalog
from app.pipeline.retrieval import RetrievedPassage

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-/]*[A-Za-z0-9]")
_NUMBER = re.compile(r"^[\d.,/\-]+$")


def technical_terms(question: str, catalog: ProductCatalog) -> list[str]:
    """Terms in `question` that a passage must name to answer it.

    A term has a digit mixed with letters (SNMPv3, 802.1X, E-17, LS-48P), mixes cases the way
    only names do (MACsec, PoE, QoS), or is in capitals and not an ordinary word (BGP, MTBF;
    not URGENT or ASAP) in a message that is not all capitals. Plain numbers and known product
    names are left out (the product is handled by retrieval).
    """
    tokens = _TOKEN.findall(question)
    # A message typed entirely in capitals says nothing with them: only digits mark a term.
    words = [t for t in tokens if t.isalpha()]
    shouted = len(words) >= 3 and not any(c.islower() for c in question)
    terms = []
    for token in tokens:
        if _NUMBER.match(token) or catalog.canonical(token) is not None:
            continue
        has_digit = any(c.isdigit() for c in token)
        has_letter = any(c.isalpha() for c in token)
        upper = sum(c.isupper() for c in token)
        lower = sum(c.islower() for c in token)
        if has_digit and has_letter:
            terms.append(token)
        elif lower and upper >= 2 and upper >= lower:
            terms.append(token)  # a name's own spelling: nobody shouts "PoE"
        elif not lower and upper >= 2 and not shouted and not is_ordinary_word(token):
            terms.append(token)
    return terms


def missing_terms(
    question: str, passages: Sequence[RetrievedPassage], catalog: ProductCatalog
) -> list[str]:
    """Technical terms of `question` that none of `passages` mentions."""
    evidence = " ".join(
        " ".join((r.passage.title, *r.passage.heading_path, r.passage.text)) for r in passages
    ).lower()
    return [t for t in technical_terms(question, catalog) if not _mentioned(t, evidence)]


def _mentioned(term: str, evidence: str) -> bool:
    # Separators are optional ("E17" names E-17) and a plural "s" may follow ("VLANs").
    stem = term.lower().rstrip("s") if len(term) > 3 else term.lower()
    chars = [c for c in stem if c.isalnum()]
    pattern = r"[\s\-_./]*".join(re.escape(c) for c in chars)
    return re.search(rf"(?<![a-z0-9]){pattern}", evidence) is not None
