"""The default responder, no network: answers with the store's own sentences.

It picks the best retrieved section, keeps the sentences that speak to the question, and frames
them in the customer's language. It never writes a fact of its own, so what it says is as true
as the store's product pages; when the sources do not cover what was asked it says nothing and
the pipeline offers a person.
"""

from __future__ import annotations

import re

from recete_app.backend.agent.guardrails import MEDICAL_CLAIMS
from recete_app.backend.agent.responders import Draft, DraftRequest, Source
from recete_app.backend.knowledge.chunking import SECTION_CUES
from recete_app.backend.knowledge.embeddings import STOP_WORDS
from recete_app.backend.knowledge.text import fold, words

MAX_SENTENCES = 3
MAX_BODY_CHARS = 520
MIN_COVERAGE = 0.5  # share of the question's own words the chosen source must speak to
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÇĞİÖŞÜ0-9])")
_FAQ_ANSWER = re.compile(r"(?:^|\s)(?:A|C|Cevap)\s*[:.)-]\s*", re.IGNORECASE)
# Words every question about a product shares: they say nothing about which fact is wanted.
_GENERIC = frozenset(
    [
        "use",
        "using",
        "used",
        "product",
        "products",
        "thing",
        "stuff",
        "please",
        "hi",
        "hello",
        "help",
        "tell",
        "know",
        "want",
        "need",
        "would",
        "will",
        "just",
        "also",
        "really",
        "much",
        "very",
        "get",
        "got",
        "one",
        "bought",
        "ordered",
        "buy",
        "kullan",
        "kullanim",
        "urun",
        "urunu",
        "merhaba",
        "selam",
        "lutfen",
        "acaba",
        "bana",
        "bunu",
        "bunun",
        "sunu",
        "aldim",
        "aldigim",
        "siparis",
        "istiyorum",
        "olur",
        "mu",
        "mi",
        "mu",
        "nasil",
        "ne",
    ]
)
_FRAMES = {
    "en": {
        "how_to_use": "How to use {product}: {body}",
        "description": "About {product}: {body}",
        "ingredients": "What's in {product}: {body}",
        "warnings": "Good to know about {product}: {body}",
        "faq": "About {product}: {body}",
        "variants": "{product}: {body}",
        "closing": "Anything else I can help with?",
        "hello": "Hi {name}! ",
    },
    "tr": {
        "how_to_use": "{product} nasıl kullanılır: {body}",
        "description": "{product} hakkında: {body}",
        "ingredients": "{product} içeriği: {body}",
        "warnings": "{product} için bilmeniz gerekenler: {body}",
        "faq": "{product} hakkında: {body}",
        "variants": "{product}: {body}",
        "closing": "Başka bir sorunuz olursa yazabilirsiniz.",
        "hello": "Merhaba {name}! ",
    },
}


def _stems(text: str) -> set[str]:
    return {w[:5] for w in words(text) if w not in STOP_WORDS and w not in _GENERIC}


class LocalResponder:
    name = "local"

    def draft(self, request: DraftRequest) -> Draft:
        intent = request.intent or "other"
        if not request.sources:
            return Draft("", intent, [], 0.0)
        best = request.sources[0]
        coverage = _coverage(request.message, best)
        if intent not in ("usage",) and coverage < MIN_COVERAGE:
            return Draft("", intent, [], coverage)
        body = _body(request.message, best)
        if not body:
            return Draft("", intent, [], 0.0)
        frames = _FRAMES.get(request.language, _FRAMES["en"])
        hello = frames["hello"].format(name=request.customer_first_name)
        text = (
            (hello if request.customer_first_name and not request.history else "")
            + frames.get(best.section, frames["description"]).format(
                product=best.product, body=body
            )
            + "\n\n"
            + frames["closing"]
        )
        return Draft(text, intent, [best.ref], max(coverage, 0.5))


def _coverage(question: str, source: Source) -> float:
    asked = _stems(question)
    if not asked:
        return 1.0
    known = _stems(f"{source.product} {source.text} {SECTION_CUES.get(source.section, '')}")
    return len(asked & known) / len(asked)


def _body(question: str, source: Source) -> str:
    text = source.text
    if source.section == "faq":
        parts = _FAQ_ANSWER.split(text, maxsplit=1)
        text = parts[1] if len(parts) == 2 else text
    sentences = [
        s.strip()
        for s in _SENTENCE_END.split(text)
        if s.strip() and not MEDICAL_CLAIMS.search(fold(s))
    ]
    if len(" ".join(sentences)) <= MAX_BODY_CHARS:
        return " ".join(sentences)
    asked = _stems(question) | _stems(SECTION_CUES.get(source.section, ""))
    ranked = sorted(
        range(len(sentences)),
        key=lambda i: (len(asked & _stems(sentences[i])), -i),
        reverse=True,
    )
    chosen: list[int] = []
    for index in ranked:
        if len(chosen) == MAX_SENTENCES:
            break
        if sum(len(sentences[i]) for i in chosen) + len(sentences[index]) <= MAX_BODY_CHARS:
            chosen.append(index)
    return " ".join(sentences[i] for i in sorted(chosen))
