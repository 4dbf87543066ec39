"""Families of near-duplicate documents: the same manual written out for sibling models.

Why this test: two documents about unrelated things share almost none of their five-word runs
(shingles), while the manual of one model and that of its sibling share most of them once the
words that carry digits (model codes, port counts, wattages, versions) are masked; those
words are exactly where sibling manuals differ. So documents are compared by the Jaccard
similarity of their masked shingle sets, estimated by MinHash (64 hashes: about +-0.06), and
pairs at 0.5 or more join a family. 0.5 is the usual resemblance bar for near-duplicates
(Broder 1997): more than half of the runs of words are the same, which independently written
documents do not reach; it was not chosen on an evaluation suite. Candidate pairs come from
locality-sensitive hashing (32 bands of 2 hashes), so a large corpus is not compared pair by
pair.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

SIGNATURE_SIZE = 64
FAMILY_SIMILARITY = 0.5
_SHINGLE = 5
_MIN_SHINGLES = 20  # shorter texts give noisy estimates: no family for them
_BANDS = 32
_PRIME = 4294967311  # above 2**32, so (a * x + b) mod p permutes 32-bit hashes
_rng = np.random.RandomState(20261208)  # fixed: signatures must be stable across runs
_A = _rng.randint(1, 2**31, size=SIGNATURE_SIZE, dtype=np.int64).astype(np.uint64)
_B = _rng.randint(0, 2**31, size=SIGNATURE_SIZE, dtype=np.int64).astype(np.uint64)
_WORD = re.compile(r"\w+")


def signature(text: str) -> list[int] | None:
    """The MinHash signature of `text`'s masked shingles; None when it is too short."""
    words = ["0" if any(c.isdigit() for c in w) else w for w in _WORD.findall(text.lower())]
    shingles = {" ".join(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)}
    if len(shingles) < _MIN_SHINGLES:
        return None
    hashes = np.fromiter(
        (zlib.crc32(s.encode()) for s in shingles), dtype=np.uint64, count=len(shingles)
    )
    permuted = (hashes[:, None] * _A[None, :] + _B[None, :]) % _PRIME
    return [int(v) for v in permuted.min(axis=0)]


def similarity(first: Sequence[int], second: Sequence[int]) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(np.asarray(first) == np.asarray(second)))


def families(signatures: Mapping[str, Sequence[int]]) -> list[tuple[list[str], float]]:
    """Groups of two or more keys whose signatures are near-duplicates (transitively), each
    with the lowest similarity that joined it; largest group first."""
    rows = SIGNATURE_SIZE // _BANDS
    buckets: dict[tuple[int, tuple[int, ...]], list[str]] = defaultdict(list)
    for key, sig in signatures.items():
        for band in range(_BANDS):
            buckets[(band, tuple(sig[band * rows : (band + 1) * rows]))].append(key)
    parent = {key: key for key in signatures}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    weakest: dict[str, float] = {}
    checked: set[tuple[str, str]] = set()
    for members in buckets.values():
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                pair = (first, second) if first < second else (second, first)
                if pair in checked:
                    continue
                checked.add(pair)
                score = similarity(signatures[first], signatures[second])
                if score < FAMILY_SIMILARITY:
                    continue
                a, b = root(first), root(second)
                low = min(score, weakest.get(a, 1.0), weakest.get(b, 1.0))
                if a != b:
                    parent[b] = a
                weakest[a] = low
    groups: dict[str, list[str]] = defaultdict(list)
    for key in signatures:
        groups[root(key)].append(key)
    found = [(sorted(g), round(weakest.get(r, 1.0), 3)) for r, g in groups.items() if len(g) > 1]
    return sorted(found, key=lambda item: (-len(item[0]), item[0]))
