"""Text as retrieval sees it: Turkish-aware lower-casing, accents folded (customers on WhatsApp
write "sampuan" as often as "şampuan"), words, and a guess at the language."""

from __future__ import annotations

import re
import unicodedata

# Turkish dotted/dotless I must be lowered by hand: str.lower() turns "I" into "i" and "İ"
# into "i" + a combining dot, both wrong for Turkish words.
_TURKISH_LOWER = str.maketrans({"I": "ı", "İ": "i"})
_FOLD = str.maketrans({"ı": "i", "ş": "s", "ğ": "g", "ü": "u", "ö": "o", "ç": "c", "â": "a"})
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?")
_TURKISH_LETTERS = frozenset("ışğüöçİŞĞÜÖÇ")
_TURKISH_WORDS = frozenset(
    [
        "ve",
        "bir",
        "bu",
        "mi",
        "mı",
        "mu",
        "mü",
        "ne",
        "nasıl",
        "nasil",
        "kaç",
        "kac",
        "gün",
        "gun",
        "günde",
        "gunde",
        "sabah",
        "akşam",
        "aksam",
        "için",
        "icin",
        "ile",
        "kullan",
        "kullanabilir",
        "miyim",
        "mıyım",
        "sürmeli",
        "surmeli",
        "neden",
        "var",
        "yok",
        "çok",
        "cok",
        "hangi",
        "ya",
        "da",
        "değil",
        "degil",
        "gibi",
        "kadar",
        "sonra",
        "önce",
        "once",
        "zaman",
        "cilt",
        "saç",
        "sac",
        "krem",
        "şampuan",
        "sampuan",
        "yağı",
        "yagi",
        "merhaba",
        "selam",
        "sen",
        "ben",
        "siz",
        "artik",
        "hicbir",
        "hic",
        "yap",
        "yapti",
        "geldi",
        "oldu",
        "ama",
        "lutfen",
        "acaba",
        "daha",
        "yeni",
        "olsun",
        "ilk",
        "kuru",
        "yagli",
        "yuz",
        "yuzum",
        "hala",
        "mu",
    ]
)


def turkish_lower(text: str) -> str:
    return text.translate(_TURKISH_LOWER).lower()


def fold(text: str) -> str:
    """Lower-case, Turkish letters to their ASCII look-alikes, other accents stripped."""
    lowered = turkish_lower(text).translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


# Turkish written without its letters ("yuzumde kizariklik yapti") still shows in its endings.
_TURKISH_ENDING = re.compile(
    r"(iyor|iyo|uyor|uyo|yorum|yordu|miyim|misin|misiniz|musun|muyum|abilir|ebilir|acak|ecek|"
    r"icam|ucam|madi|medi|mali|meli|imiz|umuz|iniz|unuz|lari|leri|larin|lerin|dan|den|tan|ten|"
    r"dim|dum|tim|tum|mis|mus|siniz|sunuz|nin|nun|yla|yle|daki|deki|dir|dur|tir|tur)$"
)
_ENGLISH_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "is",
        "are",
        "was",
        "to",
        "of",
        "and",
        "in",
        "on",
        "for",
        "it",
        "my",
        "i",
        "you",
        "your",
        "with",
        "this",
        "that",
        "do",
        "does",
        "can",
        "how",
        "what",
        "when",
        "why",
        "which",
        "have",
        "has",
        "be",
        "not",
        "no",
        "did",
        "will",
        "would",
        "should",
        "me",
        "so",
        "at",
        "from",
        "after",
        "before",
        "or",
        "but",
        "if",
        "just",
        "get",
        "got",
        "any",
        "order",
        "last",
        "week",
    ]
)


def detect_language(text: str) -> str:
    """ "tr" or "en": Turkish letters, or common Turkish words and endings written without
    them (English words count against)."""
    # Letters are looked for in the text as written: lowered the Turkish way, an English "It"
    # would become "ıt".
    written = [t for t in text.split() if t.strip("?.!,'\"")]
    if not written:
        return "en"
    tokens = [turkish_lower(t).strip("?.!,'\"") for t in written]
    turkish = sum(
        1
        for t, raw in zip(tokens, written, strict=True)
        if t in _TURKISH_WORDS
        or any(c in _TURKISH_LETTERS for c in raw)
        or (len(t) >= 5 and _TURKISH_ENDING.search(t) is not None)
    )
    english = sum(1 for raw in written if raw.lower().strip("?.!,'\"") in _ENGLISH_WORDS)
    return "tr" if turkish / len(tokens) >= 0.2 and turkish > english else "en"


# Turkish endings (folded), longest first. WhatsApp Turkish is mostly a short root and its
# endings ("kisacik", "sakalim", "yagini"): cutting a word at 5 letters leaves a 4-letter root
# with part of an ending, and "kisacik" never meets "kisa".
_ENDINGS = (
    "abilir ebilir iyorum iyoruz uyorum iyor uyor iyo uyo acak ecek mali meli ilir ulur "
    "larin lerin lari leri lar ler imiz umuz iniz unuz nin nun dan den tan ten yla yle "
    "da de ta te cik cuk cak cek im um in un si su yi yu"
)
_TURKISH_SUFFIXES = sorted(_ENDINGS.split(), key=len, reverse=True)
MIN_TURKISH_ROOT = 3


def turkish_stem(word: str) -> str:
    """A folded Turkish word without its last ending ("kisacik" -> "kisa", "sakalda" ->
    "sakal"); one ending only, so "haftada" stays "hafta", and a root keeps three letters."""
    for suffix in _TURKISH_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_TURKISH_ROOT:
            return word[: -len(suffix)]
    return word
