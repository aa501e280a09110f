"""schema.org data a page declares in JSON-LD: its Product (or ProductGroup) with offers, an
FAQPage's questions, an ItemList's links. Blocks that are not valid JSON are skipped; values
of the wrong type are ignored rather than trusted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urljoin, urlsplit

from recete_app.backend.scraping.html_document import plain_text

MAX_BLOCK_CHARS = 2_000_000
MAX_NESTING = 8  # how deep into a block products and lists are looked for
_PRODUCT_TYPES = frozenset({"Product", "ProductGroup", "IndividualProduct", "ProductModel"})
_PAGE_TYPES = frozenset({"WebPage", "ItemPage", "ProductPage"})
_PRICE_MAX = Decimal("1e12")  # products.price holds 14 digits, 2 after the point
_CENT = Decimal("0.01")
_CURRENCY_ALIASES = {"TL": "TRY", "YTL": "TRY", "₺": "TRY", "$": "USD", "€": "EUR", "£": "GBP"}
_ISO_CURRENCY = re.compile(r"[A-Z]{3}")
_NUMBER = re.compile(r"\d[\d.,\s]*")


@dataclass(frozen=True)
class Offer:
    name: str | None
    price: Decimal | None
    currency: str | None
    in_stock: bool | None = None
    high_price: Decimal | None = None  # an AggregateOffer's range without its offers


@dataclass(frozen=True)
class ProductData:
    name: str
    description: str  # as declared: plain text or HTML
    sku: str | None
    image: str | None
    url: str | None
    offers: list[Offer]


def json_ld_objects(blocks: list[str]) -> list[object]:
    """Each block's top-level value; blocks that do not parse are left out."""
    parsed: list[object] = []
    for block in blocks:
        text = block.strip()
        # Some themes wrap the JSON in an HTML comment or CDATA section.
        text = re.sub(r"^(?:<!--|//\s*<!\[CDATA\[)|(?:-->|//\s*\]\]>)$", "", text).strip()
        if not text or len(text) > MAX_BLOCK_CHARS:
            continue
        try:
            parsed.append(json.loads(text, strict=False))
        except (ValueError, RecursionError):
            continue
    return parsed


def top_level_nodes(values: list[object]) -> Iterator[dict[str, object]]:
    """The objects a page states about itself: block roots, @graph members, array members,
    and a WebPage's mainEntity (not products listed inside other things)."""
    pending = list(reversed(values))
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(reversed(value))
        elif isinstance(value, dict):
            yield value
            graph = value.get("@graph")
            if isinstance(graph, list):
                pending.extend(reversed(graph))
            if types(value) & _PAGE_TYPES and isinstance(value.get("mainEntity"), dict | list):
                pending.append(value["mainEntity"])


def all_nodes(value: object, depth: int = 0) -> Iterator[dict[str, object]]:
    if depth > MAX_NESTING:
        return
    if isinstance(value, list):
        for item in value:
            yield from all_nodes(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        for item in value.values():
            yield from all_nodes(item, depth + 1)


def types(node: dict[str, object]) -> set[str]:
    declared = node.get("@type")
    names = declared if isinstance(declared, list) else [declared]
    return {re.split(r"[/#:]", name)[-1] for name in names if isinstance(name, str)}


def products(values: list[object]) -> list[dict[str, object]]:
    return [node for node in top_level_nodes(values) if types(node) & _PRODUCT_TYPES]


def product_data(node: dict[str, object]) -> ProductData:
    variants = [v for v in _as_list(node.get("hasVariant")) if isinstance(v, dict)]
    offers = _offers(node.get("offers"), text(node.get("name")))
    for variant in variants:
        offers.extend(_offers(variant.get("offers"), text(variant.get("name"))))
    return ProductData(
        name=text(node.get("name")) or "",
        description=text(node.get("description")) or "",
        sku=text(node.get("sku")) or text(node.get("productID")) or text(node.get("mpn")),
        image=_image(node.get("image")),
        url=text(node.get("url")),
        offers=offers,
    )


def page_product(values: list[object], page_url: str) -> dict[str, object] | None:
    """The page's Product; several unrelated Products side by side are a listing, not a page."""
    found = products(values)
    here = _page_key(page_url)
    for node in found:
        if _page_key(_joined(page_url, text(node.get("url")))) == here:
            return node
    return found[0] if 0 < len(found) <= 2 else None


def faq_pairs(values: list[object]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for node in top_level_nodes(values):
        if "FAQPage" not in types(node):
            continue
        for question in _as_list(node.get("mainEntity")):
            if not isinstance(question, dict):
                continue
            answers = _as_list(question.get("acceptedAnswer")) or _as_list(
                question.get("suggestedAnswer")
            )
            answer = next((a for a in answers if isinstance(a, dict)), {})
            asked, answered = text(question.get("name")), text(answer.get("text"))
            pairs.append((plain_text(asked or ""), plain_text(answered or "")))
    return pairs


def listed_urls(values: list[object]) -> list[str]:
    """The URLs an ItemList names (a collection page's products)."""
    urls: list[str] = []
    for root in values:
        for node in all_nodes(root):
            if "ItemList" not in types(node):
                continue
            for element in _as_list(node.get("itemListElement")):
                item = element.get("item", element) if isinstance(element, dict) else element
                url = text(item.get("url") or item.get("@id")) if isinstance(item, dict) else None
                urls.append(url or text(item) or "")
    return [url for url in urls if url]


def text(value: object) -> str | None:
    """A string value (numbers written as strings too); anything else is not trusted as text."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def parse_price(value: object) -> Decimal | None:
    """A machine-written price: "29.90", 29.9, "1299", and the common slips "449,90" and
    "1.299,90"; never negative or beyond what the products table holds."""
    raw = text(value)
    found = _NUMBER.search(raw or "")
    if found is None:
        return None
    number = re.sub(r"\s", "", found.group()).rstrip(".,")
    if "," in number and "." in number:
        thousands = "," if number.rfind(",") < number.rfind(".") else "."
        number = number.replace(thousands, "").replace(",", ".")
    elif "," in number:  # "449,90" is a decimal comma, "1,299" a thousands one
        decimal_comma = re.search(r",\d{1,2}$", number)
        number = number.replace(",", "." if decimal_comma else "")
    try:
        price = Decimal(number).quantize(_CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None
    return price if price.is_finite() and 0 <= price < _PRICE_MAX else None


def parse_currency(value: object) -> str | None:
    raw = (text(value) or "").strip().upper()
    code = _CURRENCY_ALIASES.get(raw, raw)
    return code if _ISO_CURRENCY.fullmatch(code) else None


def lowest_offer(offers: list[Offer]) -> Offer | None:
    priced = [offer for offer in offers if offer.price is not None]
    return min(priced, key=lambda offer: offer.price or 0) if priced else None


def variants_text(offers: list[Offer], product_name: str) -> str:
    """One line per priced variant ("30 ml: 29.90 USD"); a product with one price says just that."""
    lines: list[str] = []
    for offer in offers:
        if offer.price is None:
            continue
        high = offer.high_price
        span = f"{offer.price}–{high}" if high is not None and high > offer.price else offer.price
        amount = f"{span} {offer.currency or ''}".strip()
        stock = " (out of stock)" if offer.in_stock is False else ""
        name = plain_text(offer.name or "")
        named = name and name not in (product_name, "Default Title")
        line = f"{name}: {amount}{stock}" if named else f"Price: {amount}{stock}"
        if line not in lines:
            lines.append(line)
    return "\n".join(lines)


def _page_key(url: str | None) -> str | None:
    """Host (with or without "www.") and path: the same page whatever its query says."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return None
    return f"{parts.netloc.lower().removeprefix('www.')}{parts.path.rstrip('/')}"


def _joined(base: str, url: str | None) -> str | None:
    try:
        return urljoin(base, url) if url else None
    except ValueError:
        return None


def _offers(value: object, name: str | None, depth: int = 0) -> list[Offer]:
    offers: list[Offer] = []
    for node in _as_list(value):
        if not isinstance(node, dict) or depth > 2:
            continue
        specs = [s for s in _as_list(node.get("priceSpecification")) if isinstance(s, dict)]
        spec = specs[0] if specs else {}
        price = parse_price(node.get("price") or node.get("lowPrice") or spec.get("price"))
        currency = parse_currency(node.get("priceCurrency") or spec.get("priceCurrency"))
        aggregate = "AggregateOffer" in types(node)
        nested = _offers(node.get("offers"), name, depth + 1) if aggregate else []
        if any(offer.price is not None for offer in nested):
            offers.extend(
                Offer(o.name, o.price, o.currency or currency, o.in_stock) for o in nested
            )
            continue
        high = parse_price(node.get("highPrice")) if aggregate else None
        name_here = text(node.get("name")) or name
        offers.append(Offer(name_here, price, currency, _in_stock(node), high))
    return offers


def _in_stock(offer: dict[str, object]) -> bool | None:
    availability = text(offer.get("availability")) or ""
    if any(word in availability for word in ("OutOfStock", "SoldOut", "Discontinued")):
        return False
    return True if "InStock" in availability else None


def _image(value: object) -> str | None:
    for item in _as_list(value):
        if isinstance(item, dict):
            item = item.get("url") or item.get("contentUrl")
        found = text(item)
        if found:
            return found
    return None


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
