"""Password hashing: argon2id at the OWASP parameters, verification and rehash decisions."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from app.accounts.passwords import hash_password, needs_rehash, verify_password
from app.accounts.rules import password_problems


def test_hash_is_argon2id_with_the_owasp_parameters():
    stored = hash_password("correct horse battery")

    # the encoded string is $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<hash>
    _, variant, version, params, salt, digest = stored.split("$")
    settings = dict(pair.split("=") for pair in params.split(","))
    assert variant == "argon2id" and version == "v=19"
    assert int(settings["m"]) >= 19456
    assert int(settings["t"]) >= 2
    assert int(settings["p"]) == 1
    assert salt and digest
    decoded = extract_parameters(stored)
    assert decoded.type is Type.ID and decoded.memory_cost == 19456 and decoded.parallelism == 1


def test_same_password_hashes_differently_each_time():
    assert hash_password("correct horse battery") != hash_password("correct horse battery")


def test_verify_accepts_the_password_and_rejects_others():
    stored = hash_password("correct horse battery")

    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "Correct horse battery")
    assert not verify_password("not-a-hash", "correct horse battery")


def test_rehash_is_needed_only_for_other_parameters():
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID)

    assert needs_rehash(weaker.hash("correct horse battery"))
    assert not needs_rehash(hash_password("correct horse battery"))
    assert needs_rehash("garbage")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short1!", "at least 10"),
        ("password123", "too common"),
        ("QWERTYUIOP", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("abcdefghijkl", "too common"),
        ("9876543210", "too common"),
        ("x" * 257, "at most 256"),
    ],
)
def test_weak_passwords_are_refused(password, problem):
    problems = password_problems(password)

    assert len(problems) == 1 and problem in problems[0]


def test_password_equal_to_the_email_is_refused():
    assert password_problems("annabelle@example.com", email="Annabelle@example.com")


@pytest.mark.parametrize("password", ["correct horse battery", "Tr0ub4dor&3xx", "0123456789x"])
def test_reasonable_passwords_pass(password):
    assert password_problems(password, email="ann@example.com") == []
