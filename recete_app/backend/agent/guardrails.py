"""Guardrails: on the customer's message (attacks on the agent) and on every draft (what must
never reach a customer). Filters are the second wall: the agent has no tool that changes
anything and sees only this customer's own orders, so a message that beats a filter still
cannot refund, discount or read another customer's data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recete_app.backend.agent.responders import Source
from recete_app.backend.text import detect_language, fold, words

MAX_REPLY_CHARS = 1000  # WhatsApp allows 4096; a phone screen is the real limit


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


INJECTION = _any(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(previous|prior|above|earlier|all|"
    r"your|the|system|these)\b.{0,20}\b(instruction|prompt|rule|direction|guideline|message)s?",
    r"\bsystem\s*prompt\b|\bhidden (prompt|instructions)\b|\binitial instructions\b",
    r"\b(reveal|show|print|repeat|output|tell me|give me|what are) (me )?(your|the) "
    r"(system |initial |hidden |original )(prompt|instructions|rules|configuration)\b",
    r"\b(reveal|show|print|repeat|output|tell me|give me|what are) (me )?your "
    r"(system |initial |hidden |original )?(prompt|instructions|rules|configuration)\b",
    r"\byou are (now|no longer)\b|\bfrom now on,? you\b|\bpretend (to be|you)\b",
    r"\bact as (if|though|an? (ai|assistant|bot|chatbot|different|new|unrestricted|evil|"
    r"developer|admin|system|store owner|manager))\b",
    r"\b(developer|god|admin|debug|jailbreak|dan) mode\b|\bjailbreak\b|\byou are dan\b",
    r"^\s*(system|assistant|developer)\s*:",
    r"\bnew (instructions|rules|system)\b",
    r"\bonceki (talimat|komut|kural|mesaj)\w*",
    r"\b(talimat|komut|kural)\w* (unut|yok say|gormezden gel|goster|yaz|paylas)\w*",
    r"\bsistem (mesaj|komut|istem|talimat|promp)\w*",
    r"\bartik (sen|bir)\b.{0,30}\b(sin|olarak davran)\b|\bolarak davran\w*",
    r"\b(gelistirici|yonetici|admin) mod\w*|\[admin\]",
    r"\b(kural|talimat|yonerge|kisitlama)\w* .{0,30}(devre disi|kapat|kaldir|yok say|unut|"
    r"uyma|gecersiz)\w*",
    r"\bgizli (ayar|talimat|bilgi|komut|mesaj)\w*|\bkisitlamasiz\b",
    r"\bhangi (yapay zeka|model|ai)\b",
)
OTHER_CUSTOMERS = _any(
    r"\b(other|another|all|your|previous|last) (customers?|clients?|buyers?)\b",
    r"\bcustomer (list|data|database|emails?|phones?|numbers?|addresses)\b",
    r"\bwho (else )?(bought|ordered|purchased)\b",
    r"\bwhat did (?!i\b|we\b)[a-z]+( [a-z]+)? (order|buy|purchase)\b",
    r"\b(phone( number)?|number|email|address|order) of (the |that |this )?(customer|person|"
    r"woman|man|lady|guy|user)\b",
    r"\b(diger|baska|tum|butun|onceki) (musteri|alici|kullanici)\w*",
    r"\bmusteri(ler)?(in|inizin|lerin|lerinizin) (telefon|numara|e-?posta|mail|adres|siparis)\w*",
    r"\bmusteri (listesi|bilgi|veri)\w*",
    r"\b[a-z]+ (hanim|bey)\w* (ne|neler|siparis|aldi)\w*",
    r"\bkim(ler)? (aldi|siparis)\w*|\bkim (verdi|aldi|siparis)\w*",
    r"\bnumarali siparis(?!im|imiz)\w*",
    r"\b(kuzen|arkadas|komsu|anne|kardes|esim|ablam|abim|teyze|hala)\w* .{0,40}"
    r"(siparis|telefon|adres|numara)\w*",
    r"\b(telefon|numara|adres|mail)\w* (da |de )?(at|ver|gonder|yolla|paylas)\w*",
    r"\badresi ne\b",
    r"\b(neighbou?r|friend|cousin|sister|brother|mother|mom)\w*.{0,40}\b(phone|number|email|"
    r"address|order)\b",
)
PRICE_CHANGE = _any(
    r"\b(set|change|make|lower|drop|update) (the |its |your )?price\b",
    r"\bprice (to|down to|of)\b.{0,20}\b(0|1|free)\b",
    r"\b(discount|coupon|promo|voucher) (code|coupon)?\b.{0,30}\b(give|create|generate|send|"
    r"make|authori[sz]ed)\b",
    r"\b(give|create|generate|send|make) (me )?(a |an )?\d*\s*%?\s*(discount|coupon|promo|"
    r"voucher|free)\b",
    r"\b\d{2,3} ?% ?(off|discount)\b",
    r"\byou('re| are) authori[sz]ed\b",
    r"\bfiyat\w* .{0,20}\b(degistir|dusur|yap|ayarla|guncelle|indir)\w*",
    r"\b(indirim|kupon|promosyon) (kod|ceki)\w*",
    r"\b(bedava|ucretsiz) (gonder|ver|yap|olsun|istiyorum)\w*",
    r"\byuzde ?\d+ indirim\w*|%\s?\d+ indirim\w*",
)

# Diagnosis and cure/treatment claims are never the agent's to make, whatever a source says.
MEDICAL_CLAIMS = _any(
    r"\b(cures?|cured|curing)\b",
    r"\b(heals?|healed|healing)\b",
    r"\btreats?\b|\btreating\b|\btreated\b",
    r"\bdiagnos\w*",
    r"\b(you|it) (probably |likely |definitely )?(have|has|is) "
    r"(an? )?(eczema|dermatitis|psoriasis|rosacea|infection|allergy|allergic reaction)\b",
    r"\bprescri\w*",
    r"\btedavi (eder|etmek|edici|sağlar|saglar)\w*",
    r"\b(iyilestir|tedavi ed)\w*",
    r"\bteshis\w*",
    r"\b(egzama|dermatit|sedef|enfeksiyon)\w* (var|olabilir|olmus)\w*",
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"\+?\d[\d ()-]{8,}\d")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Violation:
    rule: str  # injection | other_customers | price_change | medical_claim | unsupported_fact |
    # internal_data | private_data | wrong_language | too_long | empty | foreign_link (a link
    # not the store's, dropped: see links.py)
    detail: str


def screen_message(text: str) -> Violation | None:
    """An attack on the agent in the customer's message, if any."""
    folded = fold(text)
    for rule, pattern in (
        ("injection", INJECTION),
        ("other_customers", OTHER_CUSTOMERS),
        ("price_change", PRICE_CHANGE),
    ):
        found = pattern.search(folded)
        if found:
            return Violation(rule, found.group(0)[:80])
    return None


def check_draft(
    draft: str,
    *,
    language: str,
    sources: list[Source],
    allowed_text: str = "",
    internal_text: str = "",
) -> list[Violation]:
    """Everything wrong with a draft. `allowed_text` holds facts the reply may state besides the
    sources (the customer's own orders, the store's name); `internal_text` what must never show
    (the model's instructions)."""
    if not draft.strip():
        return [Violation("empty", "no text")]
    found: list[Violation] = []
    folded = fold(draft)
    claim = MEDICAL_CLAIMS.search(folded)
    if claim:
        found.append(Violation("medical_claim", claim.group(0)))
    grounding = fold(" ".join(s.text + " " + s.product for s in sources) + " " + allowed_text)
    missing = [n for n in NUMBER.findall(folded) if not _has_number(grounding, n)]
    if missing:
        found.append(Violation("unsupported_fact", f"numbers not in the sources: {missing[:5]}"))
    if internal_text and _shares_passage(folded, fold(internal_text)):
        found.append(Violation("internal_data", "repeats the agent's instructions"))
    private = [m for m in EMAIL.findall(draft) + PHONE.findall(draft) if fold(m) not in grounding]
    if private:
        found.append(Violation("private_data", "an email or phone number not the customer's"))
    if len(words(draft)) >= 4 and detect_language(draft) != language:
        found.append(Violation("wrong_language", f"expected {language}"))
    if len(draft) > MAX_REPLY_CHARS:
        found.append(Violation("too_long", f"{len(draft)} characters"))
    return found


def _has_number(grounding: str, number: str) -> bool:
    variants = {number, number.replace(",", "."), number.replace(".", ",")}
    return any(re.search(rf"(?<![\d.,]){re.escape(v)}(?![\d])", grounding) for v in variants)


def _shares_passage(draft: str, internal: str, size: int = 8) -> bool:
    """Eight words in a row from the instructions: quoting them, not chance."""
    internal_words = words(internal)
    passages = {
        " ".join(internal_words[i : i + size]) for i in range(len(internal_words) - size + 1)
    }
    draft_words = words(draft)
    return any(
        " ".join(draft_words[i : i + size]) in passages for i in range(len(draft_words) - size + 1)
    )
