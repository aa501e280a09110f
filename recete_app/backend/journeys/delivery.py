"""The outbound queue's senders with journeys' composer plugged in: the entry points the
workers, the agent, the sandbox and the inbox's actions send through. The queue itself is
messaging's (`messaging/outbox/`); it cannot render a journey step on its own."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from recete_app.backend.db import session_scope
from recete_app.backend.journeys.composing import JourneyComposer
from recete_app.backend.messaging import read_receipts
from recete_app.backend.messaging.channels import channel_for
from recete_app.backend.messaging.outbox import sending
from recete_app.backend.messaging.outbox.schedule import JOURNEY_STEP, SENT, TEXT_REPLY


def send_batch(
    merchant_id: uuid.UUID, claims: Sequence[tuple[uuid.UUID, int]]
) -> dict[uuid.UUID, str]:
    """Send the rows these claims still own; what became of each, by row id."""
    return sending.send_batch(merchant_id, claims, JourneyComposer)


def send_scheduled(merchant_id: uuid.UUID, scheduled_id: uuid.UUID, claim: int) -> str:
    """Send one row if this claim still owns it; returns what became of it."""
    return sending.send_scheduled(merchant_id, scheduled_id, claim, JourneyComposer)


def send_due_now(
    merchant_id: uuid.UUID, customer_id: uuid.UUID, kinds: tuple[str, ...]
) -> dict[uuid.UUID, str]:
    """Send a customer's committed, due rows of these kinds at once, not on the dispatcher's
    next tick: what became of each, by row id."""
    return sending.send_due_now(merchant_id, customer_id, kinds, JourneyComposer)


def send_now(merchant_id: uuid.UUID, customer_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Send the customer's due replies and journey steps now (after the caller committed a
    person's message): what became of each, by scheduled message id. Once one went out, the
    customer's messages show as read."""
    outcomes = send_due_now(merchant_id, customer_id, (TEXT_REPLY, JOURNEY_STEP))
    if SENT in outcomes.values():
        with session_scope(merchant_id) as session:
            latest = read_receipts.latest_from_customer(session, customer_id)
            channel = channel_for(session) if latest else None
        read_receipts.mark_read(channel, latest)
    return outcomes
