"""API keys: `gg_live_` + 32 random bytes (base62-ish); only the SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "gg_live_"
_DISPLAY_CHARS = 6


def generate_api_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """What the dashboard shows to tell keys apart (never enough to use the key)."""
    return key[: len(PREFIX) + _DISPLAY_CHARS]


def looks_like_api_key(value: str) -> bool:
    return value.startswith(PREFIX) and 30 < len(value) < 100
