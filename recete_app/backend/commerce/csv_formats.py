"""The two order CSV layouts: Shopify's order export and Recete's generic template.

Both are one row per line item; Shopify puts order-level fields only on an order's first row.
Column names are matched case-insensitively by header, never by position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from recete_app.backend.commerce.customers import e164_or_none
from recete_app.backend.commerce.events import (
    CONSENT_OPTED_IN,
    CONSENT_OPTED_OUT,
    CSV_ITEM_PREFIX,
    ConsentInfo,
    CustomerInfo,
    LineItem,
    OrderEvent,
)
from recete_app.backend.commerce.parsing import decimal, flag, text, timestamp, whole_number

BAD_PHONE = "not a valid phone number (check its digits and country code)"
Row = dict[str, str]
Problem = tuple[int, str, str]  # row, column, problem


@dataclass
class OrderRows:
    key: str
    first_row: int
    rows: list[tuple[int, Row]]


class _Reader:
    """Reads typed values from one row, collecting a problem for each value it cannot read."""

    def __init__(self, number: int, row: Row, problems: list[Problem]) -> None:
        self.number, self.row, self.problems = number, row, problems

    def text(self, column: str) -> str | None:
        return text(self.row.get(column))

    def typed(self, column: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(self.row.get(column))
        except ValueError as exc:
            self.problems.append((self.number, column, str(exc)))
            return None

    def time(self, column: str) -> datetime | None:
        value: datetime | None = self.typed(column, timestamp)
        return value

    def money(self, column: str) -> Decimal | None:
        value: Decimal | None = self.typed(column, decimal)
        return value

    def phone(self, column: str, country: str | None) -> str | None:
        raw = self.text(column)
        if raw and e164_or_none(raw, country) is None:
            # Not the number itself: the report is kept in plain text, beyond any erasure.
            self.problems.append((self.number, column, BAD_PHONE))
            return None
        return raw


@dataclass(frozen=True)
class CsvFormat:
    name: str
    required: frozenset[str]
    key_column: str
    build: Callable[[OrderRows, list[Problem]], OrderEvent | None]

    def order_key(self, row: Row) -> str | None:
        return text(row.get(self.key_column))

    def to_event(self, order: OrderRows) -> tuple[OrderEvent | None, list[Problem]]:
        problems: list[Problem] = []
        return self.build(order, problems), problems


def _items(order: OrderRows, problems: list[Problem], cols: dict[str, str]) -> tuple[LineItem, ...]:
    items = []
    for position, (number, row) in enumerate(order.rows, start=1):
        read = _Reader(number, row, problems)
        title = read.text(cols["title"])
        if title is None:
            continue
        quantity = read.typed(cols["quantity"], whole_number)
        if quantity is None:
            continue
        items.append(
            LineItem(
                external_id=read.text(cols.get("id", "")) or f"{CSV_ITEM_PREFIX}{position}",
                title=title,
                sku=read.text(cols["sku"]),
                quantity=quantity,
                price=read.money(cols["price"]),
                requires_shipping=flag(row.get(cols.get("shipping", ""))) is not False,
            )
        )
    return tuple(items)


def _fully_refunded(read: _Reader, refunded: Decimal | None, total: Decimal | None) -> bool:
    """A partial refund leaves the order (and its journey) alone."""
    if (read.text("financial status") or "").lower() == "refunded":
        return True
    return refunded is not None and refunded > 0 and total is not None and refunded >= total


def _split_name(full: str | None) -> tuple[str, str]:
    first, _, last = (full or "").strip().partition(" ")
    return first, last.strip()


def _note_consent(notes: str | None, when: datetime | None) -> tuple[ConsentInfo, ...]:
    for line in (notes or "").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() in ("whatsapp_opt_in", "whatsapp_consent", "whatsapp consent"):
            said = flag(value)
            if said is not None:
                state = CONSENT_OPTED_IN if said else CONSENT_OPTED_OUT
                return (ConsentInfo(state, "whatsapp", "csv:note_attributes", when),)
    return ()


def _shopify_order(order: OrderRows, problems: list[Problem]) -> OrderEvent | None:
    number, first = order.rows[0]
    read = _Reader(number, first, problems)
    placed_at = read.time("created at")
    if placed_at is None:
        if not read.text("created at"):
            problems.append((number, "created at", "missing"))
        return None
    country = read.text("shipping country") or read.text("billing country")
    phone = (
        read.phone("phone", country)
        or read.phone("shipping phone", country)
        or read.phone("billing phone", country)
    )
    first_name, last_name = _split_name(read.text("shipping name") or read.text("billing name"))
    refunded, total = read.money("refunded amount"), read.money("total")
    return OrderEvent(
        source="shopify" if read.text("id") else "csv",
        external_id=read.text("id") or order.key,
        updated_at=None,
        name=order.key,
        currency=read.text("currency"),
        total_price=total,
        financial_status=read.text("financial status"),
        fulfillment_status=read.text("fulfillment status"),
        placed_at=placed_at,
        fulfilled_at=read.time("fulfilled at"),
        cancelled_at=read.time("cancelled at"),
        refunded_at=placed_at if _fully_refunded(read, refunded, total) else None,
        customer=CustomerInfo(
            first_name=first_name,
            last_name=last_name,
            email=read.text("email"),
            phone=phone,
            country_code=country,
            consent=_note_consent(read.text("note attributes"), placed_at),
        ),
        line_items=_items(
            order,
            problems,
            {
                "title": "lineitem name",
                "sku": "lineitem sku",
                "quantity": "lineitem quantity",
                "price": "lineitem price",
                "shipping": "lineitem requires shipping",
            },
        ),
    )


def _generic_order(order: OrderRows, problems: list[Problem]) -> OrderEvent | None:
    number, first = order.rows[0]
    read = _Reader(number, first, problems)
    country = read.text("country_code")
    consent_flag = read.typed("whatsapp_consent", lambda v: flag(v) if text(v) else None)
    placed_at = read.time("placed_at")
    consent = (
        ()
        if consent_flag is None
        else (
            ConsentInfo(
                CONSENT_OPTED_IN if consent_flag else CONSENT_OPTED_OUT,
                "whatsapp",
                "csv",
                placed_at,
            ),
        )
    )
    return OrderEvent(
        source="csv",
        external_id=order.key,
        updated_at=None,
        name=read.text("order_name") or order.key,
        currency=read.text("currency"),
        total_price=read.money("total_price"),
        placed_at=placed_at,
        fulfilled_at=read.time("fulfilled_at"),
        delivered_at=read.time("delivered_at"),
        cancelled_at=read.time("cancelled_at"),
        customer=CustomerInfo(
            external_id=read.text("customer_id"),
            first_name=read.text("first_name") or "",
            last_name=read.text("last_name") or "",
            email=read.text("email"),
            phone=read.phone("phone", country),
            country_code=country,
            consent=consent,
        ),
        line_items=_items(
            order,
            problems,
            {
                "id": "item_id",
                "title": "item_title",
                "sku": "item_sku",
                "quantity": "item_quantity",
                "price": "item_price",
                "shipping": "requires_shipping",
            },
        ),
    )


SHOPIFY_EXPORT = CsvFormat(
    name="shopify_export",
    required=frozenset({"name", "created at", "lineitem name", "lineitem quantity"}),
    key_column="name",
    build=_shopify_order,
)
GENERIC = CsvFormat(
    name="generic",
    required=frozenset({"order_id", "placed_at", "item_title"}),
    key_column="order_id",
    build=_generic_order,
)
FORMATS = (SHOPIFY_EXPORT, GENERIC)
