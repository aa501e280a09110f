from __future__ import annotations

from recete_app.backend.security.passwords import (
    hash_password,
    password_problem,
    verify_password,
)


def test_password_hash_is_argon2id_and_verifies_only_the_right_password() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "m=65536" in hashed
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong horse battery")


def test_unknown_account_never_verifies() -> None:
    assert not verify_password(None, "recete-no-such-account")


def test_malformed_hash_does_not_verify() -> None:
    assert not verify_password("not-a-hash", "anything")


def test_weak_passwords_are_explained() -> None:
    assert password_problem("short") == "Password must be at least 10 characters."
    assert password_problem("aaaaaaaaaaaa") == "Password is too easy to guess."
    assert password_problem("password123") == "Password is too easy to guess."
    assert password_problem("me@store.com", "me@store.com") == (
        "Password must not be your email address."
    )
    assert password_problem("x" * 300) == "Password must be at most 256 characters."
    assert password_problem("correct horse battery") is None
