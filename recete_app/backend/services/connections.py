"""Connecting and disconnecting a store or a WhatsApp number, for the dashboard, the CLI and the
REST API alike: the form's fields are read, the change is stored in one transaction, and only
after that commit does the catalogue import start, queued for a worker (which must find the
integration row) or, for a caller without workers, run here."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from recete_app.backend import audit, idempotency, integrations, queueing
from recete_app.backend.commerce import catalogue
from recete_app.backend.commerce.overview import EventView, recent_events
from recete_app.backend.db import row_by_id, session_scope
from recete_app.backend.errors import Conflict, InvalidInput, NotFound, RecetError
from recete_app.backend.intake.routing import forget_routes
from recete_app.backend.messaging.channels import whatsapp_integration
from recete_app.backend.models import (
    Integration,
    IntegrationStatus,
    ScheduledMessage,
    ScheduledStatus,
)
from recete_app.backend.security.crypto import blind_index

IMPORT_CATALOGUE = "import_catalogue"
CONNECT_ROUTE = "POST /api/integrations/{kind}"  # the Idempotency-Key's scope, per kind
# Meta's phone number ids are digits, and the webhook receiver routes by digits only.
PHONE_NUMBER_ID = re.compile(r"\d{1,32}")
# Which form field an error of the integration's own checks is about.
FIELD_OF_CODE = {"invalid_shop": "shop", "invalid_url": "url", "unknown_kind": "kind"}
NUMBER_DISCONNECTED = "The WhatsApp number was disconnected: connect it again to send."


@dataclass(frozen=True)
class Connected:
    integration_id: uuid.UUID
    kind: str
    display_name: str
    webhook_url: str | None  # where the store or Meta sends its events
    catalogue_queued: bool = False  # a worker imports the store's products
    products_imported: int | None = None  # imported here (queue=False); None: not here
    import_error: str = ""  # why the import here failed (also shown on the integration)


@dataclass(frozen=True)
class Connection:
    """A connection as the merchant may see it: never its secrets."""

    id: uuid.UUID
    kind: str
    name: str
    status: str  # IntegrationStatus
    webhook_url: str | None
    last_error: str | None
    created_at: datetime
    events: list[EventView]  # the latest webhooks it sent, newest first


def connect(
    merchant_id: uuid.UUID,
    actor: str,
    kind: str,
    fields: Mapping[str, object],
    *,
    queue: bool = True,
    idempotency_key: str | None = None,
) -> Connected:
    """Connect (or reconnect) a store or number from its form's fields. A WooCommerce store
    given its REST keys has its catalogue imported: queued for a worker, or with `queue=False`
    (the CLI has no workers) read here and now. The same `idempotency_key` again returns the
    first connection and queues nothing."""
    external_id, secrets = _details(kind, fields)
    has_catalogue = _has_catalogue(kind, secrets)
    try:
        connected, replayed = _store(
            merchant_id, actor, kind, external_id, secrets, idempotency_key
        )
    except sa.exc.IntegrityError as exc:
        if "uq_integrations_kind_external_id" not in str(exc.orig):
            raise
        # Row-level security hid the other merchant's row from the lookup: only the unique
        # constraint sees it (or a request connecting the same store at the same moment).
        raise Conflict(
            "This store or number is already connected to another account.",
            code="connected_elsewhere",
        ) from None
    if replayed or not has_catalogue:
        return connected
    if queue:
        queued = queueing.enqueue(
            IMPORT_CATALOGUE,
            merchant_id=str(merchant_id),
            integration_id=str(connected.integration_id),
        )
        return replace(connected, catalogue_queued=queued)
    return _import_here(merchant_id, connected)


def _store(
    merchant_id: uuid.UUID,
    actor: str,
    kind: str,
    external_id: str,
    secrets: dict[str, str],
    idempotency_key: str | None,
) -> tuple[Connected, bool]:
    """The connection, and whether it is what an earlier request with this key made."""
    with session_scope(merchant_id) as session:
        route = CONNECT_ROUTE.format(kind=kind)
        claim = idempotency.claim(session, route, idempotency_key, _request(external_id, secrets))
        if claim.replayed is not None:
            return _connected(integration_of(session, claim.replayed)), True
        row = integrations.connect(session, actor, kind, external_id, secrets)
        idempotency.settle(session, claim, row.id)
        return _connected(row), False


def _details(kind: str, fields: Mapping[str, object]) -> tuple[str, dict[str, str]]:
    try:
        external_id, secrets = integrations.connection_details(kind, fields)
    except InvalidInput as exc:
        if exc.details is None and exc.code in FIELD_OF_CODE:
            exc.details = [{"field": FIELD_OF_CODE[exc.code], "message": exc.message}]
        raise
    if kind == "whatsapp" and not PHONE_NUMBER_ID.fullmatch(external_id):
        raise InvalidInput(
            "The phone number ID is the number's id in Meta's app dashboard (digits only).",
            code="invalid_phone_number_id",
            details=[{"field": "phone_number_id", "message": "digits only"}],
        )
    return external_id, secrets


def _request(external_id: str, secrets: Mapping[str, str]) -> dict[str, str]:
    """What an idempotency key is bound to; the secrets only as a keyed hash, never in clear."""
    return {"store": external_id, "secrets": blind_index(json.dumps(secrets, sort_keys=True))}


def _connected(row: Integration) -> Connected:
    return Connected(row.id, row.kind, row.display_name, integrations.webhook_url(row))


def _has_catalogue(kind: str, secrets: Mapping[str, str]) -> bool:
    """WooCommerce's products are read through its REST API, which takes the consumer key and
    secret together (Shopify's import is queued by its OAuth install, which holds the token)."""
    if kind != "woocommerce":
        return False
    names = ("consumer_key", "consumer_secret")
    given = [name for name in names if secrets.get(name)]
    if len(given) == 1:
        missing = next(name for name in names if name not in given)
        raise InvalidInput(
            "Give both the REST consumer key and the consumer secret, or neither.",
            code="incomplete_rest_keys",
            details=[{"field": missing, "message": f"needed with {given[0]}"}],
        )
    return bool(given)


def _import_here(merchant_id: uuid.UUID, connected: Connected) -> Connected:
    try:
        imported = catalogue.import_catalogue(merchant_id, connected.integration_id)
    except RecetError as exc:  # provider errors included (ProviderError)
        # The connection stands (committed); the import's error is also on the integration.
        return replace(connected, import_error=str(exc))
    return replace(connected, products_imported=imported)


def disconnect(merchant_id: uuid.UUID, actor: str, integration_id: uuid.UUID | str) -> Connection:
    """Stop using a store or number: its secrets are erased, so webhooks signed with them are
    refused from now on (other processes' receivers within their routing cache's 30 s), and a
    WhatsApp number's waiting sends pause until it is connected again (`connect` resumes them).
    Disconnecting again changes nothing."""
    with session_scope(merchant_id) as session:
        row = integration_of(session, integration_id)
        if row.status != IntegrationStatus.DISCONNECTED:
            _disconnect(session, actor, row)
        connection = _connection(session, row)
    forget_routes()  # this process's receivers forget the erased secrets at once
    return connection


def _disconnect(session: Session, actor: str, row: Integration) -> None:
    sending_number = whatsapp_integration(session)
    if sending_number is not None and sending_number.id == row.id:
        _pause_sends(session)
    row.status = IntegrationStatus.DISCONNECTED
    row.secrets = None
    # Meta's subscription check finds a number by its verify token: no longer this one.
    row.settings = {k: v for k, v in row.settings.items() if k != "verify_token_index"}
    row.last_error = None
    row.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, actor, "integration.disconnected", target=f"{row.kind}:{row.external_id}")


def _pause_sends(session: Session) -> None:
    """As for an expired token: rows waiting to leave wait for a reconnect instead."""
    waiting = (ScheduledStatus.SCHEDULED, ScheduledStatus.QUEUED)
    session.execute(
        sa.update(ScheduledMessage)
        .where(col(ScheduledMessage.status).in_(waiting))
        .values(
            status=ScheduledStatus.PAUSED,
            last_error=NUMBER_DISCONNECTED,
            lease_until=None,
            updated_at=datetime.now(UTC),
        )
        .execution_options(synchronize_session=False)
    )


def integration_of(session: Session, integration_id: uuid.UUID | str) -> Integration:
    """The merchant's integration; another merchant's is not found (row-level security hides
    it), nor is an id that is not one."""
    row = row_by_id(session, Integration, integration_id)
    if row is None:
        raise NotFound("No such integration.", code="integration_not_found")
    return row


def list_connections(merchant_id: uuid.UUID) -> list[Connection]:
    with session_scope(merchant_id) as session:
        return [_connection(session, row) for row in integrations.list_integrations(session)]


def read_connection(merchant_id: uuid.UUID, integration_id: uuid.UUID) -> Connection:
    with session_scope(merchant_id) as session:
        return _connection(session, integration_of(session, integration_id))


def _connection(session: Session, row: Integration) -> Connection:
    return Connection(
        id=row.id,
        kind=row.kind,
        name=row.display_name or row.external_id,
        status=row.status,
        webhook_url=integrations.webhook_url(row),
        last_error=row.last_error,
        created_at=row.created_at,
        events=recent_events(session, integration_id=row.id),
    )
