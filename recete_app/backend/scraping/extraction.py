"""A fetched page read as product knowledge, best source first: schema.org Product JSON-LD,
Shopify's product JSON (/products/<handle>.json), OpenGraph, then the page's main text. The
page's own headings ("How to use", "İçindekiler", an FAQ accordion...) split its text into
sections whatever the source of the description.

Everything read here is untrusted: it is parsed as data (no script runs, nothing is fetched),
only text a shopper could see is kept, and it is handed on as plain text. HTML parsing is in
`html_document`, section splitting in `page_sections` (which heading names which section:
`section_headings`), JSON-LD in `structured_data`, where a page keeps its product in
`page_layout`, product addresses and collection pages in `product_urls`, sitemaps in
`sitemaps`."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from decimal import Decimal

from recete_app.backend.models.knowledge import SECTIONS
from recete_app.backend.scraping.errors import ScrapeError
from recete_app.backend.scraping.html_document import (
    HtmlDocument,
    Node,
    capped,
    clean_line,
    decoded_body,
    parse_html,
)
from recete_app.backend.scraping.page_layout import (
    body,
    for_sale,
    largest_text_block,
    main_region,
    page_title,
)
from recete_app.backend.scraping.page_sections import (
    PageText,
    faq_text,
    read_fragment,
    read_sections,
)
from recete_app.backend.scraping.pages import Page
from recete_app.backend.scraping.product_urls import (
    absolute_url,
    product_links,
    shopify_product_json_url,
)
from recete_app.backend.scraping.sitemaps import is_sitemap, sitemap_urls
from recete_app.backend.scraping.structured_data import (
    Offer,
    faq_pairs,
    json_ld_objects,
    lowest_offer,
    page_product,
    parse_currency,
    parse_price,
    product_data,
    text,
    variants_text,
)
from recete_app.backend.text import detect_language, fold

__all__ = [
    "ScrapedProduct",
    "extract_product",
    "extract_shopify_product",
    "is_sitemap",
    "product_links",
    "shopify_product_json_url",
    "sitemap_urls",
]

MAX_SECTION_CHARS = 8_000
MAX_FALLBACK_DESCRIPTION_CHARS = 3_000  # untitled page text used as a description: mostly noise
MIN_MAIN_TEXT_CHARS = 80
_PRODUCT_OG_TYPES = frozenset({"product", "product.item", "product.group", "og:product"})


@dataclass(frozen=True)
class ScrapedProduct:
    url: str  # canonical URL if the page declares one (same host only), else page.url
    title: str
    sections: dict[str, str]  # keys from models.knowledge.SECTIONS only; empty sections omitted
    language: str  # "en" | "tr"
    source: str  # "json-ld" | "shopify-json" | "opengraph" | "main-text"
    price: Decimal | None = None
    currency: str | None = None  # ISO 4217, upper case
    external_id: str | None = None  # sku / Shopify product id when known
    image_url: str | None = None


def extract_product(page: Page) -> ScrapedProduct:
    """The product on a page; ScrapeError(code="no_product_data") when there is none."""
    if "json" in page.content_type:
        return _from_json_body(page)
    doc = parse_html(decoded_body(page))
    values = json_ld_objects([raw for _, raw in doc.json_ld])
    page_text = read_sections(doc, main_region(doc) or body(doc))
    node = page_product(values, page.url)
    if node is not None:
        return _from_json_ld(page, doc, node, values, page_text)
    meta = doc.meta
    if meta.get("og:type", "").strip().lower() in _PRODUCT_OG_TYPES or _meta_price(meta):
        return _from_opengraph(page, doc, values, page_text)
    return _from_main_text(page, doc, values, page_text)


def extract_shopify_product(page: Page) -> ScrapedProduct:
    """A Shopify store's /products/<handle>.json: {"product": {"title", "body_html", ...}}."""
    data = _json(page)
    product = data.get("product") if isinstance(data, dict) else None
    if not isinstance(product, dict) or not text(product.get("title")):
        raise _no_product("This is not a Shopify product's JSON.")
    described = read_fragment(text(product.get("body_html")) or "")
    title = clean_line(html.unescape(text(product.get("title")) or ""))
    description = _combined(described.other, described.sections.get("description", ""))
    offers = [
        Offer(
            text(variant.get("title")),
            parse_price(variant.get("price")),
            None,  # the public product JSON does not say the store's currency
            variant.get("available") if isinstance(variant.get("available"), bool) else None,
        )
        for variant in _listed(product.get("variants"))
        if isinstance(variant, dict)
    ]
    cheapest = lowest_offer(offers)
    handle = text(product.get("handle"))
    image = product.get("image") or next(iter(_listed(product.get("images"))), None)
    return ScrapedProduct(
        url=absolute_url(page.url, f"/products/{handle}" if handle else None) or page.url,
        title=title,
        sections=_finished(
            {**described.sections, "description": description},
            variants=variants_text(offers, title),
        ),
        language=detect_language(f"{title}\n{description}"),
        source="shopify-json",
        price=cheapest.price if cheapest else None,
        external_id=text(product.get("id")),
        image_url=absolute_url(
            page.url, text(image.get("src")) if isinstance(image, dict) else None
        ),
    )


def _from_json_ld(
    page: Page, doc: HtmlDocument, node: dict[str, object], values: list[object], found: PageText
) -> ScrapedProduct:
    data = product_data(node)
    described = read_fragment(html.unescape(data.description))
    title = clean_line(html.unescape(data.name)) or page_title(doc)
    if not title:
        raise _no_product("This page's product data gives the product no name.")
    description = _combined(
        described.other,
        described.sections.get("description", ""),
        found.sections.get("description", ""),
    )
    cheapest = lowest_offer(data.offers)
    sections = {**described.sections, **found.sections, "description": description}
    sections["faq"] = _combined(sections.get("faq", ""), faq_text(faq_pairs(values)))
    return _product(
        page,
        doc,
        title,
        _finished(sections, variants=variants_text(data.offers, title), other=found.other),
        source="json-ld",
        price=cheapest.price if cheapest else None,
        currency=cheapest.currency if cheapest else None,
        external_id=data.sku,
        image=data.image or doc.meta.get("og:image"),
    )


def _from_opengraph(
    page: Page, doc: HtmlDocument, values: list[object], found: PageText
) -> ScrapedProduct:
    meta = doc.meta
    title = clean_line(meta.get("og:title", "")) or page_title(doc)
    if not title:
        raise _no_product("This page declares a product but gives it no name.")
    price, currency = (
        _meta_price(meta),
        parse_currency(meta.get("product:price:currency") or meta.get("og:price:currency")),
    )
    description = _combined(
        clean_line(meta.get("og:description", "")), found.sections.get("description", "")
    )
    sections = {**found.sections, "description": description}
    sections["faq"] = _combined(sections.get("faq", ""), faq_text(faq_pairs(values)))
    variants = variants_text([Offer(None, price, currency)], title)
    return _product(
        page,
        doc,
        title,
        _finished(sections, variants=variants, other=found.other),
        source="opengraph",
        price=price,
        currency=currency,
        image=meta.get("og:image"),
    )


def _from_main_text(
    page: Page, doc: HtmlDocument, values: list[object], found: PageText
) -> ScrapedProduct:
    title = page_title(doc)
    other = found.other
    if main_region(doc) is None:  # no marked content: the biggest block of paragraphs is it
        other = read_sections(doc, largest_text_block(doc)).other
    content = "\n".join([other, *found.sections.values()])
    if not title or len(content) < MIN_MAIN_TEXT_CHARS or not for_sale(doc, content):
        raise _no_product("No product information was found on this page.")
    sections = dict(found.sections)
    sections["faq"] = _combined(sections.get("faq", ""), faq_text(faq_pairs(values)))
    return _product(page, doc, title, _finished(sections, other=other), source="main-text")


def _from_json_body(page: Page) -> ScrapedProduct:
    data = _json(page)
    if isinstance(data, dict) and isinstance(data.get("product"), dict):
        return extract_shopify_product(page)
    node = page_product([data], page.url)
    if node is None:
        raise _no_product("This JSON does not describe a product.")
    empty = HtmlDocument(Node("#document", {}))
    return _from_json_ld(page, empty, node, [data], PageText({}, ""))


def _product(
    page: Page,
    doc: HtmlDocument,
    title: str,
    sections: dict[str, str],
    *,
    source: str,
    price: Decimal | None = None,
    currency: str | None = None,
    external_id: str | None = None,
    image: str | None = None,
) -> ScrapedProduct:
    sample = "\n".join([title, sections.get("description", "")])
    return ScrapedProduct(
        url=_canonical_url(page.url, doc.canonical),
        title=capped(title, 500),
        sections=sections,
        language=_language(doc.lang, sample),
        source=source,
        price=price,
        currency=currency,
        external_id=(clean_line(external_id)[:255] or None) if external_id else None,
        image_url=absolute_url(page.url, image),
    )


def _finished(sections: dict[str, str], *, variants: str = "", other: str = "") -> dict[str, str]:
    """Known sections only, non-empty, capped; page text under no heading stands in for a
    missing description."""
    merged = {**sections, "variants": variants or sections.get("variants", "")}
    if not merged.get("description", "").strip() and other:
        merged["description"] = capped(other, MAX_FALLBACK_DESCRIPTION_CHARS)
    return {
        key: capped(merged[key].strip(), MAX_SECTION_CHARS)
        for key in SECTIONS
        if merged.get(key, "").strip()
    }


def _combined(*texts: str) -> str:
    """The texts joined, each left out when another already says it (JSON-LD's description is
    often the page's description tab word for word)."""
    kept: list[str] = []
    for candidate in (t.strip() for t in texts):
        key = " ".join(fold(candidate).split())
        if not key or any(key in " ".join(fold(k).split()) for k in kept):
            continue
        kept = [k for k in kept if " ".join(fold(k).split()) not in key]
        kept.append(candidate)
    return "\n".join(kept)


def _meta_price(meta: dict[str, str]) -> Decimal | None:
    return parse_price(meta.get("product:price:amount") or meta.get("og:price:amount"))


def _language(declared: str | None, sample: str) -> str:
    primary = (declared or "").replace("_", "-").split("-")[0].strip().lower()
    return primary if primary in ("en", "tr") else detect_language(sample)


def _canonical_url(page_url: str, canonical: str | None) -> str:
    return absolute_url(page_url, canonical, same_site=True) or page_url


def _json(page: Page) -> object:
    try:
        return json.loads(decoded_body(page))
    except (ValueError, RecursionError) as error:
        raise _no_product("The page's JSON could not be read.") from error


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _no_product(message: str) -> ScrapeError:
    return ScrapeError(message, code="no_product_data")
