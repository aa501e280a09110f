"""The customer's "STOP": recognising an opt-out (and an opt-in) and confirming it.

Only a whole message counts. "STOP" opts out; "the itching won't stop" is a question for the
agent, and "iptal etmek istiyorum siparişimi" is an order cancellation that needs a person.
Phrases are stored folded (see knowledge.text.fold), so "İPTAL", "IPTAL" and "ıptal" match.
"""

from __future__ import annotations

import re

from recete_app.backend.text import fold

# Words of politeness that may surround a keyword without changing what it asks for.
_POLITENESS = frozenset(
    {
        "please",
        "pls",
        "plz",
        "thanks",
        "thank you",
        "thx",
        "lutfen",
        "tesekkurler",
        "tesekkur ederim",
        "sagolun",
        "sagol",
        "bitte",
        "danke",
        "por favor",
        "gracias",
        "s il vous plait",
        "svp",
        "merci",
    }
)

OPT_OUT_PHRASES = frozenset(
    {
        # English
        "stop",
        "stop all",
        "stopall",
        "unsubscribe",
        "opt out",
        "optout",
        "cancel",
        "end",
        "quit",
        "stop messaging me",
        "stop messaging",
        "stop sending messages",
        "stop sending me messages",
        "stop texting me",
        "no more messages",
        "remove me",
        "remove me from your list",
        # Turkish
        "dur",
        "durdur",
        "iptal",
        "abonelik iptal",
        "abonelik iptali",
        "aboneligi iptal et",
        "abonelikten cik",
        "abonelikten cikar",
        "cik",
        "mesaj atmayin",
        "mesaj gondermeyin",
        "bana mesaj atmayin",
        "bana mesaj gondermeyin",
        "artik mesaj atmayin",
        "artik mesaj gondermeyin",
        "mesaj istemiyorum",
        "istemiyorum",
        "bir daha yazmayin",
        "bana bir daha yazmayin",
        "beni listeden cikarin",
        # German, Spanish, French
        "stopp",
        "abmelden",
        "abbestellen",
        "baja",
        "darme de baja",
        "parar",
        "arret",
        "desabonner",
        "se desabonner",
        "desinscrire",
    }
)

OPT_IN_PHRASES = frozenset(
    {
        "start",
        "unstop",
        "subscribe",
        "resubscribe",
        "opt in",
        "optin",
        "basla",
        "tekrar basla",
        "yeniden basla",
        "abone ol",
    }
)

# Folding keeps letters and digits; everything else (punctuation, emoji, quotes) splits words.
_NOT_A_WORD = re.compile(r"[\W_]+")
# Long messages are conversations, not commands; this also bounds the politeness stripping.
_MAX_WORDS = 8


def is_opt_out(text: str) -> bool:
    return _normalise(text) in OPT_OUT_PHRASES


def is_opt_in(text: str) -> bool:
    return _normalise(text) in OPT_IN_PHRASES


def opt_out_confirmation(language: str | None) -> str:
    if _is_turkish(language):
        return (
            "Tamam, size artık mesaj göndermeyeceğiz. "
            "Fikrinizi değiştirirseniz BAŞLA yazmanız yeterli."
        )
    return "Done, you won't get any more messages from us. Reply START if you change your mind."


def opt_in_confirmation(language: str | None) -> str:
    if _is_turkish(language):
        return "Tekrar hoş geldiniz! Mesajlarımızı yeniden almaya başlayacaksınız."
    return "Welcome back! You'll receive our messages again."


def _is_turkish(language: str | None) -> bool:
    return isinstance(language, str) and fold(language.strip())[:2] == "tr"


def _normalise(text: str) -> str:
    """Folded words joined by single spaces, politeness trimmed from both ends, and a keyword
    repeated for emphasis ("STOP STOP STOP") counted once."""
    if not isinstance(text, str):
        return ""
    tokens = _NOT_A_WORD.sub(" ", fold(text)).split()
    if not tokens or len(tokens) > _MAX_WORDS:
        return ""
    tokens = _strip_politeness(tokens)
    deduped = [t for i, t in enumerate(tokens) if i == 0 or t != tokens[i - 1]]
    return " ".join(deduped)


def _strip_politeness(tokens: list[str]) -> list[str]:
    changed = True
    while changed and tokens:
        changed = False
        for size in (4, 3, 2, 1):
            if len(tokens) > size and " ".join(tokens[:size]) in _POLITENESS:
                tokens, changed = tokens[size:], True
                break
            if len(tokens) > size and " ".join(tokens[-size:]) in _POLITENESS:
                tokens, changed = tokens[:-size], True
                break
    return tokens
