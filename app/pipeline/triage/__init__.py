"""Per-turn triage of a customer message: sentiment, complaint, intent and entities.

The escalation decision and the agent console need to know, for every customer turn, how the
customer feels, whether they are complaining, what kind of help they want and which
identifiers (orders, serials, tickets, ...) they gave. This package answers that with no
framework and no trained classifier, so that it behaves the same on any support channel and
every decision can be explained (`Triage.signals`):

- sentiment (`sentiment.py`): VADER's compound score on the message with addressees and
  links removed, with a support-domain lexicon and sarcasm read as negative;
- complaint (`complaint.py`, its patterns in `complaint_patterns.py`): a score in logit space,
  the sum of weighted signals that hold for any business less the signs of a non-complaint,
  optionally plus the similarity to prototype sentences (`prototypes.py`);
- intent (`intent.py`): the customer's goal, in the one intent vocabulary;
- entities (`entities.py`): regular expressions for identifiers, spaCy's NER for dates and
  money, the product catalog for products;
- `triager.py` puts them together.

The data (`Triage`, `Entity`, `Intent`) live in `app.pipeline.types`, which the answer
carries. Nothing heavy happens at import: VADER and spaCy load on first use, once per process.
"""

from app.pipeline.triage.entities import extract_entities
from app.pipeline.triage.intent import asks_for_person
from app.pipeline.triage.prototypes import ComplaintPrototypes
from app.pipeline.triage.triager import Triager, triage
from app.pipeline.types import Entity, EntityKind, Intent, SentimentLabel, Triage

__all__ = [
    "ComplaintPrototypes",
    "Entity",
    "EntityKind",
    "Intent",
    "SentimentLabel",
    "Triage",
    "Triager",
    "asks_for_person",
    "extract_entities",
    "triage",
]
