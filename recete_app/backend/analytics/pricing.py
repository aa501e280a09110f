"""WhatsApp's price of a message, estimated: the rate card's price for the message's category
and the recipient's country calling code, charged only when WhatsApp says it is billable.

The default card ships as data (`rate_cards/`), dated and with its sources. It is an estimate:
Meta changes its rates, and lowers utility and authentication rates with volume tiers, so every
figure built on it is labelled "estimated"."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

RATE_CARDS = Path(__file__).with_name("rate_cards")
DEFAULT_CARD = "meta-2025-07-01.json"
CHARGED_CATEGORIES = ("marketing", "utility", "authentication")
OTHER = "*"  # the calling code of the card's rates for every market it does not list


@dataclass(frozen=True)
class RateCard:
    name: str
    effective: str  # YYYY-MM-DD
    currency: str
    sources: tuple[str, ...]
    # (calling code or OTHER, category) -> price of one delivered message
    prices: dict[tuple[str, str], Decimal]

    def price(self, category: str | None, calling_code: str | None) -> Decimal:
        """One billable message's estimated price; 0 when the card has no rate for it (a free
        category such as service, or a market the card does not list and no fallback)."""
        key = (category or "").lower()
        found = self.prices.get((calling_code or "", key))
        if found is None:
            found = self.prices.get((OTHER, key), Decimal(0))
        return found

    def rows(self) -> list[tuple[str, str, Decimal]]:
        """(calling code, category, price) for every rate, OTHER included: what the rollup
        joins its priced sends to."""
        return [(code, category, price) for (code, category), price in self.prices.items()]


def parse_card(document: dict[str, object]) -> RateCard:
    prices: dict[tuple[str, str], Decimal] = {}
    rates = document.get("rates")
    if not isinstance(rates, dict):
        raise ValueError("a rate card needs a 'rates' object")
    for code, market in rates.items():
        prices.update(_market_prices(str(code), market))
    other = document.get("other")
    if other is not None:
        prices.update(_market_prices(OTHER, other))
    sources = document.get("sources")
    return RateCard(
        name=str(document.get("name", "")),
        effective=str(document.get("effective", "")),
        currency=str(document.get("currency", "USD")),
        sources=tuple(str(s) for s in sources) if isinstance(sources, list) else (),
        prices=prices,
    )


def _market_prices(code: str, market: object) -> dict[tuple[str, str], Decimal]:
    if not isinstance(market, dict):
        raise ValueError(f"rate card market {code!r} is not an object")
    return {
        (code, category): Decimal(str(market[category]))
        for category in CHARGED_CATEGORIES
        if market.get(category) is not None
    }


@cache
def default_card() -> RateCard:
    return parse_card(json.loads((RATE_CARDS / DEFAULT_CARD).read_text(encoding="utf-8")))
