"""The tenant directory: system jobs visit merchants one tenant scope at a time."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from sqlmodel import Session, col, select

from recete_app.backend.db import session_scope
from recete_app.backend.models import Merchant


def all_merchant_ids() -> list[uuid.UUID]:
    with session_scope(lookups={"tenant_directory": "on"}) as session:
        return list(session.exec(select(Merchant.id).order_by(col(Merchant.created_at))).all())


def for_each_merchant(work: Callable[[Session], int]) -> int:
    """Run `work` once per merchant, each in its own transaction; return the summed counts."""
    total = 0
    for merchant_id in all_merchant_ids():
        with session_scope(merchant_id) as session:
            total += work(session)
    return total


def ids_per_merchant(
    find: Callable[[Session], Iterable[uuid.UUID]],
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(merchant id, id) for every id `find` returns in each merchant's own transaction."""
    found: list[tuple[uuid.UUID, uuid.UUID]] = []
    for merchant_id in all_merchant_ids():
        with session_scope(merchant_id) as session:
            found.extend((merchant_id, item) for item in find(session))
    return found
