"""Who is calling: a dashboard session (Bearer JWT) or an API key (X-Api-Key or Bearer gg_live_),
and whether they may. Routes depend on one of `require_admin`, `require_orders_write` or
`require_person` (the `*Caller` aliases) rather than checking scopes themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from recete_app.backend.accounts.api_keys import authenticate_key
from recete_app.backend.accounts.scopes import ADMIN, ORDERS_WRITE
from recete_app.backend.accounts.sessions import Principal, authenticate_session
from recete_app.backend.errors import Forbidden, RateLimited, Unauthorized
from recete_app.backend.http import openapi
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


# Parameters of each dependency below so that the OpenAPI document lists both ways in.
SessionDeclared = Annotated[object, Depends(openapi.SESSION)]
KeyDeclared = Annotated[object, Depends(openapi.API_KEY)]


def require_scope(scope: str) -> Callable[..., Principal]:
    def dependency(request: Request, _session: SessionDeclared, _key: KeyDeclared) -> Principal:
        principal = require_principal(request)
        if not principal.allows(scope):
            raise Forbidden(
                f"This API key lacks the {scope} scope.",
                code="insufficient_scope",
            )
        return principal

    dependency.__name__ = f"require_scope_{scope.replace(':', '_')}"
    return dependency


def require_person(request: Request, _session: SessionDeclared, _key: KeyDeclared) -> Principal:
    """A signed-in person only: an API key, whatever its scopes, cannot manage API keys."""
    principal = require_principal(request)
    if not principal.is_person:
        raise Forbidden(
            "Only a signed-in person can do this, not an API key.", code="needs_signed_in_person"
        )
    return principal


require_admin = require_scope(ADMIN)
require_orders_write = require_scope(ORDERS_WRITE)
AdminCaller = Annotated[Principal, Depends(require_admin)]
OrdersWriteCaller = Annotated[Principal, Depends(require_orders_write)]
PersonCaller = Annotated[Principal, Depends(require_person)]
