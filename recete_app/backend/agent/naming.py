"""Which product a question is about when it names one the customer did not buy ("thinking of
getting your body lotion too, would it help?"): the answer is then about that product."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping

from recete_app.backend.knowledge.embeddings import STOP_WORDS
from recete_app.backend.text import fold, words

# Where on the body, not which product: "skin" names no product, however many titles say it.
BODY_WORDS = frozenset(["skin", "cilt", "cilde", "cildi", "hair", "face", "yuz", "body", "vucut"])
# What kind of product: a title sharing one of these with the question is named by it, while a
# shared describing word ("sensitive") is not enough against the "it" of a bought product.
_KINDS = (
    "serum cream cleanser toner shampoo conditioner mask oil balm lotion sunscreen gel spray "
    "moisturiser moisturizer water treatment krem temizleyici tonik sampuan maske yag losyon "
    "sprey nemlendirici"
)
KIND_WORDS = frozenset(w[:5] for w in _KINDS.split())
POINTS_AT_PURCHASE = re.compile(r"\b(it|this|these|bu|bunu|bunlar|mine)\b")
# "Can I use both?", "ikisini birlikte": a question about more than one of their products.
SEVERAL = re.compile(
    r"\b(both|them|they|together|each|all of them|ikisi\w*|ikisin\w*|hepsi\w*|birlikte|"
    r"beraber|ayni anda)\b"
)


def name_words(text: str) -> list[str]:
    """The words of a title that can name it: not its size ("30 ml"), not "for", not "skin"."""
    return [
        w
        for w in words(text)
        if len(w) > 2 and not w.isdigit() and w not in STOP_WORDS and w not in BODY_WORDS
    ]


def name_stems(text: str) -> set[str]:
    return {w[:5] for w in name_words(text)}


def named_product(
    question: str, titles: Mapping[uuid.UUID, str], bought: Collection[uuid.UUID]
) -> uuid.UUID | None:
    """The product `question` names, when it is not one of `bought`. `titles` come best match
    first (a tie goes to the product retrieval ranked higher)."""
    if not titles:
        return None
    asked = name_stems(question)
    score = {pid: _name_score(asked, title) for pid, title in titles.items()}
    best = max(score, key=lambda pid: score[pid])
    mine = max((score.get(pid, 0) for pid in bought), default=0)
    # "is it ok for sensitive skin" is about what they bought, whatever else is for sensitive
    # skin: a question that points at its product needs a clearer name to mean another one.
    needed = 2 if bought and POINTS_AT_PURCHASE.search(fold(question)) else 1
    named = best not in bought and score[best] > mine and score[best] >= needed
    return best if named else None


def _name_score(asked: set[str], title: str) -> int:
    shared = asked & name_stems(title)
    return len(shared) + len(shared & KIND_WORDS)


def asks_about_several(question: str) -> bool:
    return SEVERAL.search(fold(question)) is not None


def other_names(title: str, others: Collection[str]) -> set[str]:
    """The words that name the other products and not this one ("vitamin" and "brightening",
    not "serum", for a niacinamide serum bought with a vitamin C serum)."""
    return set().union(*(name_stems(other) for other in others)) - name_stems(title)
