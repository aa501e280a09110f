"""The default responder, no network: answers with the store's own sentences.

It picks the best retrieved section, keeps the sentences that speak to the question, and frames
them in the customer's language. It never writes a fact of its own, so what it says is as true
as the store's product pages; when the sources do not cover what was asked it says nothing and
the pipeline offers a person.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from recete_app.backend.agent.answer_words import MEDICINES, hinted, hinted_and_answered, stems
from recete_app.backend.agent.guardrails import INJECTION, MEDICAL_CLAIMS
from recete_app.backend.agent.naming import KIND_WORDS, asks_about_several, other_names
from recete_app.backend.agent.responders import Draft, DraftRequest, Source
from recete_app.backend.knowledge.chunking import SECTION_CUES
from recete_app.backend.knowledge.search import section_prior
from recete_app.backend.text import fold

MAX_SENTENCES = 3
MAX_BODY_CHARS = 520
MIN_COVERAGE = 0.25  # share of the question's own words the product's sources must speak to
# With no intent from the rules (maybe small talk), the sources must speak to more of it.
MIN_COVERAGE_UNSURE = 0.6
# A sentence naming another of the products asked about together speaks to the pair.
MENTION_BONUS = 3.0
KIND_MENTION_BONUS = 1.0
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÇĞİÖŞÜ0-9])")
_FAQ_ANSWER = re.compile(r"(?:^|\s)(?:A|C|Cevap)\s*[:.)-]\s*", re.IGNORECASE)
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


class LocalResponder:
    name = "local"

    def draft(self, request: DraftRequest) -> Draft:
        intent = request.intent or "product_question"
        if not request.sources:
            return Draft("", request.intent or "other", [], 0.0)
        if request.intent is None and not stems(request.message):
            return Draft("", "other", [], 0.0)  # "hi there": nothing to look up
        pools = _pools(request)
        if _unanswered_medicine(request.message, pools):
            return Draft("", intent, [], 0.0)
        coverage = _coverage(request.message, [s for pool in pools for s in pool.sources])
        minimum = MIN_COVERAGE if request.intent else MIN_COVERAGE_UNSURE
        if intent != "usage" and coverage < minimum:
            return Draft("", request.intent or "other", [], coverage)
        budget = Budget(MAX_SENTENCES, MAX_BODY_CHARS) if len(pools) == 1 else PER_PRODUCT
        picks = [_sentences(request.message, intent, pool, budget) for pool in pools]
        frames = _FRAMES.get(request.language, _FRAMES["en"])
        parts = [
            _framed(c, pool.sources, frames) for c, pool in zip(picks, pools, strict=True) if c
        ]
        if not parts:
            return Draft("", intent, [], 0.0)
        hello = frames["hello"].format(name=request.customer_first_name)
        greeting = hello if request.customer_first_name and not request.history else ""
        body = "\n".join(parts)
        text = f"{greeting}{body}\n\n{frames['closing']}"
        used = sorted({source.ref for chosen in picks for source, _ in chosen})
        return Draft(text, intent, used, max(coverage, 0.5))


Pick = tuple[Source, str]


@dataclass(frozen=True)
class Budget:
    sentences: int
    chars: int
    # Past the first, only sentences that share a word with the question (an answer for each
    # of several products has no room for one that merely comes from the right section).
    relevant_only: bool = False


# "Can I use both?": each product gets its own short answer.
PER_PRODUCT = Budget(2, MAX_BODY_CHARS // 2, relevant_only=True)


@dataclass(frozen=True)
class Pool:
    """One product's sources, and the names of the customer's other products it may mention."""

    sources: list[Source]
    others: frozenset[str] = frozenset()


def _pools(request: DraftRequest) -> list[Pool]:
    """The best source's product; or, asked about several bought products at once, each of
    them (a sentence naming another of them is about the pair, which is what was asked)."""
    bought = {p.product_id for p in request.purchases if p.product_id is not None}
    ranked = list(dict.fromkeys(s.product_id for s in request.sources))
    several = [pid for pid in ranked if pid in bought]
    if len(several) < 2 or not asks_about_several(request.message):
        top = request.sources[0].product_id
        return [Pool([s for s in request.sources if s.product_id == top])]
    pools = [[s for s in request.sources if s.product_id == pid] for pid in several]
    titles = [pool[0].product for pool in pools]
    return [
        Pool(pool, frozenset(other_names(title, [t for t in titles if t != title])))
        for pool, title in zip(pools, titles, strict=True)
    ]


def _unanswered_medicine(question: str, pools: list[Pool]) -> bool:
    """ "I'm on roaccutane, can I use the retinol?": a person answers, unless the page itself
    speaks about that medicine."""
    asked = MEDICINES.search(fold(question))
    if asked is None:
        return False
    texts = " ".join(fold(source.text) for pool in pools for source in pool.sources)
    return asked.group(0) not in texts


def _framed(chosen: list[Pick], pool: list[Source], frames: dict[str, str]) -> str:
    lead = chosen[0][0]
    body = " ".join(sentence for _source, sentence in sorted(chosen, key=_reading_order(pool)))
    frame = frames.get(lead.section, frames["description"])
    return frame.format(product=lead.product, body=body)


def _coverage(question: str, pool: list[Source]) -> float:
    asked = stems(question)
    if not asked:
        return 1.0
    known: set[str] = set()
    for source in pool:
        cues = SECTION_CUES.get(source.section, "")
        known |= stems(f"{source.product} {source.text} {cues}")
    return len(asked & (known | hinted_and_answered(question, known))) / len(asked)


def _sentences(question: str, intent: str, pool: Pool, budget: Budget) -> list[Pick]:
    """The sentences of the product's sources that speak most to the question."""
    scored = sorted(_scored(question, intent, pool), reverse=True)
    chosen: list[Pick] = []
    length = 0
    for _score, _order, overlap, pick in scored:
        if len(chosen) == budget.sentences or length + len(pick[1]) > budget.chars:
            break
        if chosen and budget.relevant_only and not overlap:
            continue
        chosen.append(pick)
        length += len(pick[1]) + 1
    if not chosen and scored:  # one long sentence (an ingredient list): its start, cut at a word
        source, sentence = scored[0][3]
        chosen.append((source, sentence[: budget.chars].rsplit(" ", 1)[0] + " …"))
    return chosen


def _scored(question: str, intent: str, pool: Pool) -> list[tuple[float, int, float, Pick]]:
    """Each sentence with its score, its place on the page (ties read in order) and how much
    it shares with the question."""
    asked = stems(question) | hinted(question)
    prior = dict(section_prior(question))
    if intent == "usage":
        prior["how_to_use"] = prior.get("how_to_use", 0.0) + 2.5
    scored = []
    for rank, source in enumerate(pool.sources):
        for position, sentence in enumerate(_split(source)):
            said = stems(sentence)
            # An ingredient list names substances ("castor oil"), never the customer's products.
            others = pool.others if source.section != "ingredients" else frozenset()
            overlap = len(asked & said) + _mention(others & said)
            score = overlap + 0.8 * prior.get(source.section, 0.0) + 0.3 / (1 + rank)
            scored.append((score, -(rank * 100 + position), overlap, (source, sentence)))
    return scored


def _mention(named: frozenset[str]) -> float:
    """How much a sentence naming the other products speaks to the pair: "the rosemary oil"
    names one, "follow with toner" only its kind."""
    if named - KIND_WORDS:
        return MENTION_BONUS
    return KIND_MENTION_BONUS if named else 0.0


def _split(source: Source) -> list[str]:
    text = source.text
    if source.section == "faq":
        parts = _FAQ_ANSWER.split(text, maxsplit=1)
        text = parts[1] if len(parts) == 2 else text
    return [
        s.strip()
        for s in _SENTENCE_END.split(text)
        # A product page is untrusted: an instruction in it is never repeated to a customer.
        if s.strip() and not MEDICAL_CLAIMS.search(fold(s)) and not INJECTION.search(fold(s))
    ]


def _reading_order(pool: list[Source]) -> Callable[[Pick], tuple[int, int]]:
    """Chosen sentences read in the order the store wrote them."""

    def key(pick: Pick) -> tuple[int, int]:
        source, sentence = pick
        return pool.index(source), source.text.find(sentence)

    return key
