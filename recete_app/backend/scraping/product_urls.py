"""What a product page's address looks like: Shopify's /products/<handle> (and the JSON beside
it), WooCommerce's /product/<slug>/; and the product pages a collection page links to."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from recete_app.backend.scraping.html_document import decoded_body, parse_html
from recete_app.backend.scraping.pages import Page
from recete_app.backend.scraping.structured_data import json_ld_objects, listed_urls, products, text

MAX_LINKS = 2_000
# Optional locale ("/en", "/en-us"), optional collection, then the handle (never a file name:
# "/products/serum.json" is the JSON itself).
_SHOPIFY_PATH = re.compile(
    r"^(?P<locale>/[a-z]{2}(?:-[a-z]{2,4})?)?(?:/collections/[^/]+)?/products/(?P<handle>[^/.]+)/?$",
    re.IGNORECASE,
)
_WOOCOMMERCE_PATH = re.compile(r"^(?:/[a-z]{2}(?:-[a-z]{2,4})?)?/(?:product|urun)/[^/.]+/?$", re.I)


def shopify_product_json_url(url: str) -> str | None:
    """ ".../products/<handle>" (also under /collections/<c>/, with a query or fragment) ->
    the store's "/products/<handle>.json"; None for any other address."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    found = _SHOPIFY_PATH.match(parts.path)
    if parts.scheme not in ("http", "https") or not parts.hostname or found is None:
        return None
    locale = found.group("locale") or ""
    return f"{parts.scheme}://{_host(url)}{locale}/products/{found.group('handle')}.json"


def product_links(page: Page) -> list[str]:
    """A collection or list page's product pages: absolute, same-host, deduplicated, in page
    order. Links are recognised by their shape, or listed by the page's ItemList JSON-LD."""
    if "json" in page.content_type:
        return []
    doc = parse_html(decoded_body(page))
    found: list[tuple[int, int, str]] = []  # (links before it, kind, url): page order
    for index, href in enumerate(doc.links[:MAX_LINKS]):
        url = product_page_url(page.url, href)
        if url:
            found.append((index, 1, url))
    listed_products = [len(products(json_ld_objects([raw]))) for _, raw in doc.json_ld]
    side_by_side = sum(listed_products) > 1
    for position, raw in doc.json_ld:
        values = json_ld_objects([raw])
        urls = listed_urls(values)
        if side_by_side:  # a Product per card, each with its url
            urls += [text(node.get("url")) or "" for node in products(values)]
        for listed in urls:
            url = absolute_url(page.url, listed, same_site=True)
            if url:
                found.append((position, 0, url))
    here = _without_fragment(page.url)
    links: list[str] = []
    for _, _, url in sorted(found, key=lambda item: (item[0], item[1])):
        if url != here and url not in links:
            links.append(url)
    return links


def product_page_url(base: str, href: str) -> str | None:
    """`href` as an absolute product page URL on `base`'s site, if it has a product's shape;
    Shopify's collection-scoped form becomes the plain /products/<handle>."""
    url = absolute_url(base, href, same_site=True)
    if url is None:
        return None
    parts = urlsplit(url)
    shopify = _SHOPIFY_PATH.match(parts.path)
    if shopify is not None:
        locale = shopify.group("locale") or ""
        return f"{parts.scheme}://{_host(url)}{locale}/products/{shopify.group('handle')}"
    if _WOOCOMMERCE_PATH.match(parts.path):
        return f"{parts.scheme}://{_host(url)}{parts.path}"
    return None


def absolute_url(base: str, href: str | None, *, same_site: bool = False) -> str | None:
    """`href` resolved against `base`, without its fragment: http(s) only, and on the same
    site when asked; None for anything else, malformed addresses included."""
    if not href or not href.strip():
        return None
    try:
        url = urljoin(base, href.strip())
        scheme = urlsplit(url).scheme
    except ValueError:  # "http://[not-an-ipv6" and friends
        return None
    if scheme not in ("http", "https") or (same_site and not same_host(base, url)):
        return None
    return _without_fragment(url)


def same_host(a: str, b: str) -> bool:
    """One site: the same host name, "www." or not (stores serve both)."""
    try:
        host_a, host_b = urlsplit(a).hostname or "", urlsplit(b).hostname or ""
    except ValueError:
        return False
    return bool(host_a) and host_a.removeprefix("www.") == host_b.removeprefix("www.")


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _host(url: str) -> str:
    """host[:port], without any user:password@ in front."""
    return urlsplit(url).netloc.rpartition("@")[2]
