"""Processing accepted store webhooks off the request path."""

from __future__ import annotations

import uuid

import dramatiq

from recete_app.backend import queueing
from recete_app.backend.commerce import catalogue, order_imports
from recete_app.backend.commerce.shopify import reconcile
from recete_app.backend.services import customer_exports
from recete_app.backend.services.webhook_processing import events_to_retry, process_stored_event
from recete_app.backend.tenants import ids_per_merchant


@dramatiq.actor(queue_name="commerce", max_retries=0)
def process_external_event(merchant_id: str, event_id: str) -> None:
    """Failures are recorded on the event and retried by the sweep, not by Dramatiq."""
    process_stored_event(uuid.UUID(merchant_id), uuid.UUID(event_id))


@dramatiq.actor(queue_name="maintenance", max_retries=0)
def sweep_external_events() -> None:
    for merchant_id, event_id in events_to_retry():
        process_external_event.send(str(merchant_id), str(event_id))


@dramatiq.actor(queue_name="commerce", max_retries=3, min_backoff=30_000)
def import_catalogue(merchant_id: str, integration_id: str) -> None:
    catalogue.import_catalogue(uuid.UUID(merchant_id), uuid.UUID(integration_id))


@dramatiq.actor(queue_name="commerce", max_retries=0, time_limit=6 * 3600 * 1000)
def import_orders_file(merchant_id: str, import_id: str) -> None:
    """A crash mid-file is resumed by `resume_order_imports`, not by Dramatiq's retries."""
    order_imports.run_import(uuid.UUID(merchant_id), uuid.UUID(import_id))


@dramatiq.actor(queue_name="maintenance", max_retries=0)
def resume_order_imports() -> None:
    for merchant_id, import_id in ids_per_merchant(order_imports.imports_to_resume):
        import_orders_file.send(str(merchant_id), str(import_id))


@dramatiq.actor(queue_name="commerce", max_retries=0, time_limit=3600 * 1000)
def make_customer_export(merchant_id: str, export_id: str) -> None:
    """One that fails is marked failed; a crash mid-way is resumed by `resume_customer_exports`."""
    customer_exports.make_export(uuid.UUID(merchant_id), uuid.UUID(export_id))


@dramatiq.actor(queue_name="maintenance", max_retries=0)
def resume_customer_exports() -> None:
    for merchant_id, export_id in ids_per_merchant(customer_exports.exports_to_resume):
        make_customer_export.send(str(merchant_id), str(export_id))


@dramatiq.actor(queue_name="commerce", max_retries=2, min_backoff=60_000)
def reconcile_shop(merchant_id: str, integration_id: str) -> None:
    reconcile.reconcile_orders(uuid.UUID(merchant_id), uuid.UUID(integration_id))


@dramatiq.actor(queue_name="maintenance", max_retries=0)
def reconcile_shops() -> None:
    for merchant_id, integration_id in reconcile.shops_to_reconcile():
        reconcile_shop.send(str(merchant_id), str(integration_id))


queueing.register(
    "import_catalogue",
    lambda merchant_id, integration_id: import_catalogue.send(merchant_id, integration_id),
)
queueing.register(
    "import_orders_file",
    lambda merchant_id, import_id: import_orders_file.send(merchant_id, import_id),
)
queueing.register(
    "make_customer_export",
    lambda merchant_id, export_id: make_customer_export.send(merchant_id, export_id),
)
queueing.register(
    "process_external_event",
    lambda merchant_id, event_id: process_external_event.send(merchant_id, event_id),
)
