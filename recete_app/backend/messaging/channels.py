"""Where a merchant's messages go: their WhatsApp number, or the sandbox when none is connected
(messages are then only stored, and the dashboard's simulator shows them)."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import httpx
from sqlmodel import Session, col, select

from recete_app.backend.config import get_settings
from recete_app.backend.http_client import build_client
from recete_app.backend.integrations import read_secrets
from recete_app.backend.messaging.throughput import NoSendingSlot, reserve_slots, wait_for
from recete_app.backend.messaging.whatsapp.client import (
    SentMessage,
    TemplateMessage,
    WhatsAppClient,
)
from recete_app.backend.messaging.whatsapp.errors import WhatsAppTransportError
from recete_app.backend.models import Integration, IntegrationStatus, MessageStatus

WHATSAPP, SANDBOX = "whatsapp", "sandbox"


@dataclass(frozen=True)
class Outgoing:
    to: str  # E.164
    text: str  # what the customer reads (a template as rendered)
    template: TemplateMessage | None = None
    reply_to: str | None = None


class Channel(Protocol):
    name: str
    # The sandbox "delivers" as it stores; WhatsApp reports delivery later by webhook.
    status_on_send: MessageStatus

    def pace(self, count: int) -> list[float | None]:
        """Send slots for `count` messages: seconds to wait for each, None for no slot."""
        ...

    def send(self, outgoing: Outgoing, callback_data: str, slot: float | None) -> SentMessage:
        """Send at a slot `pace` gave."""
        ...


class SandboxChannel:
    name = SANDBOX
    status_on_send = MessageStatus.DELIVERED

    def pace(self, count: int) -> list[float | None]:
        return [0.0] * count

    def send(self, outgoing: Outgoing, callback_data: str, slot: float | None) -> SentMessage:
        return SentMessage(message_id=f"sandbox.{uuid.uuid4().hex}", wa_id=None)


class WhatsAppChannel:
    name = WHATSAPP
    status_on_send = MessageStatus.SENT

    def __init__(self, client: WhatsAppClient) -> None:
        self.client = client

    def pace(self, count: int) -> list[float | None]:
        return reserve_slots(self.client.phone_number_id, count)

    def send(self, outgoing: Outgoing, callback_data: str, slot: float | None) -> SentMessage:
        try:
            wait_for(slot, self.client.phone_number_id)
        except NoSendingSlot as exc:
            raise WhatsAppTransportError(str(exc), request_sent=False) from exc
        if outgoing.template is not None:
            return self.client.send_template(
                outgoing.to, outgoing.template, callback_data=callback_data
            )
        return self.client.send_text(
            outgoing.to, outgoing.text, callback_data=callback_data, reply_to=outgoing.reply_to
        )


# Requests one number may have in flight in a process: its pace (80/s by default) times Meta's
# answer time (~0.2 s) is ~16, and a sender run sends waves of 10.
CONNECTIONS_PER_NUMBER = 20
# Numbers whose clients a process keeps; past it the least recently used is let go (not
# closed: a thread may be sending with it; its idle connections expire on their own).
MAX_CLIENTS = 512
_graph: OrderedDict[str, httpx.Client] = OrderedDict()
_graph_lock = threading.Lock()


def graph_client(phone_number_id: str) -> httpx.Client:
    """One pooled client per business number and process (thread-safe, keeps connections).

    A pool per number rather than one per process: httpcore scans its whole pool, quadratically,
    on every request and every answer; one pool of 128 connections shared by every number cost a
    sending worker an eighth of its Python time (bench/dispatch.py, profiled), while a number
    never needs more than its pace lets through."""
    with _graph_lock:
        client = _graph.get(phone_number_id)
        if client is None:
            client = _graph[phone_number_id] = build_client(
                base_url=get_settings().whatsapp_graph_url,
                timeout=15.0,
                limits=httpx.Limits(
                    max_connections=CONNECTIONS_PER_NUMBER,
                    max_keepalive_connections=CONNECTIONS_PER_NUMBER,
                ),
            )
            while len(_graph) > MAX_CLIENTS:
                _graph.popitem(last=False)
        else:
            _graph.move_to_end(phone_number_id)
        return client


def forget_graph_client() -> None:
    """After the Graph URL setting changes (tests)."""
    with _graph_lock:
        for client in _graph.values():
            client.close()
        _graph.clear()


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
    if integration.status == IntegrationStatus.BROKEN:
        return None
    secrets = read_secrets(integration)
    if not secrets.get("access_token"):
        return None
    client = WhatsAppClient(
        graph_client(integration.external_id),
        phone_number_id=integration.external_id,
        access_token=secrets["access_token"],
    )
    return WhatsAppChannel(client)
