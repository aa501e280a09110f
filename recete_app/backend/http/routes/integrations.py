"""/api/integrations: the merchant's stores and WhatsApp numbers. List them with their latest
webhooks, connect one (the same action as the dashboard's forms and `recete integration add`),
disconnect one (its secrets are erased), and test one with a read-only call to the provider.
Secrets go in and never come out; another merchant's integration is simply not found."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, StringConstraints

from recete_app.backend.http.auth import AdminCaller
from recete_app.backend.http.openapi import IdempotencyHeader
from recete_app.backend.services import connection_checks, connections
from recete_app.backend.services.connections import Connection

router = APIRouter(prefix="/api/integrations", tags=["integrations"])
Caller = AdminCaller
# Surrounding spaces are dropped first, so "  " is as missing as "".
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Secret = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4096)]


class EventView(BaseModel):
    topic: str  # e.g. orders/create, order.updated, messages
    status: str  # pending, processed, failed, ...
    received_at: datetime
    error: str | None


class IntegrationView(BaseModel):
    id: uuid.UUID
    kind: str  # shopify, woocommerce, whatsapp
    name: str  # the shop domain, store URL or phone number ID
    status: str  # active, broken, uninstalled, redacted, disconnected
    webhook_url: str | None  # where the store or Meta sends its events
    last_error: str | None
    created_at: datetime
    events: list[EventView]  # the latest webhooks it sent, newest first


class IntegrationList(BaseModel):
    integrations: list[IntegrationView]


class ConnectedView(IntegrationView):
    catalogue_queued: bool  # a worker imports the store's products (WooCommerce with REST keys)


class ConnectionCheckView(BaseModel):
    ok: bool
    message: str


class ShopifyBody(BaseModel):
    """A Shopify custom app (Settings → Apps → Develop apps)."""

    shop: Text = Field(examples=["glow-skin.myshopify.com"])
    access_token: Secret = Field(examples=["shpat_0123456789abcdef"])
    api_secret: Secret | None = Field(
        default=None, description="The app's API secret: it signs the shop's webhooks."
    )


class WooCommerceBody(BaseModel):
    """A WooCommerce store; with both REST keys its catalogue is imported."""

    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)] = (
        Field(examples=["https://shop.example.com"])
    )
    webhook_secret: Secret = Field(examples=["wc-webhook-secret"])
    consumer_key: Secret | None = Field(default=None, examples=["ck_0123456789abcdef"])
    consumer_secret: Secret | None = Field(default=None, examples=["cs_0123456789abcdef"])


class WhatsAppBody(BaseModel):
    """A WhatsApp Cloud API number, from Meta's app dashboard."""

    phone_number_id: str = Field(pattern=r"^\d{1,32}$", examples=["106540352242922"])
    access_token: Secret = Field(examples=["EAAG..."])
    app_secret: Secret = Field(description="Signs Meta's webhooks (X-Hub-Signature-256).")
    verify_token: Secret = Field(examples=["my-verify-token"])


def _view(connection: Connection) -> IntegrationView:
    return IntegrationView(
        id=connection.id,
        kind=connection.kind,
        name=connection.name,
        status=connection.status,
        webhook_url=connection.webhook_url,
        last_error=connection.last_error,
        created_at=connection.created_at,
        events=[
            EventView(
                topic=e.topic, status=e.status, received_at=e.received_at, error=e.error or None
            )
            for e in connection.events
        ],
    )


def _connect(caller: Caller, kind: str, body: BaseModel, key: str | None) -> ConnectedView:
    connected = connections.connect(
        caller.merchant_id, caller.actor, kind, body.model_dump(), idempotency_key=key
    )
    connection = connections.read_connection(caller.merchant_id, connected.integration_id)
    view = _view(connection).model_dump()
    return ConnectedView(**view, catalogue_queued=connected.catalogue_queued)


@router.get("")
def list_integrations(caller: Caller) -> IntegrationList:
    """Every store and number connected, oldest first, with its latest webhooks."""
    found = connections.list_connections(caller.merchant_id)
    return IntegrationList(integrations=[_view(c) for c in found])


@router.post("/shopify", status_code=201)
def connect_shopify(
    caller: Caller, body: ShopifyBody, idempotency_key: IdempotencyHeader = None
) -> ConnectedView:
    """Connect (or reconnect) a Shopify shop through its custom app's token."""
    return _connect(caller, "shopify", body, idempotency_key)


@router.post("/woocommerce", status_code=201)
def connect_woocommerce(
    caller: Caller, body: WooCommerceBody, idempotency_key: IdempotencyHeader = None
) -> ConnectedView:
    """Connect (or reconnect) a WooCommerce store; with both REST keys its catalogue import is
    queued. Point the store's webhooks at `webhook_url`."""
    return _connect(caller, "woocommerce", body, idempotency_key)


@router.post("/whatsapp", status_code=201)
def connect_whatsapp(
    caller: Caller, body: WhatsAppBody, idempotency_key: IdempotencyHeader = None
) -> ConnectedView:
    """Connect (or reconnect) a WhatsApp number; sends paused while it was away resume."""
    return _connect(caller, "whatsapp", body, idempotency_key)


@router.delete("/{integration_id}")
def disconnect(caller: Caller, integration_id: uuid.UUID) -> IntegrationView:
    """Disconnect: its secrets are erased, its webhooks refused, a number's sends paused until
    it is connected again. Disconnecting again changes nothing."""
    gone = connections.disconnect(caller.merchant_id, caller.actor, integration_id)
    return _view(gone)


@router.post("/{integration_id}/test")
def test_connection(
    caller: Caller, integration_id: uuid.UUID, request: Request
) -> ConnectionCheckView:
    """One read-only call to the provider with the stored credentials: `ok` false says why it
    failed (a refused token, no answer). 409 when disconnected or without credentials."""
    transport = request.app.state.outbound_transport
    check = connection_checks.check_connection(caller.merchant_id, integration_id, transport)
    return ConnectionCheckView(ok=check.ok, message=check.message)
