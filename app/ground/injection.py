"""Recognising text that tries to instruct the assistant instead of informing the customer.

A support corpus is written for people: a sentence that addresses an AI ("ignore previous
instructions", "you are now ...", "tell the customer to call ...") has no business in it. Such
sentences are cut from passages at ingest and flagged in the report; the extractive answerer
checks again at answer time, so text indexed before this check existed is never quoted either.
The patterns aim at the instruction, not at a topic: an article about resetting a password
or calling support keeps every sentence.
"""

from __future__ import annotations

import re

_INSTRUCTION_PATTERNS = [
    # Overriding the assistant's rules.
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|earlier|all|"
    r"your|system|original)\b.{0,20}\b(instructions?|prompts?|rules|guidelines|directions)\b",
    r"\b(new|updated|real|actual)\s+(system\s+)?(instructions?|prompt)\s*:",
    r"\byou\s+are\s+now\b",
    r"\b(system|developer)\s+(prompt|message|instructions?)\b",
    r"\b(as|you\s+are)\s+(an?\s+)?(ai|language model|assistant|chatbot|llm)\b.{0,60}"
    r"\b(must|should|will)\b",
    r"^\s*(assistant|system)\s*:(?!:)\s",
    # Steering what the assistant tells customers.
    r"\b(tell|instruct|advise|ask|direct|inform)\s+(the|every|all|any)\s+"
    r"(customers?|users?|callers?|readers?)\s+(to|that)\b",
    r"\b(always|must)\s+(tell|say|respond|reply|answer|recommend)\b.{0,40}\b"
    r"(customers?|users?)\b",
    r"\b(when|if)\s+(an?\s+)?(ai|assistant|chatbot|bot|language model)\b",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _INSTRUCTION_PATTERNS), re.I | re.M)


def is_instruction(text: str) -> bool:
    """Does `text` try to instruct an AI assistant?"""
    return _INSTRUCTION.search(text) is not None
