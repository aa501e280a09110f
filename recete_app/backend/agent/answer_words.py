"""The words the local responder compares a question with its sources by: stems, the words
every question shares (they say nothing about which fact is wanted) and the words that answer
a kind of question ("how long" is answered by minutes)."""

from __future__ import annotations

import re

from recete_app.backend.knowledge.embeddings import STOP_WORDS
from recete_app.backend.text import fold, words

# Questions that ask for a part of the page the question's own words may not reach, and the
# page's words for it in each language (searched in the reply's language only: Turkish words
# would bring up a Turkish FAQ entry for an English question).
SEARCH_HINTS = (
    (
        re.compile(
            r"\b(son|daughter|kids?|child|children|baby|toddler|teens?|teenager)\b|"
            r"\b(years?|yrs?) old\b|\b(cocu\w*|oglum\w*|kizim\w*|bebe\w*|yasinda\w*)\b"
        ),
        {"en": "children child kids ages age years", "tr": "cocuk cocuklar yas yasindan"},
    ),
    (
        re.compile(r"\b(bigger|larger|smaller|size|sizes|bottle)\b|\bboyut\w*|\bbuyuk\w*"),
        {"en": "size sizes ml", "tr": "boyut ml"},
    ),
)
# Medicines a customer may be taking: whether a product goes with one is for the store's page
# to say, never for the responder to guess from the product's other facts.
MEDICINES = re.compile(
    r"\b((ro)?accutane|roakutan|isotretinoin\w*|zoretanin|tretinoin|adapalen\w*|"
    r"antibiotics?|antibiyoti\w*|doxycyclin\w*|minocyclin\w*|spironolacton\w*|"
    r"cortisone|kortizon\w*|steroids?|medication\w*|medicines?|ilac\w*)\b"
)
# What kind of words answer a kind of question: "how long" is answered by minutes and hours.
HINTS = (
    *((pattern, " ".join(answer.values())) for pattern, answer in SEARCH_HINTS),
    (
        re.compile(r"\bhow long\b|\bne kadar (sure|kal|bekle)\w*|\bkalmasi\b|\bkac dakika\b"),
        "minutes minute hours hour leave wait dakika saat bekletin bekleyin birakin kalsin",
    ),
    (
        re.compile(
            r"\bhow often\b|\bhow many times\b|\bkac (kez|kere|defa)\b|\bsiklik\w*|"
            r"\bback on\b|\btekrar\b"
        ),
        "once twice times daily every week reapply hours kez gunde haftada her yenileyin saatte",
    ),
    (
        re.compile(r"\bhow (much|many)\b|\bamount\b|\bkac damla\b|\bne kadar\b|\bmiktar\w*"),
        "drops drop pump pumps amount pea size walnut almond ml damla pompa miktar boyutunda",
    ),
    (
        re.compile(r"\bmorning\b|\bevening\b|\bnight\b|\bsabah\w*|\baksam\w*|\bgece\w*"),
        "morning evening night sabah aksam gece",
    ),
    (
        re.compile(r"\bstrength\b|\bstrong\b|\bpercent\b|\bkac yuzde\b|\boran\w*|\bguclu\b"),
        "percent concentration yuzde oran",
    ),
)
# Words every question about a product shares: they say nothing about which fact is wanted.
_GENERIC_WORDS = (
    "use using used product products thing stuff please hi hello help tell know want need "
    "would will just also really much very get got one bought ordered buy kullan kullanim "
    "urun urunu merhaba selam lutfen acaba bana bunu bunun sunu aldim aldigim siparis "
    "istiyorum olur mu mi nasil ne hey which what whats where who why when im ive dont doesnt "
    "cant isnt new anything something too still lot lots next week day today yesterday "
    "tomorrow going go goes think thinking getting guys your you yours our we they them their "
    "this that these those its thats there here some any each every other another same first "
    "second time times way make made like okay ok thanks thank can could should may might "
    "must shall yes no not more most less little bit quite onu da de ki ben sen siz biz bir "
    "iki ayni gibi icin ile ama fakat veya hem almayi almak dusunuyorum dusunuyordum isterim "
    "olurmu oluyor mı musun misin miyim yine daha yeni cok az biraz simdi sonra once zaman "
    "gun hafta var yok evet hayir tamam gercekten hala beni benim sizin sizde aldik geldi he "
    "she him her his hers has had is was were be been being am come comes fast quick soon"
)
GENERIC = frozenset(_GENERIC_WORDS.split())

_GLUED_UNIT = re.compile(r"(\d)([a-z])")


def stems(text: str) -> set[str]:
    """Question and source words as comparable stems ("30ml" is "30" and "ml")."""
    separated = _GLUED_UNIT.sub(r"\1 \2", fold(text))
    return {
        w[:5] for w in words(separated) if len(w) > 1 and w not in STOP_WORDS and w not in GENERIC
    }


def hinted(question: str) -> set[str]:
    """The stems of the words that answer this kind of question ("how long": minutes...)."""
    folded = fold(question)
    return {w[:5] for pattern, answer in HINTS if pattern.search(folded) for w in answer.split()}


def hinted_and_answered(question: str, known: set[str]) -> set[str]:
    """The question's stems that a hint points away from and the sources answer: "daughter"
    is covered by a page that speaks of "children"."""
    folded = fold(question)
    covered: set[str] = set()
    for pattern, answer in HINTS:
        found = pattern.search(folded)
        if found and {w[:5] for w in answer.split()} & known:
            covered |= stems(found.group(0))
    return covered


def search_hints(question: str, language: str) -> list[str]:
    """Words to search the store's pages with besides the question's own: "can my son use
    it" is answered by a page that says "children", "a bigger bottle" by its sizes."""
    folded = fold(question)
    return [
        word
        for pattern, answer in SEARCH_HINTS
        if pattern.search(folded)
        for word in answer.get(language, answer["en"]).split()
    ]
