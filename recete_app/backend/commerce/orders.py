"""Applying an OrderEvent: upsert the order and its items, derive delivery, emit domain events.

Idempotent and order-independent: applying the same event twice changes nothing, a fulfilment
that arrives before its order creates a placeholder the order later fills, and a snapshot older
than the one stored only fills gaps. Facts that only ever happen once (fulfilled, delivered,
cancelled, refunded) are kept once known.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, delete, select

from recete_app.backend.analytics.attribution import attribute_order, windows_for
from recete_app.backend.commerce.customers import upsert_customer
from recete_app.backend.commerce.events import CSV_ITEM_PREFIX, LineItem, OrderEvent, Refund
from recete_app.backend.db import current_merchant_id
from recete_app.backend.models import DomainEvent, Merchant, Order, OrderItem, Product

DEFAULT_TRANSIT_DAYS = 3
ORDER_DELIVERED = "order.delivered"
ORDER_CANCELLED = "order.cancelled"
ORDER_REFUNDED = "order.refunded"
_SNAPSHOT_FIELDS = (
    "name",
    "currency",
    "total_price",
    "financial_status",
    "fulfillment_status",
    "placed_at",
)
_ONCE_FIELDS = ("fulfilled_at", "cancelled_at", "cancel_reason", "refunded_at")
_ITEM_UPDATED = ("title", "sku", "quantity", "price", "requires_shipping", "product_id")
# Built once: deriving `excluded` per statement rebuilt the table's column proxies on every
# order and was the largest single Python cost of processing one.
_ORDER_EXCLUDED = insert(Order).excluded
_ITEM_EXCLUDED = insert(OrderItem).excluded


@dataclass(frozen=True)
class AppliedOrder:
    order_id: uuid.UUID
    emitted: tuple[str, ...]


def transit_days(session: Session) -> int:
    """The merchant's typical transit days (setting `transit_days`), read once per session."""
    cached = session.info.get("transit_days")
    if isinstance(cached, int):
        return cached
    merchant = session.get_one(Merchant, current_merchant_id(session))
    value = merchant.settings.get("transit_days", DEFAULT_TRANSIT_DAYS)
    days = int(value) if isinstance(value, int | str) and str(value).isdigit() else 3
    session.info["transit_days"] = days
    return days


def apply_order_event(session: Session, event: OrderEvent) -> AppliedOrder:
    order, fresh = _locked_order(session, event)
    before = (order.delivered_at, order.cancelled_at, order.refunded_at)
    known = order.customer_id is not None and order.placed_at is not None
    newer = _is_newer(event, order)
    if event.is_snapshot:
        _apply_snapshot(session, order, event, fill_only=not newer, fresh=fresh)
    for name in _ONCE_FIELDS:
        value = getattr(event, name)
        if value is not None and getattr(order, name) is None:
            setattr(order, name, value)
    if event.refund is not None and order.refunded_at is None and _covers(order, event.refund):
        order.refunded_at = event.refund.at
    _apply_delivery(session, order, event)
    if newer and event.updated_at is not None:
        order.source_updated_at = event.updated_at
    if session.is_modified(order):
        order.updated_at = datetime.now(UTC)
    emitted = _emit(session, order, before)
    if not known and order.customer_id is not None and order.placed_at is not None:
        attribute_order(session, order, windows_for(session))
    return AppliedOrder(order.id, emitted)


def _locked_order(session: Session, event: OrderEvent) -> tuple[Order, bool]:
    """The order row, created if new, locked until the transaction ends, and whether this call
    created it: one round trip (an upsert that touches the row takes the same lock as SELECT ..
    FOR UPDATE; a new row carries the id this insert proposed)."""
    proposed = uuid.uuid4()
    values = insert(Order).values(
        id=proposed,
        merchant_id=current_merchant_id(session),
        source=event.source,
        external_id=event.external_id,
        name="",
        delivery_estimated=False,
        created_at=datetime.now(UTC),
    )
    statement = values.on_conflict_do_update(
        constraint="uq_orders_source_id", set_={"external_id": _ORDER_EXCLUDED.external_id}
    ).returning(Order)
    order: Order = session.execute(
        select(Order).from_statement(statement).execution_options(populate_existing=True)
    ).scalar_one()
    return order, order.id == proposed


def _is_newer(event: OrderEvent, order: Order) -> bool:
    """A snapshot without a timestamp (a CSV export of unknown age) only fills gaps once a
    timestamped one (webhook, API pull) is stored."""
    if order.source_updated_at is None:
        return True
    if event.updated_at is None:
        return False
    return event.updated_at >= order.source_updated_at


def _covers(order: Order, refund: Refund) -> bool:
    """A refund of the whole total ends the order; a partial one does not (and a refund seen
    before its order waits for the order's own snapshot, which says "refunded" if it is)."""
    return order.total_price is not None and refund.amount >= order.total_price


def _apply_snapshot(
    session: Session, order: Order, event: OrderEvent, *, fill_only: bool, fresh: bool
) -> None:
    # Statements first, attribute changes after: each statement autoflushes the session, so
    # changing the order in between would write its row once per statement instead of once.
    customer = None
    if event.customer is not None and (not fill_only or order.customer_id is None):
        customer = upsert_customer(session, event.customer, event.source)
    if event.line_items and not fill_only:
        if not fresh and order.source_updated_at is None and event.updated_at is not None:
            _drop_placeholder_items(session, order)
        _upsert_items(session, order, event.line_items)
    for name in _SNAPSHOT_FIELDS:
        value = getattr(event, name)
        if value is not None and (not fill_only or getattr(order, name) in (None, "")):
            setattr(order, name, value)
    if customer is not None:
        order.customer_id = customer.id


def _upsert_items(session: Session, order: Order, items: tuple[LineItem, ...]) -> None:
    """All items in one statement; a repeated item id updates its row."""
    unique = {item.external_id: item for item in items}
    products = _catalogue_products(session, list(unique.values()))
    rows = [
        {
            "id": uuid.uuid4(),
            "merchant_id": order.merchant_id,
            "order_id": order.id,
            "external_id": item.external_id,
            "title": item.title[:500],
            "sku": item.sku,
            "quantity": item.quantity,
            "price": item.price,
            "requires_shipping": item.requires_shipping,
            "product_id": products.get(item.product_external_id or "")
            or products.get(item.title.strip().lower()),
        }
        for item in unique.values()
    ]
    session.execute(
        insert(OrderItem)
        .values(rows)
        .on_conflict_do_update(
            constraint="uq_order_items_order_external",
            set_={name: _ITEM_EXCLUDED[name] for name in _ITEM_UPDATED},
        )
    )


def _catalogue_products(session: Session, items: list[LineItem]) -> dict[str, uuid.UUID]:
    """The catalogue's products the items are, by the store's product id or else by name (the
    agent answers from what a customer bought; the journey's usage tip comes from it)."""
    ids = [item.product_external_id for item in items if item.product_external_id]
    titles = [item.title.strip().lower() for item in items if item.title.strip()]
    if not ids and not titles:
        return {}
    rows = session.execute(
        sa.select(
            col(Product.id), col(Product.external_id), sa.func.lower(col(Product.title))
        ).where(
            sa.or_(col(Product.external_id).in_(ids), sa.func.lower(col(Product.title)).in_(titles))
        )
    ).all()
    found: dict[str, uuid.UUID] = {}
    for product_id, external_id, title in rows:
        if external_id in ids:
            found[external_id] = product_id
        found.setdefault(title, product_id)
    return found


def _drop_placeholder_items(session: Session, order: Order) -> None:
    """The first timestamped snapshot of an order imported from a CSV export (whose rows carry
    no line item ids) brings the real items: the CSV's positional stand-ins go."""
    session.execute(
        delete(OrderItem).where(
            col(OrderItem.order_id) == order.id,
            col(OrderItem.external_id).startswith(CSV_ITEM_PREFIX),
        )
    )


def _ships(session: Session, order: Order) -> bool:
    """Orders of gift cards or digital goods are never delivered by a carrier."""
    flags = session.exec(
        select(OrderItem.requires_shipping).where(OrderItem.order_id == order.id)
    ).all()
    return not flags or any(flags)


def _apply_delivery(session: Session, order: Order, event: OrderEvent) -> None:
    if event.delivered_at is not None and (order.delivered_at is None or order.delivery_estimated):
        order.delivered_at = event.delivered_at
        order.delivery_estimated = False
    elif order.delivered_at is None and order.fulfilled_at is not None and _ships(session, order):
        order.delivered_at = order.fulfilled_at + timedelta(days=transit_days(session))
        order.delivery_estimated = True


def _emit(
    session: Session,
    order: Order,
    before: tuple[datetime | None, datetime | None, datetime | None],
) -> tuple[str, ...]:
    delivered, cancelled, refunded = before
    emitted: list[tuple[str, dict[str, object]]] = []
    if order.delivered_at is not None and order.delivered_at != delivered:
        emitted.append(
            (
                ORDER_DELIVERED,
                {
                    "delivered_at": order.delivered_at.isoformat(),
                    "estimated": order.delivery_estimated,
                },
            )
        )
    if order.cancelled_at is not None and cancelled is None:
        emitted.append((ORDER_CANCELLED, {"reason": order.cancel_reason}))
    if order.refunded_at is not None and refunded is None:
        emitted.append((ORDER_REFUNDED, {}))
    for name, payload in emitted:
        session.add(
            DomainEvent(
                merchant_id=order.merchant_id,
                name=name,
                order_id=order.id,
                customer_id=order.customer_id,
                payload=payload,
            )
        )
    return tuple(name for name, _ in emitted)
