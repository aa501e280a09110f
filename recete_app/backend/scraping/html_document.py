"""A fetched page's HTML as a tree, read as data: nothing in it is fetched or run.

Parser: the standard library's `html.parser`. It tokenises anything (unclosed tags, stray end
tags, junk bytes) without raising, never follows a URL or runs a script, and needs no native
wheel. It does not build a tree, so the few rules of a browser's tree building that change which
text sits under which element (void elements, the implicit end of <p>, <li>, <dt>/<dd>, cells,
an end tag closing what it skips over) are applied here; nothing more is needed to read text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from recete_app.backend.scraping.errors import ScrapeError
from recete_app.backend.scraping.pages import Page


def tag_names(names: str) -> frozenset[str]:
    """A set of names written as one space-separated string: long lists stay readable."""
    return frozenset(names.split())


MAX_DEPTH = 160  # deeper nesting is flattened: readers recurse, and no real page needs more
VOID_TAGS = tag_names("area base br col embed hr img input keygen link meta param source track wbr")
# Never text a shopper reads: code, styling, embedded documents, form controls, the head.
UNREAD_TAGS = tag_names(
    "script style noscript template svg math iframe object embed canvas select option "
    "datalist textarea input head title meta link"
)
_CLOSES_P = tag_names(
    "address article aside blockquote details dialog div dl fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr main nav ol p pre section summary table ul"
)
# An item start ends the open item of its kind, up to (not past) its container.
_ITEMS = {
    "li": ({"li"}, {"ul", "ol", "menu"}),
    "dt": ({"dt", "dd"}, {"dl"}),
    "dd": ({"dt", "dd"}, {"dl"}),
    "tr": ({"tr"}, {"table", "tbody", "thead", "tfoot"}),
    "td": ({"td", "th"}, {"tr", "table"}),
    "th": ({"td", "th"}, {"tr", "table"}),
}
_HIDDEN_CLASSES = tag_names(
    "hidden d-none is-hidden visually-hidden visuallyhidden sr-only screen-reader-text"
)
_HIDDEN_STYLE = re.compile(
    r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$|!)"
    r"|font-size\s*:\s*0(?:px|em|rem|%)?\s*(?:;|$|!))",
    re.IGNORECASE,
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_SPACE = re.compile(r"\s+")
_KEPT_CONTROLS = frozenset("\n\t")


@dataclass(eq=False)  # compared and hashed by identity: nodes are kept in sets
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    depth: int = 0
    children: list[Node | str] = field(default_factory=list)


@dataclass
class HtmlDocument:
    root: Node
    title: str = ""
    lang: str | None = None
    meta: dict[str, str] = field(default_factory=dict)  # property or name, lower case -> content
    canonical: str | None = None
    links: list[str] = field(default_factory=list)  # every <a href>, in page order
    json_ld: list[tuple[int, str]] = field(default_factory=list)  # (links before it, raw JSON)
    ids: set[str] = field(default_factory=set)
    panel_triggers: dict[str, Node] = field(default_factory=dict)  # panel id -> its tab/button

    def readable(self, node: Node) -> bool:
        """Whether a shopper can see the node's text: not code or a control, not hidden. A
        collapsed accordion or tab panel counts as seen: one click opens it."""
        if node.tag in UNREAD_TAGS:
            return False
        attrs = node.attrs
        openable = (
            attrs.get("id") in self.panel_triggers
            or attrs.get("role") == "tabpanel"
            or attrs.get("hidden") == "until-found"
        )
        hidden = (
            "hidden" in attrs
            or attrs.get("aria-hidden", "").strip().lower() == "true"
            or bool(_HIDDEN_STYLE.search(attrs.get("style", "")))
            or not _HIDDEN_CLASSES.isdisjoint(attrs.get("class", "").lower().split())
        )
        return openable or not hidden


def decoded_body(page: Page) -> str:
    """The page's text, in the charset its headers or its own <meta> declare (older Turkish
    stores still serve windows-1254); UTF-8 when the name is unknown or not a text encoding
    ("rot13", "base64": a page must not pick a transform for us)."""
    charset = page.charset
    if charset is None:
        declared = _META_CHARSET.search(page.body[:4096])
        charset = declared.group(1).decode("ascii").lower() if declared else None
        # As browsers do: a <meta> read as ASCII cannot truly mean UTF-16 or UTF-32.
        charset = "utf-8" if charset and charset.startswith(("utf-16", "utf-32")) else charset
    try:
        return page.body.decode(charset or "utf-8", errors="replace")
    except (LookupError, ValueError):
        return page.body.decode("utf-8", errors="replace")


def parse_html(html: str) -> HtmlDocument:
    builder = _TreeBuilder()
    try:
        builder.feed(html)
        builder.close()
    except Exception as error:  # html.parser is lenient; any failure is still "unreadable"
        raise ScrapeError("The page's HTML could not be read.", code="no_product_data") from error
    return _scanned(builder.root)


def fragment_html(text: str) -> str:
    """Markup to parse for a description that may be plain text: its line breaks kept."""
    return text if re.search(r"<[a-zA-Z/!]", text) else text.replace("\n", "<br>")


def plain_text(markup: str) -> str:
    """One line of text from a snippet that may hold HTML (a JSON-LD answer): tags dropped,
    entities decoded, hidden parts left out."""
    if "<" not in markup and "&" not in markup:
        return clean_line(markup)
    doc = parse_html(markup)
    return visible_text(doc, doc.root)


def iter_nodes(root: Node) -> Iterator[Node]:
    """Every element under `root` (itself first), in page order."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in reversed(node.children) if isinstance(child, Node))


def raw_text(node: Node) -> str:
    parts: list[str] = []
    for item in iter_nodes(node):
        parts.extend(child for child in item.children if isinstance(child, str))
    return "".join(parts)


def visible_text(doc: HtmlDocument, node: Node) -> str:
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            parts.append(child)
        elif doc.readable(child):
            parts.append(f" {visible_text(doc, child)} ")
    return clean_line("".join(parts))


def clean_line(text: str) -> str:
    """One line of untrusted text: control and invisible format characters (zero-width,
    bidirectional overrides) removed, whitespace collapsed."""
    kept = "".join(
        c
        for c in text
        if c in _KEPT_CONTROLS or unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs")
    )
    return _SPACE.sub(" ", kept).strip()


def capped(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind("\n"), cut.rfind(" "))
    return (cut[:end] if end > limit // 2 else cut).rstrip()


def _scanned(root: Node) -> HtmlDocument:
    doc = HtmlDocument(root)
    triggers: dict[str, Node] = {}
    for node in iter_nodes(root):
        tag, attrs = node.tag, node.attrs
        if "id" in attrs:
            doc.ids.add(attrs["id"])
        if tag == "html" and doc.lang is None:
            doc.lang = attrs.get("lang") or attrs.get("xml:lang")
        elif tag == "meta" and "content" in attrs:
            key = (attrs.get("property") or attrs.get("name") or "").strip().lower()
            if key:
                doc.meta.setdefault(key, attrs["content"])
        elif tag == "link" and "canonical" in attrs.get("rel", "").lower().split():
            doc.canonical = doc.canonical or attrs.get("href")
        elif tag == "title" and not doc.title:
            doc.title = clean_line(raw_text(node))
        elif tag == "a" and attrs.get("href"):
            doc.links.append(attrs["href"])
        elif tag == "script" and attrs.get("type", "").split(";")[0].strip().lower() == (
            "application/ld+json"
        ):
            doc.json_ld.append((len(doc.links), raw_text(node)))
        for target in _panel_targets(attrs):
            triggers.setdefault(target, node)
    doc.panel_triggers = {key: node for key, node in triggers.items() if key in doc.ids}
    return doc


def _panel_targets(attrs: dict[str, str]) -> list[str]:
    targets = attrs.get("aria-controls", "").split()
    is_tab = attrs.get("role") == "tab" or "data-toggle" in attrs or "data-bs-toggle" in attrs
    href = attrs.get("href", "")
    if is_tab and href.startswith("#") and len(href) > 1:
        targets.append(href[1:])
    return targets


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self._open: list[Node] = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        top = self._open[-1]
        if tag in _CLOSES_P and top.tag == "p":
            self._open.pop()
        if tag in _ITEMS:
            self._end_open_item(*_ITEMS[tag])
        parent = self._open[-1]
        values: dict[str, str] = {}
        for name, value in attrs:
            values.setdefault(name, value or "")
        node = Node(tag, values, parent, parent.depth + 1)
        parent.children.append(node)
        if tag not in VOID_TAGS and len(self._open) < MAX_DEPTH:
            self._open.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and self._open[-1].tag == tag and len(self._open) > 1:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, 0, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        children = self._open[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)

    def _end_open_item(self, kinds: set[str], containers: set[str]) -> None:
        for index in range(len(self._open) - 1, 0, -1):
            tag = self._open[index].tag
            if tag in containers:
                return
            if tag in kinds:
                del self._open[index:]
                return
