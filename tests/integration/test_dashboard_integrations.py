"""The Integrations page's handlers against the real database: connecting a store goes through
the same action as the CLI, keys are created and revoked through the same actions as the REST
API, and the page's database work runs off the event loop."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from recete_app.backend import audit, queueing
from recete_app.backend.accounts.api_keys import authenticate_key
from recete_app.backend.accounts.sessions import Principal, authenticate_session, log_in
from recete_app.state import integrations
from recete_app.state.integrations import IntegrationsState
from tests.integration.dashboard_fixtures import run_handler, signed_in_page
from tests.integration.journey_fixtures import new_merchant

EMAIL = "owner@dashboard-integrations.com"
WOO = {"url": "https://shop.example.com", "webhook_secret": "wc-secret"}


@pytest.fixture()
def person() -> Principal:
    new_merchant(EMAIL)
    return authenticate_session(log_in(EMAIL, "correct horse battery").token)


@pytest.fixture()
def page(monkeypatch: pytest.MonkeyPatch, person: Principal) -> IntegrationsState:
    """The page as a signed-in owner sees it (the session lookup is the only thing skipped)."""

    return signed_in_page(monkeypatch, integrations, IntegrationsState, person)


def test_connecting_woocommerce_with_rest_keys_queues_its_catalogue_import(
    page: IntegrationsState, person: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[dict[str, str]] = []
    monkeypatch.setitem(queueing._senders, "import_catalogue", lambda **job: queued.append(job))
    form = {**WOO, "consumer_key": "ck_1", "consumer_secret": "cs_1"}
    run_handler(IntegrationsState.connect_woocommerce, page, form)
    assert page.error == ""
    assert page.notice == (
        "Connected https://shop.example.com. Importing its products in the background."
    )
    (card,) = page.cards
    assert queued == [{"merchant_id": str(person.merchant_id), "integration_id": card.id}]


def test_a_consumer_key_without_its_secret_is_refused_on_the_page(
    page: IntegrationsState,
) -> None:
    run_handler(IntegrationsState.connect_woocommerce, page, {**WOO, "consumer_key": "ck_1"})
    assert page.error == "Give both the REST consumer key and the consumer secret, or neither."
    assert page.cards == []


def test_a_created_key_is_shown_once_and_revoking_it_closes_it(page: IntegrationsState) -> None:
    run_handler(IntegrationsState.create_key, page, {"name": "back office", "scope": "admin"})
    key = page.new_key
    assert authenticate_key(key).scopes == {"admin"}
    (row,) = page.keys
    assert (row.name, row.state, row.scopes) == ("back office", "active", "admin")
    run_handler(IntegrationsState.revoke_key, page, row.id)
    assert (page.new_key, page.keys[0].state, page.error) == ("", "revoked", "")


def test_revoking_a_key_id_that_is_not_one_says_there_is_no_such_key(
    page: IntegrationsState,
) -> None:
    run_handler(IntegrationsState.revoke_key, page, "not-a-key")
    assert page.error == "No such API key."


def test_the_page_writes_off_the_event_loop(
    page: IntegrationsState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event loop serves every open tab: a handler waiting on the database holds them all."""
    recorded = audit.record
    writers: list[threading.Thread] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        writers.append(threading.current_thread())
        return recorded(*args, **kwargs)

    monkeypatch.setattr(audit, "record", watched)
    run_handler(IntegrationsState.connect_woocommerce, page, WOO)
    run_handler(IntegrationsState.create_key, page, {"name": "zapier"})
    assert len(writers) == 2 and threading.main_thread() not in writers
