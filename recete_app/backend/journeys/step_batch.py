"""What composing a batch's journey steps reads besides the customers (`SendBatch`): orders,
steps, the item a step names, its usage text, the journey, the store's address, and the
customers' recent steps (one a day), each fetched in bulk for the whole batch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from recete_app.backend.journeys.settings import journey_for
from recete_app.backend.knowledge.sections import best_of_section_rows
from recete_app.backend.messaging.outbox.schedule import JOURNEY_STEP, SENDING, SENT, UNKNOWN
from recete_app.backend.messaging.outbox.send_batch import SendBatch
from recete_app.backend.models import (
    Integration,
    Journey,
    JourneyStep,
    Order,
    OrderItem,
    Product,
    ProductSection,
    ScheduledMessage,
)

# One proactive message a day looks this far back for the other steps already sent.
BUSY_LOOKBACK = timedelta(days=3)
_SectionRow = tuple[str, str, str]  # language, origin, body


class StepBatch(SendBatch):
    def __init__(self, session: Session, now: datetime) -> None:
        super().__init__(session, now)
        self._journey: Journey | None = None
        self._store_url: str | None = None
        self.orders: dict[uuid.UUID, Order] = {}
        self.steps: dict[uuid.UUID, JourneyStep] = {}
        self.items: dict[uuid.UUID, OrderItem | None] = {}  # order -> the item a step names
        self.products: dict[uuid.UUID, Product] = {}
        self.usage: dict[uuid.UUID, list[_SectionRow]] = {}  # product -> how_to_use sections
        self.busy: dict[uuid.UUID, dict[uuid.UUID, datetime]] = {}  # customer -> row -> when

    def prefetch(self, rows: Sequence[ScheduledMessage]) -> None:
        super().prefetch(rows)
        self._load(Order, {row.order_id for row in rows if row.order_id}, self.orders)
        self._load(JourneyStep, {row.step_id for row in rows if row.step_id}, self.steps)
        self._load_items(list(self.orders))
        self._load_usage([i.product_id for i in self.items.values() if i and i.product_id])
        self._load_busy({row.customer_id for row in rows})

    # --- lookups ---------------------------------------------------------------------------

    def order(self, order_id: uuid.UUID) -> Order | None:
        return self._get(Order, order_id, self.orders)

    def step(self, step_id: uuid.UUID) -> JourneyStep | None:
        return self._get(JourneyStep, step_id, self.steps)

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
