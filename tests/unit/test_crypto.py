from __future__ import annotations

import pytest
from pydantic import SecretStr

from recete_app.backend.config import Settings
from recete_app.backend.security.crypto import (
    DecryptionError,
    blind_index,
    decrypt_field,
    digit_grams,
    encrypt_field,
    key_id_of,
    needs_reencryption,
    phone_grams,
)

OLD = "old-root-secret-" + "a" * 40
NEW = "new-root-secret-" + "b" * 40


def settings(secret: str, previous: str = "") -> Settings:
    return Settings(secret_key=SecretStr(secret), previous_secret_keys=SecretStr(previous))


def test_encrypted_value_round_trips_and_hides_the_plaintext() -> None:
    s = settings(NEW)
    value = encrypt_field("+905321234567", "customers.phone", s)
    assert "905321234567" not in value
    assert value.startswith("v1.")
    assert decrypt_field(value, "customers.phone", s) == "+905321234567"


def test_same_plaintext_encrypts_differently_each_time() -> None:
    s = settings(NEW)
    assert encrypt_field("x", "ctx", s) != encrypt_field("x", "ctx", s)


def test_value_moved_to_another_column_does_not_decrypt() -> None:
    s = settings(NEW)
    value = encrypt_field("secret", "integrations.secrets", s)
    with pytest.raises(DecryptionError, match="tampered or wrong context"):
        decrypt_field(value, "customers.phone", s)


def test_tampered_ciphertext_is_rejected() -> None:
    s = settings(NEW)
    value = encrypt_field("hello", "ctx", s)
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    with pytest.raises(DecryptionError):
        decrypt_field(flipped, "ctx", s)


def test_garbage_is_not_an_encrypted_value() -> None:
    with pytest.raises(DecryptionError, match="not an encrypted field value"):
        decrypt_field("plain text", "ctx", settings(NEW))


def test_old_values_decrypt_after_rotation_and_are_flagged_for_reencryption() -> None:
    old_value = encrypt_field("hello", "ctx", settings(OLD))
    rotated = settings(NEW, previous=OLD)
    assert decrypt_field(old_value, "ctx", rotated) == "hello"
    assert needs_reencryption(old_value, rotated)
    new_value = encrypt_field("hello", "ctx", rotated)
    assert not needs_reencryption(new_value, rotated)
    assert key_id_of(new_value) != key_id_of(old_value)


def test_value_under_a_forgotten_key_names_the_key() -> None:
    old_value = encrypt_field("hello", "ctx", settings(OLD))
    with pytest.raises(DecryptionError, match=f"unknown key {key_id_of(old_value)}"):
        decrypt_field(old_value, "ctx", settings(NEW))


def test_blind_index_matches_equal_phones_only_and_depends_on_the_secret() -> None:
    s = settings(NEW)
    assert blind_index("+905321234567", s) == blind_index("+905321234567", s)
    assert blind_index("+905321234567", s) != blind_index("+905321234568", s)
    assert blind_index("+905321234567", s) != blind_index("+905321234567", settings(OLD))
    assert len(blind_index("+905321234567", s)) == 64


def test_the_grams_of_a_part_of_a_number_are_among_the_phones_grams() -> None:
    s = settings(NEW)
    grams = phone_grams("+905321234567", s)
    assert set(digit_grams("4567", s)) <= set(grams)
    assert set(digit_grams("5321234", s)) <= set(grams)
    assert grams == sorted(set(grams)) and all(len(gram) == 3 for gram in grams)
    assert len(grams) <= len("905321234567") - 3  # one per run of four digits, at most


def test_digit_grams_are_shared_by_runs_and_depend_on_the_secret() -> None:
    s = settings(NEW)
    every_run = [f"{n:04d}" for n in range(10_000)]
    buckets = {gram for run in every_run for gram in digit_grams(run, s)}
    assert len(buckets) <= 4096  # 10,000 runs share 12-bit grams
    assert digit_grams("4567", s) != digit_grams("4567", settings(OLD))
    assert digit_grams("123", s) == []  # too short to have a run
