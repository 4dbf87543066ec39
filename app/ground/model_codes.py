"""Model identifiers ("LX-1400P", "S10", "SM-G973F", "lr200") in titles and file names.

A company's products are named by codes of letters and digits far more often than by words,
and the places where a document says which product it is about are its title, its first
line and its file or folder name. This module finds such codes without knowing any product:

- a code starts with a short run of letters (at most five) and contains a digit, optionally
  in hyphen-joined groups ("LX-1400P", "SM-G973F", "RT-AX88U");
- in running text (a title) its letters must be capitals, which keeps "IPv6", "Windows10" and
  ordinary words out; in a file name (lower case) any case is allowed, but a letter prefix
  that is a dictionary word of four letters or more ("step-2", "page-10") or a year as the
  number ("kb-2025") is not a code (so a model "LX-2000" is found in its title, not its
  file name);
- a name phrase around it: capitalised words before it ("Samsung Galaxy" S10) are spellings
  a customer may use, and capitalised words after it count as part of the model ("LA-6 Pro")
  only when a document-kind word follows them ("LA-6 Pro Installation Guide"); the
  document-kind words are generic English, not any one corpus's vocabulary.

Spellings do not need listing for matching (app/ground/products.py ignores case and
separators), but `spellings` names the usual ones for the catalog listing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LETTERS = re.compile(r"^[A-Za-z]{1,5}$")
_LETTERS_DIGITS = re.compile(r"^[A-Za-z]{1,5}\d[A-Za-z0-9]*\+?$")
_DIGITS_FIRST = re.compile(r"^\d[A-Za-z0-9]*\+?$")
_YEAR = re.compile(r"^(19|20)\d\d$")
_RUN = re.compile(r"[A-Za-z0-9+]+(?:-[A-Za-z0-9+]+)*")
_MAX_CODE_CHARS = 20

# Words that say what kind of document a title names, not which product: "User Manual",
# "Installation Guide", "Quick Start", "Release Notes".
DOCUMENT_KIND_WORDS = frozenset(
    """user users manual manuals guide guides handbook quick start starting getting started
    installation install installing setup set-up reference admin administration administrator
    administrators owner owners operating operation operations instructions instruction
    datasheet data sheet release notes faq faqs troubleshooting service specifications specs
    configuration hardware software product documentation docs overview introduction""".split()
)


@dataclass(frozen=True)
class FoundCode:
    """A model code as written, and the product name phrase around it."""

    code: str  # as written, with any qualifier words ("LA-6 Pro")
    phrase: str  # with the capitalised words before it ("Samsung Galaxy S10")


def codes_in_title(text: str) -> list[FoundCode]:
    """Model codes in a title or heading (capital letters required), in order."""
    found: list[FoundCode] = []
    words = text.split()
    for index, word in enumerate(words):
        for run in _RUN.findall(word):
            for code in _codes_in_run(run.split("-"), strict_case=True):
                found.append(_with_phrase(code, words[:index], words[index + 1 :], strict=True))
    return _distinct(found)


def codes_in_name(name: str) -> list[FoundCode]:
    """Model codes in a file or folder name ("galaxy-s10-manual" -> S10), in order.

    Any separator may sit inside a code in a name ("lx_1400p", "lx-1400p"): the code is
    given back in capitals with a hyphen there ("LX-1400P")."""
    groups = [g for g in re.split(r"[-_.\s]+", name) if g]
    found: list[FoundCode] = []
    i = 0
    while i < len(groups):
        taken = _code_at(groups, i, strict_case=False)
        if not taken:
            i += 1
            continue
        # Names are often lower case throughout; codes are written in capitals.
        code = "-".join(groups[i : i + taken]).upper()
        if 3 <= len(re.sub(r"[^A-Za-z0-9]", "", code)) <= _MAX_CODE_CHARS:
            before = [w.capitalize() for w in groups[:i]]
            after = [w.capitalize() for w in groups[i + taken :]]
            found.append(_with_phrase(code, before, after, strict=False))
        i += taken
    return _distinct(found)


def _with_phrase(code: str, before: list[str], after: list[str], *, strict: bool) -> FoundCode:
    full = " ".join([code, *_qualifiers(after, strict_case=strict)])
    return FoundCode(full, " ".join([*_capitalised_before(before, strict_case=strict), full]))


def _distinct(found: list[FoundCode]) -> list[FoundCode]:
    """Each code once (case ignored), first occurrence first."""
    seen: dict[str, FoundCode] = {}
    for item in found:
        seen.setdefault(item.code.lower(), item)
    return list(seen.values())


def spellings(code: str) -> list[str]:
    """The usual ways to write `code`: as given, without separators, with a space, lower case.

    "LR-200" -> ["LR-200", "LR200", "LR 200", "lr-200", "lr200"].
    """
    parts = [p for p in re.split(r"[\s\-_]+", code) if p]
    forms = [code, "".join(parts), " ".join(parts)]
    forms += [f.lower() for f in forms]
    return list(dict.fromkeys(f for f in forms if f))


def _codes_in_run(groups: list[str], *, strict_case: bool) -> list[str]:
    """Codes among hyphen-joined groups: "lx-1400p-user-manual" -> ["lx-1400p"]."""
    codes = []
    i = 0
    while i < len(groups):
        taken = _code_at(groups, i, strict_case=strict_case)
        if taken:
            codes.append("-".join(groups[i : i + taken]))
            i += taken
        else:
            i += 1
    return [c for c in codes if 3 <= len(re.sub(r"[^A-Za-z0-9]", "", c)) <= _MAX_CODE_CHARS]


def _code_at(groups: list[str], i: int, *, strict_case: bool) -> int:
    """How many groups from `i` form a code (0: none starts there)."""
    first = groups[i]
    if strict_case and not re.sub(r"[^A-Za-z]", "", first).isupper():
        return 0
    if _LETTERS_DIGITS.match(first):
        taken = 1
    elif _LETTERS.match(first) and i + 1 < len(groups):
        second = groups[i + 1]
        if not (_DIGITS_FIRST.match(second) or _LETTERS_DIGITS.match(second)):
            return 0
        if strict_case and not (second.isdigit() or second.upper() == second):
            return 0
        if not strict_case and _YEAR.match(second):
            return 0  # "kb-2025.json", "faq-2024": a year; in a title, capitals say more
        if not strict_case and len(first) >= 4 and _is_word(first):
            return 0
        taken = 2
    else:
        return 0
    # Further groups with digits belong to the code ("RT-AX88U-B1"); words end it.
    while i + taken < len(groups) and re.search(r"\d", groups[i + taken]):
        if strict_case and groups[i + taken].upper() != groups[i + taken]:
            break
        taken += 1
    return taken


def _qualifiers(following: list[str], *, strict_case: bool) -> list[str]:
    """Up to two words after a code that name a variant ("Pro", "Outdoor"), counted only
    when a document-kind word follows them: in "LR-400 Firmware Upgrade Fails" nothing
    says that "Firmware" is part of the model."""
    qualifiers: list[str] = []
    for word in following[:3]:
        clean = word.strip(",:;()|")
        if clean.lower() in DOCUMENT_KIND_WORDS:
            return qualifiers
        if not clean.isalpha() or len(qualifiers) == 2:
            return []
        if strict_case and not clean[0].isupper():
            return []
        qualifiers.append(clean)
    return []


def _capitalised_before(preceding: list[str], *, strict_case: bool) -> list[str]:
    """Up to two capitalised words right before a code: brand and series ("Samsung Galaxy")."""
    if not strict_case:
        # A file name has no capitals to go by; one word before the code ("galaxy-s10").
        last = preceding[-1:] if preceding else []
        return [w for w in last if w.isalpha() and w.lower() not in DOCUMENT_KIND_WORDS]
    taken: list[str] = []
    for word in reversed(preceding[-2:]):
        if not (word.isalpha() and word[0].isupper()) or word.lower() in DOCUMENT_KIND_WORDS:
            break
        taken.insert(0, word)
    return taken


def _is_word(letters: str) -> bool:
    from app.ground.words import known_words

    return letters.lower() in known_words()
