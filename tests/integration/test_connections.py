"""Connecting a store or a number (`services.connections.connect`), the one action behind the
dashboard's connect forms and `recete integration add`: stored in one transaction, and the
catalogue import started only after it committed."""

from __future__ import annotations

import uuid

import pytest

from recete_app.backend import integrations, queueing
from recete_app.backend.commerce import catalogue
from recete_app.backend.commerce.woocommerce.client import WooCommerceError
from recete_app.backend.errors import InvalidInput
from recete_app.backend.services import connections
from tests.integration.journey_fixtures import new_merchant
from tests.support import owner_sql

STORE = {"url": "https://shop.example.com/", "webhook_secret": "wc-secret"}
REST_KEYS = {"consumer_key": "ck_1", "consumer_secret": "cs_1"}


def _committed(integration_id: str | uuid.UUID) -> bool:
    """Seen from another transaction: what a worker would find."""
    found = integrations.find_integration_by_id("woocommerce", uuid.UUID(str(integration_id)))
    return found is not None


@pytest.fixture()
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[dict[str, str], bool]]:
    """Catalogue imports handed to the queue, each with whether its integration was committed."""
    jobs: list[tuple[dict[str, str], bool]] = []

    def send(**job: str) -> None:
        jobs.append((job, _committed(job["integration_id"])))

    monkeypatch.setitem(queueing._senders, "import_catalogue", send)
    return jobs


def test_a_woocommerce_store_with_rest_keys_queues_its_catalogue_import_after_commit(
    queued: list[tuple[dict[str, str], bool]],
) -> None:
    merchant = new_merchant()
    connected = connections.connect(merchant, "test", "woocommerce", {**STORE, **REST_KEYS})
    assert connected.catalogue_queued and connected.display_name == "https://shop.example.com"
    job = {"merchant_id": str(merchant), "integration_id": str(connected.integration_id)}
    assert queued == [(job, True)]
    assert str(connected.webhook_url).endswith(f"/woocommerce/{connected.integration_id}")


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("woocommerce", STORE),
        ("shopify", {"shop": "glow.myshopify.com", "access_token": "shpat_1"}),
        (
            "whatsapp",
            {
                "phone_number_id": "1065",
                "access_token": "t",
                "app_secret": "s",
                "verify_token": "v",
            },
        ),
    ],
)
def test_a_connection_without_a_catalogue_to_read_queues_nothing(
    queued: list[tuple[dict[str, str], bool]], kind: str, fields: dict[str, str]
) -> None:
    connected = connections.connect(new_merchant(), "test", kind, fields)
    assert not connected.catalogue_queued and connected.products_imported is None
    assert queued == []


def test_a_consumer_key_without_its_secret_is_refused_and_nothing_is_stored(
    queued: list[tuple[dict[str, str], bool]],
) -> None:
    with pytest.raises(InvalidInput) as refused:
        connections.connect(new_merchant(), "test", "woocommerce", {**STORE, "consumer_key": "ck"})
    assert refused.value.code == "incomplete_rest_keys"
    assert owner_sql("SELECT count(*) FROM integrations") == [(0,)]
    assert queued == []


def test_without_workers_the_catalogue_is_imported_here_after_commit(
    monkeypatch: pytest.MonkeyPatch, queued: list[tuple[dict[str, str], bool]]
) -> None:
    seen: list[bool] = []

    def import_store(merchant_id: uuid.UUID, integration_id: uuid.UUID) -> int:
        seen.append(_committed(integration_id))
        return 12

    monkeypatch.setattr(catalogue, "import_catalogue", import_store)
    fields = {**STORE, **REST_KEYS}
    connected = connections.connect(new_merchant(), "test", "woocommerce", fields, queue=False)
    assert (connected.products_imported, connected.import_error, seen) == (12, "", [True])
    assert queued == []


def test_a_failed_import_here_keeps_the_connection_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused(merchant_id: uuid.UUID, integration_id: uuid.UUID) -> int:
        raise WooCommerceError("Sorry, you cannot list resources.", status=401)

    monkeypatch.setattr(catalogue, "import_catalogue", refused)
    fields = {**STORE, **REST_KEYS}
    connected = connections.connect(new_merchant(), "test", "woocommerce", fields, queue=False)
    assert connected.import_error == "Sorry, you cannot list resources."
    assert connected.products_imported is None and _committed(connected.integration_id)


def test_a_queued_catalogue_import_of_a_store_disconnected_or_gone_since_does_nothing(
    queued: list[tuple[dict[str, str], bool]],
) -> None:
    # A worker may run the import after the merchant disconnected the store (its keys erased)
    # or the merchant was erased: nothing to read, and nothing to retry for.
    merchant = new_merchant()
    connected = connections.connect(merchant, "test", "woocommerce", {**STORE, **REST_KEYS})
    connections.disconnect(merchant, "test", connected.integration_id)
    assert catalogue.import_catalogue(merchant, connected.integration_id) == 0
    assert catalogue.import_catalogue(merchant, uuid.uuid4()) == 0
    assert owner_sql("SELECT count(*) FROM products") == [(0,)]
