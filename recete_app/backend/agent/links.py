"""Links in what the agent writes: the store's own, nothing else.

A product page is untrusted text (a supplier's description, a scraped page, a tampered feed):
a "refund form" link in it would reach customers in the store's name. A reply keeps a link only
to the store's own hosts (its shop, the pages of its products, and their subdomains) or one the
merchant set on a journey step; any other link goes, with the words that only pointed at it
("here: ", "at "), so that the sentence still reads.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import sqlalchemy as sa
from sqlmodel import Session

from recete_app.backend.db import current_merchant_id

# A link with a scheme runs to the next space; one without (www.x.com, evil.example/form) is
# dotted labels ending in a name of letters, then an optional port and path. Both start only
# where a word does (a long word is not tried at each of its letters).
_LINK = re.compile(
    r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://[^\s<>\"]+"
    r"|(?<![\w.-])(?:[\w-]+\.)+(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)(?![\w@-])(?::\d+)?"
    r"(?:[/?#][^\s<>\"]*)?",
    re.IGNORECASE,
)
# A capitalised last label is a missing space between sentences ("skin.Apply"), unless it is
# one of these ("Evil.Com").
_COMMON_ENDINGS = frozenset(
    {
        *("com", "net", "org", "info", "biz", "io", "co", "me", "ly", "app", "shop", "store"),
        *("online", "site", "xyz", "tr", "uk", "de", "eu", "us"),
    }
)
_TRAILING = ".,;:!?)]}'\"»›…’”*_~"
_HTTP = ("http", "https")
_HOSTNAME = re.compile(r"[\w-]+(?:\.[\w-]+)+")
_GAP = "\x00"  # where a dropped link was, until the words around it are tidied
_TIDY = (
    # "kozmetik.example'dan": the Turkish case ending goes with the link.
    (re.compile(r"\x00['’][^\W\d_]+"), _GAP),
    # "\"http://...\"": the quotes go with the link.
    (re.compile(r"[\"'“‘«]\x00[\"'”’»]"), _GAP),
    # "http://a or www.b": one gap.
    (re.compile(r"\x00(?:[ \t]*(?:,|\band\b|\bor\b|\bve\b|\bveya\b|\bya da\b)[ \t]*\x00)+"), _GAP),
    # "... adresinden / linkine / sayfasından": the Turkish words that name the link go too.
    (
        re.compile(r"\x00[ \t]+(?:web[ \t]+)?(?:adres|link|bağlantı|baglanti|sayfa|site)\w*", re.I),
        _GAP,
    ),
    # "(see http://...)": the whole aside.
    (re.compile(r"[ \t]*\((?:[ \t]*(?:see|bkz\.?))?[ \t]*\x00[ \t]*\)", re.I), ""),
    # A link that was a sentence of its own, with its full stop.
    (re.compile(r"(?:(?<=[.!?])|^)[ \t]*\x00[.!?,;:]?", re.M), ""),
    # "Fill in the form here: http://...." / "... at http://...": the sentence ends earlier.
    (
        re.compile(
            r"[ \t]*(?:\b(?:at|via|on|see|and|or|ve|veya)\b[ \t]*)?[:,–—-]?[ \t]*\x00[ \t]*"
            r"(?=[.!?,;)\]\n]|$)",
            re.I,
        ),
        "",
    ),
    (re.compile(r"[ \t]*\x00[ \t]*"), " "),
)


@dataclass(frozen=True)
class StoreLinks:
    """What a reply may link to: these hosts and their subdomains, and these exact links."""

    hosts: frozenset[str] = frozenset()
    links: frozenset[str] = frozenset()

    def permits(self, url: str) -> bool:
        parts = _parts(url)
        if parts is None or "\\" in url:  # a browser reads "\" as "/": the host is not sure
            return False
        if "://" in url and parts.scheme.lower() not in _HTTP:
            return False
        host = _host(parts)
        if any(host == own or host.endswith(f".{own}") for own in self.hosts):
            return True
        return _key(parts) in self.links


NO_LINKS = StoreLinks()


@dataclass(frozen=True)
class Kept:
    text: str
    dropped: list[str]  # the hosts (or links) that were taken out


def store_links(pages: Iterable[str], links: Iterable[str] = ()) -> StoreLinks:
    """The store's hosts from its own addresses (shop, product pages: "www." taken off, so
    that the bare domain and its other subdomains count too) and the exact links allowed."""
    hosts = {_host(parts).removeprefix("www.") for parts in map(_parts, pages) if parts}
    keys = {_key(parts) for parts in map(_parts, links) if parts}
    return StoreLinks(frozenset(filter(_HOSTNAME.fullmatch, hosts)), frozenset(filter(None, keys)))


def keep_store_links(text: str, allowed: StoreLinks) -> Kept:
    """The text without links other than the store's; unchanged when it has none."""
    dropped: list[str] = []
    clean = text.replace(_GAP, "")

    def mark(match: re.Match[str]) -> str:
        found = match.group(0)
        link = _without_trailing(found)
        after_at = clean[match.start() - 1 : match.start()] == "@"
        if not _is_link(link, after_at) or allowed.permits(link):
            return found
        parts = _parts(link)
        dropped.append((_host(parts) if parts else "") or link[:80])
        return _GAP + found[len(link) :]

    marked = _LINK.sub(mark, clean)
    if not dropped:
        return Kept(text, [])
    for pattern, replacement in _TIDY:
        marked = pattern.sub(replacement, marked)
    return Kept(marked.strip(), dropped)


def _without_trailing(found: str) -> str:
    """The link without the sentence's punctuation after it; a ")" it opened stays."""
    link = found.rstrip(_TRAILING)
    rest = found[len(link) :]
    while rest.startswith(")") and link.count("(") > link.count(")"):
        link, rest = link + ")", rest[1:]
    return link


def _is_link(found: str, after_at: bool) -> bool:
    if "://" in found:
        return True
    host, *path = re.split(r"[:/?#]", found, maxsplit=1)
    if after_at:  # an email address is not a link; "x@evil.example/form" still is
        return bool(path)
    last = host.rsplit(".", 1)[-1]
    return (
        bool(path)
        or host.lower().startswith("www.")
        or last.islower()
        or last.isupper()
        or last.lower() in _COMMON_ENDINGS
    )


def _parts(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip() if "://" in url else f"//{url.strip()}")
        _ = parts.port  # an unreadable port: not a link anyone can vouch for
    except ValueError:
        return None
    return parts if parts.hostname else None


def _host(parts: SplitResult) -> str:
    return (parts.hostname or "").rstrip(".").lower()


def _key(parts: SplitResult) -> str:
    """One link however it is written: no scheme, no "www.", no trailing slash, no fragment."""
    host = _host(parts).removeprefix("www.")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{parts.path.rstrip('/')}{query}" if host else ""


_STORE_ADDRESSES = sa.text(
    "SELECT 'page', name FROM merchants WHERE id = :merchant "
    "UNION ALL SELECT 'page', url FROM products WHERE id = ANY(:ids) AND url IS NOT NULL "
    "AND merchant_id = :merchant "
    "UNION ALL SELECT 'page', external_id FROM integrations "
    "WHERE kind IN ('shopify', 'woocommerce') AND merchant_id = :merchant "
    "UNION ALL SELECT 'link', link FROM journey_steps WHERE link <> '' AND merchant_id = :merchant"
)


def read_store_links(session: Session, product_ids: Iterable[uuid.UUID | None]) -> StoreLinks:
    """The store's addresses in one query: its name when that is a domain ("kozmetikcim.com"),
    its connected shop (a Shopify shop's id is its myshopify domain, a WooCommerce store's its
    address), the pages of the products the reply may speak of, and its journeys' links."""
    ids = list({product_id for product_id in product_ids if product_id is not None})
    rows = session.execute(
        _STORE_ADDRESSES, {"ids": ids, "merchant": current_merchant_id(session)}
    ).all()
    pages = [address for kind, address in rows if kind == "page"]
    return store_links(pages, [address for kind, address in rows if kind == "link"])
