"""AES-256-GCM field encryption, the phone blind index and the phone's digit grams.

A value is stored as `v1.<key id>.<base64url(nonce || ciphertext+tag)>`. The key id travels with
the value so that keys can rotate: old values decrypt with the previous key until
`recete keys rotate` re-encrypts them. A `context` (e.g. "customers.phone") is bound as
associated data, so a ciphertext copied into another column does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recete_app.backend.config import Settings
from recete_app.backend.security.keys import (
    BLIND_INDEX,
    FIELD_ENCRYPTION,
    current_key,
    keyring,
)

VERSION = "v1"
NONCE_BYTES = 12
GRAM_DIGITS = 4
# A gram keeps 12 bits of its HMAC: 4,096 values for the 10,000 runs of 4 digits, so runs share
# grams (2.4 to a gram on average) and equal grams say less about two phones than equal runs
# would. The search decrypts the few candidates the grams leave to confirm them.
GRAM_HEX = 3


class DecryptionError(ValueError):
    """The value is malformed, was encrypted with an unknown key, or was tampered with."""


def encrypt_field(plaintext: str, context: str, settings: Settings | None = None) -> str:
    key = current_key(FIELD_ENCRYPTION, settings)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key.material).encrypt(nonce, plaintext.encode(), context.encode())
    token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{VERSION}.{key.key_id}.{token}"


def decrypt_field(value: str, context: str, settings: Settings | None = None) -> str:
    _version, key_id, token = _split(value)
    key = keyring(FIELD_ENCRYPTION, settings).get(key_id)
    if key is None:
        raise DecryptionError(f"value was encrypted with unknown key {key_id}")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    try:
        plain = AESGCM(key.material).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except InvalidTag as exc:
        raise DecryptionError("value failed authentication (tampered or wrong context)") from exc
    return plain.decode()


def decrypt_if_readable(value: str | None, context: str) -> str | None:
    """The plain value, or None when there is none or it no longer decrypts (its key was
    retired): a customer whose phone cannot be read must still be listed, exported and erased."""
    if not value:
        return None
    try:
        return decrypt_field(value, context)
    except DecryptionError:
        return None


def key_id_of(value: str) -> str:
    return _split(value)[1]


def needs_reencryption(value: str, settings: Settings | None = None) -> bool:
    return key_id_of(value) != current_key(FIELD_ENCRYPTION, settings).key_id


def _split(value: str) -> tuple[str, str, str]:
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != VERSION or not parts[1] or not parts[2]:
        raise DecryptionError("not an encrypted field value")
    return parts[0], parts[1], parts[2]


def blind_index(e164_phone: str, settings: Settings | None = None) -> str:
    """HMAC-SHA256 of the E.164 phone: equal phones match, the index reveals nothing else."""
    key = current_key(BLIND_INDEX, settings)
    return hmac.new(key.material, e164_phone.encode(), hashlib.sha256).hexdigest()


def email_index(email: str, settings: Settings | None = None) -> str:
    """The blind index of an email (case and surrounding spaces ignored); prefixed so that it
    can never equal a phone's."""
    return blind_index("email:" + email.strip().lower(), settings)


def digit_grams(digits: str, settings: Settings | None = None) -> list[str]:
    """Truncated HMACs of every run of GRAM_DIGITS digits: a customer whose phone has all the
    grams of a searched part of a number may have that part ("4567", "532 123"); one who lacks
    one cannot. Sorted and without repeats, as stored in `customers.phone_grams`."""
    key = current_key(BLIND_INDEX, settings)
    runs = {digits[start : start + GRAM_DIGITS] for start in range(len(digits) - GRAM_DIGITS + 1)}
    return sorted(
        {
            hmac.new(key.material, b"digits:" + run.encode(), hashlib.sha256).hexdigest()[:GRAM_HEX]
            for run in runs
        }
    )


def phone_grams(e164_phone: str, settings: Settings | None = None) -> list[str]:
    return digit_grams(e164_phone.lstrip("+"), settings)
