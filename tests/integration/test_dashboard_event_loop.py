"""The dashboard's database work runs off the event loop, which serves every open tab: a page's
load queries in a worker thread, and a background watch queries without holding the state lock
(inside `async with self` the tab's other events wait)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import reflex as rx
import sqlalchemy as sa
from sqlalchemy import event

from recete_app.backend.accounts.sessions import Principal, authenticate_session, log_in
from recete_app.state import (
    conversations,
    customers,
    integrations,
    journeys,
    order_imports,
    products,
    scrape_jobs,
    sends_in_doubt,
    simulator,
)
from recete_app.state.auth import AuthState
from tests.integration.dashboard_fixtures import run_handler, signed_in_page
from tests.integration.journey_fixtures import new_merchant

EMAIL = "owner@dashboard-event-loop.com"
PAGES = [
    (conversations, conversations.ConversationsState),
    (customers, customers.CustomersState),
    (integrations, integrations.IntegrationsState),
    (journeys, journeys.JourneysState),
    (products, products.ProductsState),
    (sends_in_doubt, sends_in_doubt.SendsInDoubtState),
    (simulator, simulator.SimulatorState),
]
WATCHES = [
    (order_imports, order_imports.OrderImportState),
    (scrape_jobs, scrape_jobs.ScrapeJobState),
]


@pytest.fixture()
def person() -> Principal:
    new_merchant(EMAIL)
    return authenticate_session(log_in(EMAIL, "correct horse battery").token)


@pytest.fixture()
def queries() -> Iterator[list[threading.Thread]]:
    """The thread of every statement any engine runs while the test does."""
    threads: list[threading.Thread] = []

    def record(*_: Any) -> None:
        threads.append(threading.current_thread())

    event.listen(sa.Engine, "before_cursor_execute", record)
    yield threads
    event.remove(sa.Engine, "before_cursor_execute", record)


@pytest.mark.parametrize(("module", "page"), PAGES, ids=lambda p: getattr(p, "__name__", ""))
def test_a_page_load_reads_the_database_in_a_worker_thread(
    monkeypatch: pytest.MonkeyPatch,
    person: Principal,
    queries: list[threading.Thread],
    module: ModuleType,
    page: type[rx.State],
) -> None:
    state = signed_in_page(monkeypatch, module, page, person)
    run_handler(page.load, state)  # type: ignore[attr-defined]
    assert queries and threading.main_thread() not in queries


def test_the_session_check_of_every_page_looks_up_in_a_worker_thread(
    person: Principal, queries: list[threading.Thread]
) -> None:
    auth = AuthState(_reflex_internal_init=True)  # type: ignore[call-arg]
    auth.token = log_in(EMAIL, "correct horse battery").token
    queries.clear()  # the login above ran here, on purpose
    assert run_handler(AuthState.require_session, auth) is None
    assert auth.signed_in and queries and threading.main_thread() not in queries


@pytest.mark.parametrize(("module", "state_class"), WATCHES, ids=lambda p: p.__name__)
def test_a_watch_reads_outside_the_state_lock_and_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
    person: Principal,
    queries: list[threading.Thread],
    module: ModuleType,
    state_class: type[rx.State],
) -> None:
    """A bare state's `async with self` does nothing: here it stands for the lock, and a query
    made while it is held is one the tab's other events would wait for."""
    held: list[bool] = [False]
    while_held: list[threading.Thread] = []

    async def enter(self: rx.State) -> rx.State:
        held[0] = True
        return self

    async def leave(self: rx.State, *_: object) -> None:
        held[0] = False

    def record(*_: Any) -> None:
        if held[0]:
            while_held.append(threading.current_thread())

    async def token(_state: object) -> str:
        return "the browser's token"

    async def principal(_token: str) -> Principal:
        return person

    monkeypatch.setattr(state_class, "__aenter__", enter)
    monkeypatch.setattr(state_class, "__aexit__", leave)
    monkeypatch.setattr(module, "session_token", token)
    monkeypatch.setattr(module, "principal_of", principal)
    monkeypatch.setattr(module, "POLL_SECONDS", 0.0)
    state = state_class(_reflex_internal_init=True)  # type: ignore[call-arg]
    event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        run_handler(state_class.watch, state)  # type: ignore[attr-defined]
    finally:
        event.remove(sa.Engine, "before_cursor_execute", record)
    assert queries and threading.main_thread() not in queries
    assert while_held == []
    assert state.watching is False  # type: ignore[attr-defined]
