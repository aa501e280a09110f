"""Connecting a store or a WhatsApp number, for the dashboard and the CLI alike (and the REST
API when it has the route): the form's fields are read, the connection is stored in one
transaction, and only after that commit does the catalogue import start, queued for a worker
(which must find the integration row) or, for a caller without workers, run here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace

from recete_app.backend import integrations, queueing
from recete_app.backend.commerce import catalogue
from recete_app.backend.db import session_scope
from recete_app.backend.errors import InvalidInput, RecetError

IMPORT_CATALOGUE = "import_catalogue"


@dataclass(frozen=True)
class Connected:
    integration_id: uuid.UUID
    kind: str
    display_name: str
    webhook_url: str | None  # where the store or Meta sends its events
    catalogue_queued: bool = False  # a worker imports the store's products
    products_imported: int | None = None  # imported here (queue=False); None: not here
    import_error: str = ""  # why the import here failed (also shown on the integration)


def connect(
    merchant_id: uuid.UUID,
    actor: str,
    kind: str,
    fields: Mapping[str, object],
    *,
    queue: bool = True,
) -> Connected:
    """Connect (or reconnect) a store or number from its form's fields. A WooCommerce store
    given its REST keys has its catalogue imported: queued for a worker, or with `queue=False`
    (the CLI has no workers) read here and now."""
    external_id, secrets = integrations.connection_details(kind, fields)
    has_catalogue = _has_catalogue(kind, secrets)
    with session_scope(merchant_id) as session:
        row = integrations.connect(session, actor, kind, external_id, secrets)
        url = integrations.webhook_url(row)
    connected = Connected(row.id, kind, row.display_name, url)
    if not has_catalogue:
        return connected
    if queue:
        queued = queueing.enqueue(
            IMPORT_CATALOGUE, merchant_id=str(merchant_id), integration_id=str(row.id)
        )
        return replace(connected, catalogue_queued=queued)
    return _import_here(merchant_id, connected)


def _has_catalogue(kind: str, secrets: Mapping[str, str]) -> bool:
    """WooCommerce's products are read through its REST API, which takes the consumer key and
    secret together (Shopify's import is queued by its OAuth install, which holds the token)."""
    if kind != "woocommerce":
        return False
    given = [name for name in ("consumer_key", "consumer_secret") if secrets.get(name)]
    if len(given) == 1:
        raise InvalidInput(
            "Give both the REST consumer key and the consumer secret, or neither.",
            code="incomplete_rest_keys",
        )
    return bool(given)


def _import_here(merchant_id: uuid.UUID, connected: Connected) -> Connected:
    try:
        imported = catalogue.import_catalogue(merchant_id, connected.integration_id)
    except RecetError as exc:  # provider errors included (ProviderError)
        # The connection stands (committed); the import's error is also on the integration.
        return replace(connected, import_error=str(exc))
    return replace(connected, products_imported=imported)
