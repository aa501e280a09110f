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


def detect_language(text: str) -> str:
    """ "tr" or "en": Turkish letters, or common Turkish words written without them."""
    if any(c in _TURKISH_LETTERS for c in text):
        return "tr"
    tokens = turkish_lower(text).split()
    hits = sum(1 for token in tokens if token.strip("?.!,") in _TURKISH_WORDS)
    return "tr" if tokens and hits / len(tokens) >= 0.2 else "en"
