"""Sentiment of a customer message: VADER's compound score, tuned for support channels.

VADER's compound score on the message with addressees and links removed (`clean_text`), with
a support-domain lexicon (`SUPPORT_LEXICON`). VADER loads on first use, once per process.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

from app.ground.errors import AppError
from app.pipeline.types import SentimentLabel

# VADER's own cut-offs for a neutral compound score.
NEUTRAL_BAND = 0.05

# VADER was built for social media in general. Support messages differ in two ways:
# 1. the words of asking for help are the channel's vocabulary, not affect: "please help",
#    "customer care", "credit card", "I'd like to", "looks like", "pretty" as an intensifier;
# 2. the words of a service failure carry no affect in VADER but plenty in a support channel
#    ("my order was delayed", "overcharged").
SUPPORT_LEXICON: dict[str, float] = {
    # 1. the words of asking (VADER: help 1.7, please 1.3, support 1.7, care 2.2, credit 1.6,
    #    like 1.5, pretty 2.2, ok 1.2, yes 1.7, free 2.3 as in "toll-free", kind 2.4 as in
    #    "what kind of service")
    **dict.fromkeys(
        ("help", "helps", "please", "support", "care", "credit", "like", "pretty", "ok"), 0.0
    ),
    **dict.fromkeys(("okay", "yes", "free", "kind"), 0.0),
    "joke": -1.0,  # "this is a joke" is derision in a support channel (VADER: +1.2)
    # 2. failures (VADER has delay -1.3, cancelled -1.0; the rest are missing or milder)
    "delays": -1.3,
    "delayed": -1.3,
    "canceled": -1.0,
    "overcharged": -2.0,
    "outage": -1.4,
    "unhelpful": -1.8,
}

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(?<![\w.])@\w+")
_STRAIGHT_QUOTES = str.maketrans("\u2019\u2018\u201c\u201d", "''\"\"")


def clean_text(text: str) -> str:
    """The customer's words: entities decoded, quotes straightened, addressees and links
    removed (an account name like @united is not sentiment)."""
    text = html.unescape(text)
    text = text.translate(_STRAIGHT_QUOTES)
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    return re.sub(r"[ \t]+", " ", text).strip()


@lru_cache(maxsize=1)
def _vader() -> Any:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as exc:  # pragma: no cover - a dependency
        raise AppError("config", "sentiment needs the vadersentiment package") from exc
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(SUPPORT_LEXICON)
    return analyzer


def compound_score(clean: str) -> float:
    """VADER's compound score (-1..1) of a message already passed through `clean_text`."""
    return float(_vader().polarity_scores(clean)["compound"])


def sentiment_label(score: float) -> SentimentLabel:
    """Negative, neutral or positive, by VADER's own cut-offs."""
    if score >= NEUTRAL_BAND:
        return "positive"
    if score <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"
