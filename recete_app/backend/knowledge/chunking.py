"""Product sections -> searchable chunks. Every chunk carries the product's name and its
section, so a chunk read alone (by the agent, or by full-text search) still says what it is
about; FAQ entries are one chunk each; long sections are cut at sentence ends."""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass

SECTION_LABELS = {
    "en": {
        "description": "Description",
        "how_to_use": "How to use",
        "ingredients": "Ingredients",
        "warnings": "Warnings",
        "faq": "FAQ",
        "variants": "Variants and prices",
    },
    "tr": {
        "description": "Açıklama",
        "how_to_use": "Nasıl kullanılır",
        "ingredients": "İçindekiler",
        "warnings": "Uyarılar",
        "faq": "Sık sorulan sorular",
        "variants": "Seçenekler ve fiyatlar",
    },
}
# Words customers use when they ask about a section, in both languages (folded, so without
# Turkish letters). Indexed with each chunk of that section, never shown: "how long do i leave
# it on" should reach a product's usage, not its description, though both name the product.
SECTION_CUES = {
    "description": "what is it what does it do for whom benefits ne ise yarar nedir kimler icin",
    "how_to_use": (
        "how to use apply put how often how much how long many times a day week morning "
        "evening night leave on wait minutes drops amount routine step rinse results weeks "
        "nasil kullanilir uygula kac kez gunde haftada sabah aksam gece bekletmek dakika "
        "damla miktar surmek surmeli durulamak yenilemek sonuc etki hafta"
    ),
    "ingredients": (
        "ingredients whats in contains made of formula alcohol fragrance paraben active "
        "percent concentration ph icindekiler icerik icinde ne var alkol parfum etken madde "
        "yuzde orani oran isine yarar"
    ),
    "warnings": (
        "warning caution safe pregnant pregnancy breastfeeding irritation burning stinging "
        "redness rash allergy sun sensitivity combine together with avoid eyes stop "
        "uyari dikkat guvenli hamile hamilelik emzirme tahris yanma yakiyor kizariklik "
        "alerji gunes birlikte beraber kacinin goz birakin itch itches flammable normal "
        "shelf life opened expiry stain kasinti yaniyor acildiktan sonra raf omru leke"
    ),
    "faq": "question can i is it suitable ok vegan soru olur mu uygun mu",
    "variants": "size ml price cost how much sizes boyut fiyat kac para ne kadar",
}
MAX_CHARS = 900
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_FAQ_ENTRY = re.compile(r"(?m)^\s*(?:Q|S|Soru)\s*[:.)-]")


@dataclass(frozen=True)
class Chunk:
    section: str
    language: str
    heading: str  # "<product> — <section label>"
    body: str

    @property
    def text(self) -> str:
        return f"{self.heading}: {self.body}"

    @property
    def search_text(self) -> str:
        """What retrieval matches (full text and vectors): the text plus its section's cues."""
        return f"{self.text}\n{SECTION_CUES.get(self.section, '')}"

    @property
    def content_hash(self) -> str:
        key = f"{self.section}\n{self.language}\n{self.text}"
        return hashlib.sha256(key.encode()).hexdigest()


def chunk_section(title: str, section: str, language: str, body: str) -> list[Chunk]:
    body = body.strip()
    if not body:
        return []
    label = SECTION_LABELS.get(language, SECTION_LABELS["en"]).get(section, section)
    heading = f"{title} — {label}"
    pieces = _faq_entries(body) if section == "faq" else _pieces(body, MAX_CHARS - len(heading))
    return [Chunk(section, language, heading, piece) for piece in pieces]


def _faq_entries(body: str) -> list[str]:
    starts = [m.start() for m in _FAQ_ENTRY.finditer(body)]
    if len(starts) < 2:
        return _pieces(body, MAX_CHARS)
    bounds = [*starts, len(body)]
    head = body[: starts[0]].strip()
    entries = [body[a:b].strip() for a, b in itertools.pairwise(bounds)]
    return ([head] if head else []) + [" ".join(e.split()) for e in entries if e]


def _pieces(body: str, limit: int) -> list[str]:
    """Whole sentences, packed up to `limit` characters per piece."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(" ".join(body.split())):
        if current and len(current) + 1 + len(sentence) > limit:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
        while len(current) > limit:  # one sentence longer than a chunk: cut it
            pieces.append(current[:limit])
            current = current[limit:]
    if current:
        pieces.append(current)
    return pieces
