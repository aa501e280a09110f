"""Who is calling: a dashboard session (Bearer JWT) or an API key (X-Api-Key or Bearer gg_live_)."""

from __future__ import annotations

from fastapi import Request

from recete_app.backend.accounts.api_keys import authenticate_key
from recete_app.backend.accounts.sessions import Principal, authenticate_session
from recete_app.backend.errors import RateLimited, Unauthorized
from recete_app.backend.security.api_keys import looks_like_api_key
from recete_app.backend.security.rate_limits import Limit, RateLimiter


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def require_principal(request: Request) -> Principal:
    api_key = request.headers.get("x-api-key")
    token = bearer_token(request)
    if api_key:
        principal = authenticate_key(api_key.strip())
    elif token and looks_like_api_key(token):
        principal = authenticate_key(token)
    elif token:
        principal = authenticate_session(token)
    else:
        raise Unauthorized("Sign in, or send an API key in X-Api-Key.")
    limiter: RateLimiter = request.app.state.rate_limiter
    limits: dict[str, Limit] = request.app.state.rate_limits
    if principal.api_key_id is not None:
        _enforce(limiter, limits["api_key"], str(principal.api_key_id))
    _enforce(limiter, limits["merchant"], str(principal.merchant_id))
    request.state.principal = principal
    return principal


def _enforce(limiter: RateLimiter, limit: Limit, key: str) -> None:
    verdict = limiter.hit(limit, key)
    if not verdict.allowed:
        raise RateLimited(
            f"Rate limit of {limit.count} requests per {limit.window_seconds} s exceeded.",
            retry_after=verdict.retry_after,
        )
