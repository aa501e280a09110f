"""Keys derived from the root secret (HKDF-SHA256), one per purpose, each with a short id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from recete_app.backend.config import Settings, get_settings

FIELD_ENCRYPTION = b"recete/field-encryption/v1"
BLIND_INDEX = b"recete/blind-index/v1"
SESSION_SIGNING = b"recete/session-signing/v1"
OAUTH_STATE = b"recete/oauth-state/v1"


@dataclass(frozen=True)
class DerivedKey:
    key_id: str
    material: bytes


@lru_cache(maxsize=64)
def derive(root_secret: str, purpose: bytes) -> DerivedKey:
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        root_secret.encode()
    )
    # The id names the key without revealing it: a hash of the derived key, truncated.
    key_id = hashlib.sha256(b"key-id:" + material).hexdigest()[:8]
    return DerivedKey(key_id=key_id, material=material)


def current_key(purpose: bytes, settings: Settings | None = None) -> DerivedKey:
    return derive((settings or get_settings()).root_secret(), purpose)


def keyring(purpose: bytes, settings: Settings | None = None) -> dict[str, DerivedKey]:
    """The current key and every previous one, by id (previous keys only decrypt)."""
    settings = settings or get_settings()
    secrets = [settings.root_secret(), *settings.previous_secrets()]
    ring: dict[str, DerivedKey] = {}
    for secret in secrets:
        key = derive(secret, purpose)
        ring.setdefault(key.key_id, key)
    return ring
