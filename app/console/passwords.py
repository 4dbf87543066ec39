"""Password hashing for console logins: scrypt from the standard library.

scrypt is memory-hard (each guess costs 16 MiB at n=2**14, r=8), which is what makes a leaked
table expensive to crack on GPUs, and it needs no third-party wheel. The stored string names
its own parameters, "scrypt$n$r$p$salt$hash" (salt and hash in base64), so the cost can be
raised later: `needs_rehash` tells the login to re-hash with the current parameters.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets

N = 2**14
R = 8
P = 1
SALT_BYTES = 16
HASH_BYTES = 32
_PREFIX = "scrypt"
# Enough for the largest n*r we accept (128 * n * r bytes) plus headroom.
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=128 * n * r * p + 2**20,
        dklen=length,
    )


def hash_password(password: str) -> str:
    """A self-describing scrypt hash of `password` with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, N, R, P, HASH_BYTES)
    return f"{_PREFIX}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != _PREFIX:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return None
    # Refuse absurd parameters rather than let a corrupted row exhaust memory.
    if not (2 <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P):
        return None
    if not salt or not 16 <= len(digest) <= 64:
        return None
    return n, r, p, salt, digest


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored`; a malformed hash never matches."""
    parsed = _parse(stored)
    if parsed is None:
        return False
    n, r, p, salt, digest = parsed
    candidate = _derive(password, salt, n, r, p, len(digest))
    return hmac.compare_digest(candidate, digest)


def needs_rehash(stored: str) -> bool:
    """Whether `stored` was made with other parameters than today's (re-hash at next login)."""
    parsed = _parse(stored)
    if parsed is None:
        return True
    n, r, p, salt, digest = parsed
    return (n, r, p, len(salt), len(digest)) != (N, R, P, SALT_BYTES, HASH_BYTES)


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so that an unknown user takes
    as long to refuse as a wrong password (no user enumeration by timing)."""
    return hash_password(secrets.token_urlsafe(16))
