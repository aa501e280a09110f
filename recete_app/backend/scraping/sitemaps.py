"""Sitemaps a merchant pastes: a <urlset> of pages or a <sitemapindex> of further sitemaps,
plain or gzipped.

Parsed with defusedxml and no DTD at all: a sitemap never needs one, and refusing it refuses
entity expansion ("billion laughs") and external entities (XXE) before any work is done."""

from __future__ import annotations

import re
import zlib
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from recete_app.backend.scraping.errors import ScrapeError
from recete_app.backend.scraping.pages import Page
from recete_app.backend.scraping.product_urls import absolute_url

MAX_URLS = 50_000  # the sitemap protocol's own limit per file
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024  # also the protocol's limit; more is a zip bomb
_SNIFF_BYTES = 4096
_GZIP_MAGIC = b"\x1f\x8b"
_ROOT_MARK = re.compile(rb"<(?:[\w.-]+:)?(urlset|sitemapindex)[\s>/]")
_XML_TYPES = ("application/xml", "text/xml", "application/gzip", "application/x-gzip")


def is_sitemap(page: Page) -> bool:
    """A sitemap by its content (a <urlset> or <sitemapindex> root near the start), or an XML
    file named like one, so that a broken sitemap is reported as broken, not as a page."""
    head = _unzipped(page.body, limit=_SNIFF_BYTES, strict=False)[:_SNIFF_BYTES]
    if _ROOT_MARK.search(head):
        return True
    path = urlsplit(page.url).path.lower()
    named = "sitemap" in path and path.endswith((".xml", ".xml.gz"))
    return named and page.content_type in _XML_TYPES


def sitemap_urls(page: Page) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) listed by the sitemap, same host only, in order."""
    root = _parsed(_unzipped(page.body, limit=MAX_UNZIPPED_BYTES, strict=True))
    kind = _local_name(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise ScrapeError(
            f"This file is not a sitemap (its root element is <{kind[:40]}>).",
            code="malformed_sitemap",
        )
    entry = "url" if kind == "urlset" else "sitemap"
    found: list[str] = []
    for child in root:
        if _local_name(child.tag) != entry:
            continue
        loc = next((c.text for c in child if _local_name(c.tag) == "loc"), None)
        url = absolute_url(page.url, loc, same_site=True)
        if url and url not in found:
            found.append(url)
        if len(found) >= MAX_URLS:
            break
    return (found, []) if kind == "urlset" else ([], found)


def _parsed(body: bytes) -> Element:
    try:
        return fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise ScrapeError(
            "This sitemap declares a DTD or entities, which sitemaps never need; it was not read.",
            code="malformed_sitemap",
        ) from error
    except (ParseError, ValueError, LookupError, RecursionError) as error:
        raise ScrapeError(
            f"This sitemap is not well-formed XML ({str(error)[:120]}).", code="malformed_sitemap"
        ) from error


def _unzipped(body: bytes, *, limit: int, strict: bool) -> bytes:
    if not body.startswith(_GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit)
    except zlib.error as error:
        if not strict:
            return b""
        raise ScrapeError("This gzipped sitemap is corrupt.", code="malformed_sitemap") from error
    if strict and inflater.unconsumed_tail:
        raise ScrapeError(
            "This gzipped sitemap unpacks to more than 50 MB; it was not read.",
            code="malformed_sitemap",
        )
    return data


def _local_name(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
