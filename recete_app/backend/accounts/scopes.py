"""What an API key may do. A signed-in person may do everything; a key only what it was given."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from recete_app.backend.errors import InvalidInput

# Send order events to the generic order API (POST /webhooks/commerce/api): what an
# integration needs, so it is what a new key gets unless asked otherwise.
ORDERS_WRITE = "orders:write"
# The REST API (/api/*) as well; it includes every other scope. Managing keys is not part of
# it: a leaked key must not be able to mint a longer-lived one or lock its owner out.
ADMIN = "admin"

Scope = Literal["orders:write", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)
DEFAULT_SCOPES = (ORDERS_WRITE,)


def normalize_scopes(requested: Iterable[str] | None) -> list[str]:
    """The distinct requested scopes in SCOPES order; nothing requested means the default."""
    if isinstance(requested, str):  # one scope, not its characters
        requested = [requested]
    wanted = {scope.strip() for scope in requested or ()}
    if not wanted:
        return list(DEFAULT_SCOPES)
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise InvalidInput(
            f"Unknown scope(s): {', '.join(unknown)}. Known scopes: {', '.join(SCOPES)}.",
            details=[{"field": "scopes", "message": "unknown scope"}],
        )
    return [scope for scope in SCOPES if scope in wanted]


def grants(held: Iterable[str], needed: str) -> bool:
    scopes = set(held)
    return needed in scopes or ADMIN in scopes
