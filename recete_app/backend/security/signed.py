"""Short-lived signed values (OAuth state): HS256 JWTs under a key derived for the purpose."""

from __future__ import annotations

import time
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry

from recete_app.backend.security.keys import current_key

_claims = JWTClaimsRegistry(exp={"essential": True})


class InvalidSignedValue(ValueError):
    pass


def sign(claims: dict[str, Any], purpose: bytes, ttl_seconds: int) -> str:
    key = OctKey.import_key(current_key(purpose).material)
    return jwt.encode({"alg": "HS256"}, {**claims, "exp": int(time.time()) + ttl_seconds}, key)


def verify(value: str, purpose: bytes) -> dict[str, Any]:
    key = OctKey.import_key(current_key(purpose).material)
    try:
        token = jwt.decode(value, key, algorithms=["HS256"])
        _claims.validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise InvalidSignedValue("invalid or expired") from exc
    return dict(token.claims)
