"""Where a page keeps its product: the main region, the product's name, and whether anything
on the page is for sale at all (a price, a cart button) when no structured data says so."""

from __future__ import annotations

import re

from recete_app.backend.scraping.html_document import (
    HtmlDocument,
    Node,
    clean_line,
    iter_nodes,
    tag_names,
    visible_text,
)

_MAIN_TAGS = ("main", "article")
_PAGE_FURNITURE = tag_names("nav aside")
_FURNITURE_ROLES = tag_names("navigation complementary banner contentinfo search")
_BLOCK_CANDIDATES = frozenset({"div", "section", "td", "body"})
_PRICE = re.compile(
    r"(?:[$€£₺]\s?\d|\d(?:[\d.,]*\d)?\s?(?:TL|TRY|USD|EUR|GBP|₺|€|\$|£)(?![A-Za-z]))"
)
_BUY = re.compile(
    r"add to (?:cart|bag|basket)|buy (?:it )?now|sepete ekle|satın al|hemen al", re.IGNORECASE
)


def main_region(doc: HtmlDocument) -> Node | None:
    """<main>, role="main" or <article>: the region a page marks as its content."""
    return next(
        (n for n in iter_nodes(doc.root) if n.tag in _MAIN_TAGS or n.attrs.get("role") == "main"),
        None,
    )


def body(doc: HtmlDocument) -> Node:
    return next((n for n in iter_nodes(doc.root) if n.tag == "body"), doc.root)


def largest_text_block(doc: HtmlDocument) -> Node:
    """The block holding the most paragraph text: a page's content when nothing marks it."""
    return max(iter_nodes(doc.root), key=_paragraph_chars, default=doc.root)


def page_title(doc: HtmlDocument) -> str:
    h1 = next((n for n in iter_nodes(doc.root) if n.tag == "h1" and doc.readable(n)), None)
    heading = visible_text(doc, h1) if h1 is not None else ""
    # "<title>Rose Serum | Glow Store</title>": the store's name is not the product's.
    return heading or clean_line(re.split(r" [|–—] ", doc.title)[0])


def for_sale(doc: HtmlDocument, content: str) -> bool:
    """A price in the page's content (not a "0,00 TL" cart total in its header), or a way to
    buy: what a product page has and a blog index, a login page or an "about us" page lacks."""
    if any(re.search(r"[1-9]", price.group()) for price in _PRICE.finditer(content)):
        return True
    for node in iter_nodes(doc.root):
        if node.tag == "form" and re.search(r"cart|sepet", node.attrs.get("action", ""), re.I):
            return True
        if node.tag in ("button", "input", "a"):
            label = f"{node.attrs.get('value', '')} {node.attrs.get('aria-label', '')}"
            if _BUY.search(label) or (node.tag != "input" and _BUY.search(visible_text(doc, node))):
                return True
    return False


def furniture(node: Node) -> bool:
    """Navigation and sidebars; a page-level header or footer (not one inside an article)."""
    if node.tag in _PAGE_FURNITURE or node.attrs.get("role") in _FURNITURE_ROLES:
        return True
    if node.tag in ("header", "footer"):
        parent = node.parent
        while parent is not None and parent.tag not in ("main", "article", "section"):
            parent = parent.parent
        return parent is None
    return _buying_form(node)


def _buying_form(node: Node) -> bool:
    if node.tag != "form":
        return False
    marks = " ".join(node.attrs.get(k, "") for k in ("action", "class", "id")).lower()
    return any(mark in marks for mark in ("cart", "sepet", "product-form", "product_form"))


def _paragraph_chars(node: Node) -> int:
    if node.tag not in _BLOCK_CANDIDATES:
        return -1
    own = sum(len(c.strip()) for c in node.children if isinstance(c, str))
    paragraphs = [c for c in node.children if isinstance(c, Node) and c.tag in ("p", "ul", "ol")]
    return own + sum(len(_all_text(p)) for p in paragraphs)


def _all_text(node: Node) -> str:
    return clean_line(
        " ".join(c for n in iter_nodes(node) for c in n.children if isinstance(c, str))
    )
