"""What composing a batch of due rows reads, fetched in bulk: a handful of queries for the whole
batch instead of a dozen per row (the dispatch benchmark spent most of a send in them). A lookup
that was not prefetched (a preview, a row added later) is read on first use and kept."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from sqlmodel import Session, col, select

from recete_app.backend.db import current_merchant_id
from recete_app.backend.journeys.schedule import JOURNEY_STEP, SENDING, SENT, UNKNOWN
from recete_app.backend.journeys.settings import journey_for
from recete_app.backend.knowledge.sections import best_of_section_rows
from recete_app.backend.messaging.conversations import open_conversation, start_conversation
from recete_app.backend.models import (
    Conversation,
    ConversationStatus,
    Customer,
    Integration,
    Journey,
    JourneyStep,
    Merchant,
    Order,
    OrderItem,
    Product,
    ProductSection,
    ScheduledMessage,
)

# One proactive message a day looks this far back for the other steps already sent.
BUSY_LOOKBACK = timedelta(days=3)
_SectionRow = tuple[str, str, str]  # language, origin, body
T = TypeVar("T")


class SendBatch:
    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self._merchant: Merchant | None = None
        self._journey: Journey | None = None
        self._store_url: str | None = None
        self.customers: dict[uuid.UUID, Customer] = {}
        self.orders: dict[uuid.UUID, Order] = {}
        self.steps: dict[uuid.UUID, JourneyStep] = {}
        self.items: dict[uuid.UUID, OrderItem | None] = {}  # order -> the item a step names
        self.products: dict[uuid.UUID, Product] = {}
        self.usage: dict[uuid.UUID, list[_SectionRow]] = {}  # product -> how_to_use sections
        self.conversations: dict[uuid.UUID, Conversation] = {}  # customer -> open conversation
        self._conversations_read: set[uuid.UUID] = set()  # customers whose conversations were read
        self.busy: dict[uuid.UUID, dict[uuid.UUID, datetime]] = {}  # customer -> row -> when

    def prefetch(self, rows: Sequence[ScheduledMessage]) -> None:
        customers = {row.customer_id for row in rows}
        self._load(Customer, customers, self.customers)
        self._load(Order, {row.order_id for row in rows if row.order_id}, self.orders)
        self._load(JourneyStep, {row.step_id for row in rows if row.step_id}, self.steps)
        self._load_items(list(self.orders))
        self._load_usage([i.product_id for i in self.items.values() if i and i.product_id])
        self._load_conversations(customers)
        self._load_busy(customers)

    # --- lookups ---------------------------------------------------------------------------

    def customer(self, customer_id: uuid.UUID) -> Customer | None:
        return self._get(Customer, customer_id, self.customers)

    def order(self, order_id: uuid.UUID) -> Order | None:
        return self._get(Order, order_id, self.orders)

    def step(self, step_id: uuid.UUID) -> JourneyStep | None:
        return self._get(JourneyStep, step_id, self.steps)

    def merchant(self) -> Merchant:
        if self._merchant is None:
            self._merchant = self.session.get_one(Merchant, current_merchant_id(self.session))
        return self._merchant

    def journey(self) -> Journey:
        if self._journey is None:
            self._journey = journey_for(self.session)
        return self._journey

    def first_item(self, order_id: uuid.UUID) -> OrderItem | None:
        """The item a step is about: a catalogue product first, then the dearest."""
        if order_id not in self.items:
            self._load_items([order_id])
        return self.items.get(order_id)

    def usage_text(self, product_id: uuid.UUID, language: str) -> str:
        if product_id not in self.usage:
            self._load_usage([product_id])
        text = best_of_section_rows(self.usage[product_id], language)
        product = self.products.get(product_id)  # loaded with its sections; None if deleted
        return text or (product.usage if product is not None else "")

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

    def store_url(self) -> str:
        """The connected store's address: where a reorder or review starts by default."""
        if self._store_url is None:
            store = self.session.exec(
                select(Integration.kind, Integration.external_id).where(
                    col(Integration.kind).in_(("shopify", "woocommerce"))
                )
            ).first()
            kind, external_id = store if store is not None else ("", "")
            self._store_url = f"https://{external_id}" if kind == "shopify" else external_id
        return self._store_url

    def sent_times(self, customer_id: uuid.UUID, row_id: uuid.UUID) -> list[datetime]:
        """When the customer's other journey steps went out (or started to) lately."""
        if customer_id not in self.busy:
            self._load_busy({customer_id})
        return [when for other, when in self.busy[customer_id].items() if other != row_id]

    def note_sending(self, customer_id: uuid.UUID, row_id: uuid.UUID) -> None:
        """A step of this batch goes out now: the customer's next one waits for another day."""
        self.busy.setdefault(customer_id, {})[row_id] = self.now

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

    def _load_items(self, order_ids: list[uuid.UUID]) -> None:
        if not order_ids:
            return
        rows = self.session.exec(
            select(OrderItem)
            .where(col(OrderItem.order_id).in_(order_ids))
            .order_by(col(OrderItem.product_id).is_(None), col(OrderItem.price).desc())
        ).all()
        for order_id in order_ids:
            self.items.setdefault(order_id, None)
        for item in rows:
            self.items[item.order_id] = self.items[item.order_id] or item

    def _load_usage(self, product_ids: list[uuid.UUID]) -> None:
        if not product_ids:
            return
        self._load(Product, product_ids, self.products)
        rows = self.session.exec(
            select(
                ProductSection.product_id,
                ProductSection.language,
                ProductSection.origin,
                ProductSection.body,
            ).where(
                col(ProductSection.product_id).in_(product_ids),
                col(ProductSection.section) == "how_to_use",
            )
        ).all()
        for product_id in product_ids:
            self.usage.setdefault(product_id, [])
        for product_id, language, origin, body in rows:
            self.usage[product_id].append((language, origin, body))

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

    def _load_busy(self, customer_ids: set[uuid.UUID]) -> None:
        if not customer_ids:
            return
        rows = self.session.exec(
            select(
                ScheduledMessage.customer_id,
                ScheduledMessage.id,
                ScheduledMessage.sent_at,
                ScheduledMessage.request_started_at,
            ).where(
                col(ScheduledMessage.customer_id).in_(customer_ids),
                ScheduledMessage.kind == JOURNEY_STEP,
                # An unknown send probably went: counting it keeps the customer at one a day.
                col(ScheduledMessage.status).in_((SENT, SENDING, UNKNOWN)),
                col(ScheduledMessage.due_at) >= self.now - BUSY_LOOKBACK,
            )
        ).all()
        for customer_id in customer_ids:
            self.busy.setdefault(customer_id, {})
        for customer_id, row_id, sent_at, started_at in rows:
            self.busy[customer_id][row_id] = sent_at or started_at or self.now
