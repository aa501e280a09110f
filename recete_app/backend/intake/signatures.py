"""Webhook signatures: HMAC-SHA256 of the raw body, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac


def hmac_sha256(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def valid_base64_signature(secrets: list[str], body: bytes, signature: str | None) -> bool:
    """Shopify and WooCommerce: base64 of the digest. Any of the candidate secrets may match."""
    if not signature:
        return False
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except ValueError:
        return False
    matches = [hmac.compare_digest(hmac_sha256(s, body), given) for s in secrets if s]
    return any(matches)


def valid_hex_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Meta (WhatsApp): `X-Hub-Signature-256: sha256=<hex digest>`."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac_sha256(secret, body).hex()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())
