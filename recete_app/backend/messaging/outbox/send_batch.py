"""What composing a batch of due rows reads about their customers, fetched in bulk: a handful of
queries for the whole batch instead of a dozen per row (the dispatch benchmark spent most of a
send in them). A lookup that was not prefetched (a preview, a row added later) is read on first
use and kept. Journeys add what a step reads (`journeys/step_batch.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session, col, select

from recete_app.backend.db import current_merchant_id
from recete_app.backend.messaging.conversations import open_conversation, start_conversation
from recete_app.backend.models import (
    Conversation,
    ConversationStatus,
    Customer,
    Merchant,
    ScheduledMessage,
)

T = TypeVar("T")


class SendBatch:
    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self._merchant: Merchant | None = None
        self.customers: dict[uuid.UUID, Customer] = {}
        self.conversations: dict[uuid.UUID, Conversation] = {}  # customer -> open conversation
        self._conversations_read: set[uuid.UUID] = set()  # customers whose conversations were read

    def prefetch(self, rows: Sequence[ScheduledMessage]) -> None:
        customers = {row.customer_id for row in rows}
        self._load(Customer, customers, self.customers)
        self._load_conversations(customers)

    # --- lookups ---------------------------------------------------------------------------

    def customer(self, customer_id: uuid.UUID) -> Customer | None:
        return self._get(Customer, customer_id, self.customers)

    def merchant(self) -> Merchant:
        if self._merchant is None:
            self._merchant = self.session.get_one(Merchant, current_merchant_id(self.session))
        return self._merchant

    def conversation(self, customer: Customer) -> Conversation:
        """The customer's open conversation, or a new one (added to the session, flushed with
        the batch: one statement for all, not one each)."""
        if customer.id in self.conversations:
            return self.conversations[customer.id]
        if customer.id in self._conversations_read:  # read in bulk: none is open
            conversation = start_conversation(self.session, customer)
        else:
            conversation = open_conversation(self.session, customer)
        self.conversations[customer.id] = conversation
        return conversation

    # --- bulk reads ------------------------------------------------------------------------

    def _get(self, model: type[T], key: uuid.UUID, into: dict[uuid.UUID, T]) -> T | None:
        if key not in into:
            found = self.session.get(model, key)
            if found is None:
                return None
            into[key] = found
        return into[key]

    def _load(self, model: type[T], keys: Iterable[uuid.UUID], into: dict[uuid.UUID, T]) -> None:
        wanted = [key for key in keys if key not in into]
        if wanted:
            id_column = getattr(model, "id")  # noqa: B009 - every table here has one
            for found in self.session.exec(select(model).where(col(id_column).in_(wanted))):
                into[getattr(found, "id")] = found  # noqa: B009

    def _load_conversations(self, customer_ids: set[uuid.UUID]) -> None:
        if not customer_ids:
            return
        rows = self.session.exec(
            select(Conversation)
            .where(
                col(Conversation.customer_id).in_(customer_ids),
                Conversation.status != ConversationStatus.CLOSED,
            )
            .order_by(col(Conversation.created_at).desc())
        ).all()
        for conversation in rows:
            self.conversations.setdefault(conversation.customer_id, conversation)
        self._conversations_read |= customer_ids
