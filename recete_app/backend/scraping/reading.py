"""From the URLs a merchant pasted to product pages read: a sitemap (or sitemap index) and a
collection page expand into their product pages, a product page is extracted, best source
first. Every failure is an outcome for its URL; nothing here raises past one URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from recete_app.backend.scraping.errors import ScrapeError
from recete_app.backend.scraping.extraction import (
    ScrapedProduct,
    extract_product,
    extract_shopify_product,
    is_sitemap,
    product_links,
    shopify_product_json_url,
    sitemap_urls,
)
from recete_app.backend.scraping.fetching import PAGE_TYPES, Fetcher
from recete_app.backend.scraping.pages import Page

MAX_PAGES = 200  # product pages one pasted URL may expand into
MAX_SITEMAP_DEPTH = 2  # an index of sitemaps of pages; deeper nesting is not followed
SITEMAP_TYPES = (*PAGE_TYPES, "application/xml", "text/xml")
# Store sitemaps list blog posts and pages too; when some entries look like products (Shopify
# /products/, WooCommerce /product/, sitemap_products_1.xml), only those are read.
_PRODUCT_PATH = re.compile(r"/products?[/_-]", re.IGNORECASE)


@dataclass(frozen=True)
class PageOutcome:
    url: str
    product: ScrapedProduct | None = None
    error: ScrapeError | None = None


def read_products(fetcher: Fetcher, url: str) -> Iterator[PageOutcome]:
    """The product pages behind `url`, each read or failed."""
    try:
        page = fetcher.fetch(url, accept=SITEMAP_TYPES)
    except ScrapeError as error:
        yield PageOutcome(url, error=error)
        return
    if is_sitemap(page):
        yield from _from_sitemap(fetcher, page, depth=1)
        return
    from_page = _extracted(page)
    structured = from_page is not None and from_page.source in ("json-ld", "shopify-json")
    links = [] if structured else product_links(page)
    if links:
        for link in links[:MAX_PAGES]:
            yield read_product(fetcher, link)
        return
    yield _product_outcome(fetcher, url, page, from_page)


def read_product(fetcher: Fetcher, url: str) -> PageOutcome:
    try:
        page = fetcher.fetch(url, accept=PAGE_TYPES)
    except ScrapeError as error:
        return PageOutcome(url, error=error)
    return _product_outcome(fetcher, url, page, _extracted(page))


def _extracted(page: Page) -> ScrapedProduct | None:
    """The page's own product, parsed once (a large page takes a noticeable fraction of a
    second) and shared by the list/product decision and the product itself."""
    try:
        return extract_product(page)
    except ScrapeError:
        return None


def _product_outcome(
    fetcher: Fetcher, url: str, page: Page, from_page: ScrapedProduct | None
) -> PageOutcome:
    try:
        return PageOutcome(url, product=_best_product(fetcher, page, from_page))
    except ScrapeError as error:
        return PageOutcome(url, error=error)


def _best_product(fetcher: Fetcher, page: Page, from_page: ScrapedProduct | None) -> ScrapedProduct:
    """JSON-LD first; otherwise a Shopify store's product JSON beats OpenGraph and main text,
    with the page's own sections (how to use, ingredients...) filling what it lacks."""
    if from_page is not None and from_page.source == "json-ld":
        return from_page
    json_url = shopify_product_json_url(page.url)
    if json_url is not None:
        try:
            shopify = extract_shopify_product(fetcher.fetch(json_url, accept=PAGE_TYPES))
        except ScrapeError:
            shopify = None
        if shopify is not None:
            extra = from_page.sections if from_page is not None else {}
            return replace(shopify, sections={**extra, **shopify.sections})
    if from_page is None:
        raise ScrapeError("No product information was found on this page.", code="no_product_data")
    return from_page


def _from_sitemap(fetcher: Fetcher, page: Page, depth: int) -> Iterator[PageOutcome]:
    try:
        pages, nested = sitemap_urls(page)
    except ScrapeError as error:
        yield PageOutcome(page.url, error=error)
        return
    pages, nested = _products_if_marked(pages), _products_if_marked(nested)
    count = 0
    for url in pages[:MAX_PAGES]:
        count += 1
        yield read_product(fetcher, url)
    if depth >= MAX_SITEMAP_DEPTH:
        return
    for sitemap_url in nested:
        try:
            child = fetcher.fetch(sitemap_url, accept=SITEMAP_TYPES)
        except ScrapeError as error:
            yield PageOutcome(sitemap_url, error=error)
            continue
        for outcome in _from_sitemap(fetcher, child, depth + 1):
            if count >= MAX_PAGES:
                return
            count += 1
            yield outcome


def _products_if_marked(urls: list[str]) -> list[str]:
    marked = [url for url in urls if _PRODUCT_PATH.search(url)]
    return marked or urls
