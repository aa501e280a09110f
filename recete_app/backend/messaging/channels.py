"""Where a merchant's messages go: their WhatsApp number, or the sandbox when none is connected
(messages are then only stored, and the dashboard's simulator shows them)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Protocol

import httpx
from sqlmodel import Session, col, select

from recete_app.backend.commerce.integrations import read_secrets
from recete_app.backend.config import get_settings
from recete_app.backend.http_client import build_client
from recete_app.backend.messaging.throughput import NoSendingSlot, wait_for_slot
from recete_app.backend.messaging.whatsapp.client import (
    SentMessage,
    TemplateMessage,
    WhatsAppClient,
)
from recete_app.backend.messaging.whatsapp.errors import WhatsAppTransportError
from recete_app.backend.models import Integration

WHATSAPP, SANDBOX = "whatsapp", "sandbox"
BROKEN = "broken"


@dataclass(frozen=True)
class Outgoing:
    to: str  # E.164
    text: str  # what the customer reads (a template as rendered)
    template: TemplateMessage | None = None
    reply_to: str | None = None


class Channel(Protocol):
    name: str
    # The sandbox "delivers" as it stores; WhatsApp reports delivery later by webhook.
    status_on_send: str

    def send(self, outgoing: Outgoing, callback_data: str) -> SentMessage: ...


class SandboxChannel:
    name = SANDBOX
    status_on_send = "delivered"

    def send(self, outgoing: Outgoing, callback_data: str) -> SentMessage:
        return SentMessage(message_id=f"sandbox.{uuid.uuid4().hex}", wa_id=None)


class WhatsAppChannel:
    name = WHATSAPP
    status_on_send = "sent"

    def __init__(self, client: WhatsAppClient) -> None:
        self.client = client

    def send(self, outgoing: Outgoing, callback_data: str) -> SentMessage:
        try:
            wait_for_slot(self.client.phone_number_id)
        except NoSendingSlot as exc:
            raise WhatsAppTransportError(str(exc), request_sent=False) from exc
        if outgoing.template is not None:
            return self.client.send_template(
                outgoing.to, outgoing.template, callback_data=callback_data
            )
        return self.client.send_text(
            outgoing.to, outgoing.text, callback_data=callback_data, reply_to=outgoing.reply_to
        )


_graph: httpx.Client | None = None
_graph_lock = threading.Lock()


def graph_client() -> httpx.Client:
    """One pooled client per process for the Graph API (thread-safe, keeps connections)."""
    global _graph
    with _graph_lock:
        if _graph is None:
            # Every sending thread keeps its connection: the default keeps 20 and closes the
            # rest after each request, so a busy sender reconnected all the time.
            _graph = build_client(
                base_url=get_settings().whatsapp_graph_url,
                timeout=15.0,
                limits=httpx.Limits(max_connections=128, max_keepalive_connections=128),
            )
        return _graph


def forget_graph_client() -> None:
    """After the Graph URL setting changes (tests)."""
    global _graph
    with _graph_lock:
        if _graph is not None:
            _graph.close()
        _graph = None


def whatsapp_integration(session: Session) -> Integration | None:
    return session.exec(
        select(Integration)
        .where(Integration.kind == WHATSAPP)
        .order_by(col(Integration.created_at).desc())
        .limit(1)
    ).first()


def channel_for(session: Session) -> Channel | None:
    """The merchant's channel; None while their number is broken (token expired) or has no
    token at all (every request would be refused): sends wait for a reconnect."""
    integration = whatsapp_integration(session)
    if integration is None:
        return SandboxChannel()
    if integration.status == BROKEN:
        return None
    secrets = read_secrets(integration)
    if not secrets.get("access_token"):
        return None
    client = WhatsAppClient(
        graph_client(),
        phone_number_id=integration.external_id,
        access_token=secrets["access_token"],
    )
    return WhatsAppChannel(client)
