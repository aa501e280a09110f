"""Which merchant and secrets a webhook belongs to, cached briefly: receivers look this up on
every request, and a connection changes rarely (a changed secret is picked up within TTL)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from recete_app.backend.integrations import (
    find_integration,
    find_integration_by_id,
    read_secrets,
)
from recete_app.backend.models import Integration, IntegrationStatus

TTL_SECONDS = 30.0
_now = time.monotonic  # the cache's clock (tests move it)


@dataclass(frozen=True)
class Route:
    integration_id: uuid.UUID
    merchant_id: uuid.UUID
    secrets: dict[str, str]
    status: str = IntegrationStatus.ACTIVE  # IntegrationStatus


_cache: dict[tuple[str, str], tuple[float, Route | None]] = {}
_lock = threading.Lock()


def _cached(key: tuple[str, str], load: Callable[[], Integration | None]) -> Route | None:
    """A fresh entry is served as is. An expired one is served too while the one thread that
    noticed first reloads it: otherwise every in-flight webhook of a busy shop would hit the
    database at the same moment the entry expires (measured: a latency spike every TTL)."""
    now = _now()
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            if now - hit[0] < TTL_SECONDS:
                return hit[1]
            _cache[key] = (now, hit[1])  # the others keep using it until the reload is done
    row = load()
    route = Route(row.id, row.merchant_id, read_secrets(row), row.status) if row else None
    with _lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[key] = (now, route)
    return route


def route_by_store(kind: str, external_id: str) -> Route | None:
    return _cached((kind, external_id), lambda: find_integration(kind, external_id))


def route_by_id(kind: str, integration_id: uuid.UUID) -> Route | None:
    return _cached(
        (kind, str(integration_id)), lambda: find_integration_by_id(kind, integration_id)
    )


def forget_routes() -> None:
    with _lock:
        _cache.clear()
