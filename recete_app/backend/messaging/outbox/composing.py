"""What a due row becomes at the moment it is sent, as the sender asks it: ready (the message),
stopped (why not), or later (when). The outbox composes replies itself; the package whose rows
need more (journeys, for its steps) hands the sender a `Composer`. Nothing here talks to
WhatsApp."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from recete_app.backend.messaging.channels import Outgoing
from recete_app.backend.messaging.conversations import window_open
from recete_app.backend.messaging.outbox.schedule import FAILED, SKIPPED, TEXT_REPLY
from recete_app.backend.messaging.outbox.send_batch import SendBatch
from recete_app.backend.models import Customer, ScheduledMessage
from recete_app.backend.security.crypto import decrypt_field
from recete_app.backend.security.fields import PHONE


@dataclass(frozen=True)
class Ready:
    outgoing: Outgoing
    kind: str  # template | text
    details: dict[str, object]


@dataclass(frozen=True)
class Stop:
    status: str  # skipped | cancelled | failed
    reason: str


@dataclass(frozen=True)
class Later:
    due_at: datetime
    reason: str


Decision = Ready | Stop | Later


class Composer(Protocol):
    """One batch's composing: the sender hands it all the batch's rows first (to read in bulk),
    then asks it about each row, in the transaction that starts them."""

    def prefetch(self, rows: Sequence[ScheduledMessage]) -> None: ...

    def compose(self, row: ScheduledMessage) -> Decision: ...


# Makes a batch's composer from the batch's transaction and its clock.
ComposerFor = Callable[[Session, datetime], Composer]


def customer_phone(batch: SendBatch, row: ScheduledMessage) -> tuple[Customer, str] | Stop:
    """The row's customer and the number to send to, or why there is none."""
    customer = batch.customer(row.customer_id)
    if customer is None or customer.phone_encrypted is None:
        return Stop(SKIPPED, "The customer has no phone number.")
    return customer, decrypt_field(customer.phone_encrypted, PHONE)


def compose_reply(batch: SendBatch, row: ScheduledMessage) -> Decision:
    """A free-form reply; any other kind is not the outbox's to compose."""
    found = customer_phone(batch, row)
    if isinstance(found, Stop):
        return found
    customer, phone = found
    if row.kind != TEXT_REPLY:
        return Stop(FAILED, f"Unknown kind of scheduled message {row.kind!r}.")
    if not window_open(batch.conversation(customer), batch.now):
        return Stop(FAILED, "The customer's 24-hour window closed: only a template may be sent.")
    text = str(row.payload.get("text", ""))
    reply_to = row.payload.get("reply_to")
    outgoing = Outgoing(to=phone, text=text, reply_to=str(reply_to) if reply_to else None)
    details = row.payload.get("details")
    return Ready(outgoing, "text", dict(details) if isinstance(details, dict) else {})
