"""Console password hashing: scrypt, salted, self-describing, constant-time compare."""

from __future__ import annotations

import base64

import pytest

from app.console import passwords
from app.console.passwords import dummy_hash, hash_password, needs_rehash, verify_password


def test_hash_verifies_the_right_password_only() -> None:
    stored = hash_password("correct horse battery")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert not verify_password("", stored)


def test_hash_is_self_describing_and_salted() -> None:
    first = hash_password("same password")
    second = hash_password("same password")
    assert first != second  # a fresh salt each time
    scheme, n, r, p, salt, digest = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(digest)) == 32
    assert "same password" not in first


def test_unicode_passwords() -> None:
    stored = hash_password("pässwörd ✓ 密码")
    assert verify_password("pässwörd ✓ 密码", stored)
    assert not verify_password("passwort ✓ 密码", stored)


def test_malformed_hashes_never_match_and_need_rehash() -> None:
    good = hash_password("a password!")
    for bad in [
        "",
        "plaintext",
        "bcrypt$2b$12$abc",
        good.replace("scrypt", "scrypT"),
        "scrypt$16384$8$1$!!!$AAAA",
        "scrypt$3$8$1$" + good.split("$", 4)[4],  # n not a power of two
        "scrypt$" + str(2**30) + "$8$1$" + good.split("$", 4)[4],  # absurd memory
    ]:
        assert not verify_password("a password!", bad), bad
        assert needs_rehash(bad), bad


def test_needs_rehash_when_parameters_change() -> None:
    stored = hash_password("a password!")
    assert not needs_rehash(stored)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "N", 2**12)
        old = hash_password("a password!")
    assert old.split("$")[1] == str(2**12)
    assert verify_password("a password!", old)  # old parameters still verify
    assert needs_rehash(old)


def test_dummy_hash_is_stable_and_matches_nothing_obvious() -> None:
    assert dummy_hash() == dummy_hash()
    assert not verify_password("", dummy_hash())
    assert not needs_rehash(dummy_hash())
