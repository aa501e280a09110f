"""Session tokens: HS256 JWTs (joserfc, the JOSE library of the Authlib project).

The token carries the session id (`jti`), account (`sub`) and merchant (`mid`); the session row
decides whether it is still valid, so logout revokes it before it expires.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry

from recete_app.backend.config import Settings
from recete_app.backend.security.keys import SESSION_SIGNING, current_key

ISSUER = "recete"
_claims = JWTClaimsRegistry(
    iss={"essential": True, "value": ISSUER},
    exp={"essential": True},
    sub={"essential": True},
    jti={"essential": True},
    mid={"essential": True},
)


class InvalidTokenError(ValueError):
    pass


@dataclass(frozen=True)
class SessionClaims:
    session_id: uuid.UUID
    account_id: uuid.UUID
    merchant_id: uuid.UUID
    expires_at: int


def _key(settings: Settings | None) -> OctKey:
    return OctKey.import_key(current_key(SESSION_SIGNING, settings).material)


def issue_token(claims: SessionClaims, settings: Settings | None = None) -> str:
    payload = {
        "iss": ISSUER,
        "iat": int(time.time()),
        "exp": claims.expires_at,
        "sub": str(claims.account_id),
        "jti": str(claims.session_id),
        "mid": str(claims.merchant_id),
    }
    return jwt.encode({"alg": "HS256"}, payload, _key(settings))


def read_token(token: str, settings: Settings | None = None) -> SessionClaims:
    try:
        decoded = jwt.decode(token, _key(settings), algorithms=["HS256"])
        _claims.validate(decoded.claims)
        return SessionClaims(
            session_id=uuid.UUID(decoded.claims["jti"]),
            account_id=uuid.UUID(decoded.claims["sub"]),
            merchant_id=uuid.UUID(decoded.claims["mid"]),
            expires_at=int(decoded.claims["exp"]),
        )
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise InvalidTokenError("invalid or expired session token") from exc
