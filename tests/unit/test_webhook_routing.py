"""The webhook routing cache: fresh entries served, expired ones reloaded by one caller while
the others keep the stale route (no stampede on the database at expiry)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from recete_app.backend.intake import routing
from recete_app.backend.models import Integration


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    routing.forget_routes()
    yield
    routing.forget_routes()


def integration() -> Integration:
    return Integration(
        id=uuid.uuid4(), merchant_id=uuid.uuid4(), kind="shopify", external_id="a.myshopify.com"
    )


def test_a_fresh_route_is_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routing, "read_secrets", lambda _row: {})
    row, loads = integration(), []

    def load() -> Integration:
        loads.append(1)
        return row

    first = routing._cached(("shopify", "a"), load)
    second = routing._cached(("shopify", "a"), load)
    assert first == second and first is not None and first.integration_id == row.id
    assert len(loads) == 1


def test_an_expired_route_is_reloaded_by_one_caller_while_others_get_the_stale_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(routing, "read_secrets", lambda _row: {})
    clock = [1000.0]
    monkeypatch.setattr(routing, "_now", lambda: clock[0])
    old, new = integration(), integration()
    routing._cached(("shopify", "a"), lambda: old)
    clock[0] += routing.TTL_SECONDS + 1
    reloading, release = threading.Event(), threading.Event()

    def slow_load() -> Integration:
        reloading.set()
        release.wait(5)
        return new

    results: list[routing.Route | None] = []
    reloader = threading.Thread(
        target=lambda: results.append(routing._cached(("shopify", "a"), slow_load))
    )
    reloader.start()
    assert reloading.wait(5)

    def must_not_load() -> Integration:
        raise AssertionError("a second caller reloaded during the reload")

    stale = routing._cached(("shopify", "a"), must_not_load)
    release.set()
    reloader.join(5)
    assert stale is not None and stale.integration_id == old.id
    assert results[0] is not None and results[0].integration_id == new.id
