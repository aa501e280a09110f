"""A page's visible text split into product sections by its own headings.

The page is read as a sequence of headings and lines of text. A heading naming a section (see
`section_headings`) opens it; the section ends at the next heading of the same or higher rank,
or when the element around its heading ends (the <details>, accordion item or tab panel), once
text has been collected. Under an FAQ heading, sub-headings and lines ending in "?" are
questions, and the text after each its answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from recete_app.backend.scraping.html_document import (
    HtmlDocument,
    Node,
    clean_line,
    fragment_html,
    parse_html,
    tag_names,
    visible_text,
)
from recete_app.backend.scraping.page_layout import furniture
from recete_app.backend.scraping.section_headings import heading_section, is_question, line_heading

TRIGGER_LEVEL = 7  # <summary>, <dt>, a tab or accordion button: below any <h6>
LINE_LEVEL = 8  # a line of text that reads as a heading ("Ingredients:")
_BLOCK_TAGS = tag_names(
    "address article aside blockquote body dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre "
    "section summary table tbody thead tfoot tr ul"
)
_INLINE_TAGS = tag_names(
    "a abbr b bdi bdo cite code em font i kbd mark q s small span strong sub sup u"
)
_QUESTION_LABELS = ("Q", "S", "Soru")  # Turkish: Soru / Cevap
_ANSWER_LABELS = ("A", "C", "Cevap")
_QUESTION_FIRST = re.compile(r"^([^.!?\n]{3,200}\?)\s+(\S.*)$", re.DOTALL)


@dataclass(frozen=True)
class PageText:
    sections: dict[str, str]  # headed sections found; FAQ as "Q: ...\nA: ..." entries
    other: str  # lines under no recognised heading


@dataclass(frozen=True)
class _Heading:
    text: str
    level: int
    depth: int
    within: frozenset[Node]  # the elements around it: the section ends when one of them does


@dataclass(frozen=True)
class _Line:
    text: str
    depth: int
    within: frozenset[Node]


@dataclass(frozen=True)
class _End:
    node: Node


_Event = _Heading | _Line | _End


def read_sections(doc: HtmlDocument, region: Node) -> PageText:
    writer = _SectionWriter()
    for event in _Reader(doc).events(region):
        if isinstance(event, _Heading):
            writer.heading(event)
        elif isinstance(event, _Line):
            writer.line(event)
        else:
            writer.end(event.node)
    return writer.result()


def read_fragment(markup: str) -> PageText:
    """Sections of a description written as HTML (Shopify's body_html) or as plain text."""
    if not markup.strip():
        return PageText({}, "")
    doc = parse_html(fragment_html(markup))
    return read_sections(doc, doc.root)


def faq_text(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f"Q: {q}\nA: {a}" if a else f"Q: {q}" for q, a in pairs if q)


def _heading_level(doc: HtmlDocument, node: Node) -> int | None:
    tag, attrs = node.tag, node.attrs
    if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
        return int(tag[1])
    if attrs.get("role") == "heading":
        level = attrs.get("aria-level", "2")
        return min(max(int(level), 1), 6) if level.isdigit() else 2
    if tag in ("summary", "dt") or _is_trigger(node):
        return TRIGGER_LEVEL
    return None


def _is_trigger(node: Node) -> bool:
    attrs = node.attrs
    return "aria-controls" in attrs or "aria-expanded" in attrs or attrs.get("role") == "tab"


class _Reader:
    """Flattens the tree into headings, lines and element ends, skipping what is not read."""

    def __init__(self, doc: HtmlDocument) -> None:
        self._doc = doc
        self._events: list[_Event] = []
        self._buffer: list[str] = []
        self._path: list[Node] = []
        self._item = False
        self._triggers = set(doc.panel_triggers.values())

    def events(self, region: Node) -> list[_Event]:
        self._visit(region)
        self._flush()
        return self._events

    def _visit(self, node: Node) -> None:
        doc = self._doc
        if not doc.readable(node) or furniture(node):
            return
        level = _heading_level(doc, node)
        if level is not None:
            if node in self._triggers:
                return  # its panel is read as the section, wherever it is
            self._flush()
            text = visible_text(doc, node)
            if text:
                self._events.append(_Heading(text, level, len(self._path), frozenset(self._path)))
            return
        if node.tag == "button":
            return  # "Add to cart", "Close", quantity steppers
        trigger = doc.panel_triggers.get(node.attrs.get("id", ""))
        if trigger is not None:
            self._flush()
            within = frozenset([*self._path, node])
            label = visible_text(doc, trigger)
            self._events.append(_Heading(label, TRIGGER_LEVEL, len(self._path), within))
        self._read_children(node)

    def _read_children(self, node: Node) -> None:
        tag = node.tag
        block = tag in _BLOCK_TAGS
        if block or tag == "br":
            self._flush()
        self._item = self._item or tag == "li"
        self._path.append(node)
        for child in node.children:
            if isinstance(child, str):
                self._buffer.append(child)
            else:
                self._visit(child)
        if tag in ("td", "th"):
            self._buffer.append(" ")
        if block:  # flushed inside the block: a heading line ends with it ("<p>Ingredients: ..")
            self._flush()
        self._path.pop()
        self._item = self._item and tag != "li"
        if tag not in _INLINE_TAGS:
            self._events.append(_End(node))

    def _flush(self) -> None:
        text = clean_line("".join(self._buffer))
        self._buffer.clear()
        if not text:
            return
        if self._item:
            text = f"- {text}"
            self._item = False
        self._events.append(_Line(text, len(self._path), frozenset(self._path)))


@dataclass
class _Faq:
    intro: list[str] = field(default_factory=list)
    entries: list[tuple[str, list[str]]] = field(default_factory=list)

    def question(self, text: str) -> None:
        self.entries.append((_unlabelled(text, _QUESTION_LABELS), []))

    def line(self, text: str) -> None:
        # "<b>Vegan?</b> Yes." reads as one line: the question, then its answer.
        while (asked := _QUESTION_FIRST.match(text)) and not _labelled(text, _ANSWER_LABELS):
            self.question(asked.group(1))
            text = asked.group(2)
        if is_question(text) or _labelled(text, _QUESTION_LABELS):
            self.question(text)
        elif self.entries:
            self.entries[-1][1].append(_unlabelled(text, _ANSWER_LABELS))
        else:
            self.intro.append(text)

    def text(self) -> str:
        pairs = faq_text([(q, " ".join(answers)) for q, answers in self.entries])
        return "\n".join([*self.intro, pairs]).strip()


def _labelled(text: str, labels: tuple[str, ...]) -> bool:
    head, colon, _ = text.partition(":")
    return bool(colon) and head.strip() in labels


def _unlabelled(text: str, labels: tuple[str, ...]) -> str:
    return text.partition(":")[2].strip() if _labelled(text, labels) else text


class _SectionWriter:
    def __init__(self) -> None:
        self._texts: dict[str, list[str]] = {}
        self._other: list[str] = []
        self._faq = _Faq()
        self._current: str | None = None
        self._opener: _Heading | None = None
        self._has_text = False

    def heading(self, heading: _Heading) -> None:
        in_faq = self._current == "faq"
        section = None if in_faq and is_question(heading.text) else heading_section(heading.text)
        if section is not None:
            self._open(section, heading)
        elif self._current is not None and not self._closed_by(heading):
            if in_faq:
                self._faq.question(heading.text)
            else:
                self._add(heading.text)
        elif is_question(heading.text):  # an FAQ without an FAQ heading: <summary>Vegan?</summary>
            self._open("faq", heading)
            self._faq.question(heading.text)
        else:
            self._close()

    def line(self, line: _Line) -> None:
        found = None if self._current == "faq" else line_heading(line.text)
        if found is None:
            self._add(line.text)
            return
        section, rest = found
        self._open(section, _Heading(line.text, LINE_LEVEL, line.depth, line.within))
        if rest:
            self._add(rest)

    def end(self, node: Node) -> None:
        if self._opener is not None and self._has_text and node in self._opener.within:
            self._close()

    def result(self) -> PageText:
        sections = {key: "\n".join(lines) for key, lines in self._texts.items() if lines}
        faq = self._faq.text()
        if faq:
            sections["faq"] = faq
        return PageText(sections, "\n".join(self._other))

    def _closed_by(self, heading: _Heading) -> bool:
        opener = self._opener
        if opener is None:
            return True
        both_ranked = heading.level <= 6 and opener.level <= 6
        outranks = heading.level <= opener.level
        return outranks and (heading.depth <= opener.depth or both_ranked)

    def _open(self, section: str, heading: _Heading) -> None:
        self._close()
        self._current, self._opener = section, heading

    def _close(self) -> None:
        self._current, self._opener, self._has_text = None, None, False

    def _add(self, text: str) -> None:
        if self._current is None:
            self._other.append(text)
            return
        self._has_text = True
        if self._current == "faq":
            self._faq.line(text)
        else:
            self._texts.setdefault(self._current, []).append(text)
