"""Which product section a heading names, in English or Turkish: "How to use", "Directions",
"Nasıl Kullanılır", "Full ingredients list", "İçindekiler", "Uyarılar", "Sık Sorulan Sorular"...

Headings are compared folded (Turkish-aware lower case, accents dropped), so "İÇİNDEKİLER",
"içindekiler" and "Icindekiler" are one heading. A keyword may take Turkish suffixes
("Kullanımı", "Uyarılar") and a few leading words ("Full", "Key", "Ürün")."""

from __future__ import annotations

import re

from recete_app.backend.text import fold

_KEYWORDS = {
    "how_to_use": (
        "how to use|how to apply|how do i use|how should i use|directions|usage|suggested use"
        "|recommended use|application|kullanim|kullanma|nasil kullanilir|nasil uygulanir"
        "|uygulama|uygulanis"
    ),
    "ingredients": "ingredient|inci|what s inside|icindekiler|icerik|icerig|bilesen",
    "warnings": "warning|caution|precaution|safety|uyari|dikkat|guvenlik",
    "faq": (
        "faq|frequently asked|questions|q a|sik sorulan|sikca sorulan|sss|merak edilen|sorular"
    ),
    "description": (
        "description|details|overview|about this product|about the product|benefits|features"
        "|aciklama|detay|urun bilgi|ozellik|fayda|hakkinda"
    ),
}
_LEADING = (
    "full|complete|key|all|the|our|product|important|general|detailed|tum|tam|urun|onemli|genel"
    "|detayli"
)
_TRAILING = "list|info|information|instructions|and|for|of|use|ve|bilgi|talimat|oneri|sekl|liste"
_ANY_KEYWORD = "|".join(_KEYWORDS.values())
# A heading element: the keyword starts it ("How to use it on damp skin" is still usage).
_HEADING = [
    (section, re.compile(rf"(?:(?:{_LEADING}) )*(?:{words})[a-z]*(?: |$)"))
    for section, words in _KEYWORDS.items()
]
# A line of text used as a heading ("<b>Ingredients:</b> Aqua, ..."): nothing but heading words.
_LINE_HEADING = [
    (
        section,
        re.compile(
            rf"(?:(?:{_LEADING}) )*(?:{words})[a-z]*(?: (?:{_TRAILING}|{_ANY_KEYWORD})[a-z]*)*"
        ),
    )
    for section, words in _KEYWORDS.items()
]
_WORD = re.compile(r"[a-z0-9]+")
_LEAD_LABEL = re.compile(r"^([^:]{2,60}):\s*(.*)$", re.DOTALL)
MAX_HEADING_WORDS = 8
MAX_LINE_HEADING_WORDS = 6


def _normalised(text: str) -> str:
    return " ".join(_WORD.findall(fold(text)))


def heading_section(text: str) -> str | None:
    """The section a heading element (h1-h6, summary, tab, accordion button) names, if any."""
    words = _normalised(text)
    if not words or words.count(" ") >= MAX_HEADING_WORDS:
        return None
    return next((section for section, rule in _HEADING if rule.match(words)), None)


def line_heading(line: str) -> tuple[str, str] | None:
    """(section, rest of the line) when a line of text is a heading: the whole line ("How to
    use") or a label before a colon ("Ingredients: Aqua, Glycerin")."""
    labelled = _LEAD_LABEL.match(line)
    label, rest = (labelled.group(1), labelled.group(2)) if labelled else (line, "")
    words = _normalised(label)
    if not words or words.count(" ") >= MAX_LINE_HEADING_WORDS:
        return None
    for section, rule in _LINE_HEADING:
        if rule.fullmatch(words):
            return section, rest.strip()
    return None


def is_question(text: str) -> bool:
    return text.rstrip().endswith("?") and len(text) <= 300
