"""Reading loosely typed source values (JSON, CSV) into Python values, or None."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

TRUTHY = frozenset({"yes", "true", "1", "y", "on", "evet", "subscribed", "opted_in", "x"})
FALSY = frozenset({"no", "false", "0", "n", "off", "hayir", "hayır", "unsubscribed", "opted_out"})


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    if value is None:
        return None
    # PostgreSQL text cannot hold NUL (JSON can carry one as \u0000).
    result = str(value).replace("\x00", "").strip()
    return result or None


def decimal(value: Any) -> Decimal | None:
    raw = text(value)
    if raw is None:
        return None
    # "1,299.90" (thousands separator) and "12,50" (decimal comma) both occur in exports.
    cleaned = raw.replace(",", "") if "." in raw else raw.replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {raw!r}") from exc
    if not number.is_finite():
        raise ValueError(f"not a number: {raw!r}")
    return number


def timestamp(value: Any) -> datetime | None:
    """ISO 8601 (API, Shopify JSON) or Shopify's export format '2026-11-02 14:31:07 +0300'."""
    raw = text(value)
    if raw is None:
        return None
    for parse in (_iso, _shopify_export):
        parsed = parse(raw)
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"not a date: {raw!r}")


def _iso(raw: str) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def _shopify_export(raw: str) -> datetime | None:
    for fmt in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    return None


def earliest(values: Iterable[Any]) -> datetime | None:
    """The earliest of the readable timestamps among `values`, or None."""
    times = [t for t in (timestamp(v) for v in values) if t is not None]
    return min(times) if times else None


def full_refund_at(status: Any, refund_times: Iterable[Any], fallback: Any) -> datetime | None:
    """When an order became fully refunded: its last refund, if its financial status says
    "refunded" (a partially refunded order is not refunded)."""
    if (text(status) or "").lower() != "refunded":
        return None
    times = [t for t in (timestamp(v) for v in refund_times) if t is not None]
    return max(times) if times else timestamp(fallback)


def flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    raw = (text(value) or "").lower()
    if raw in TRUTHY:
        return True
    if raw in FALSY:
        return False
    return None


def whole_number(value: Any, default: int = 1) -> int:
    raw = text(value)
    if raw is None:
        return default
    try:
        number = int(Decimal(raw))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a whole number: {raw!r}") from exc
    if number < 0:
        raise ValueError(f"negative quantity: {raw!r}")
    return number
