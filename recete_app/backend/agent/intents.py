"""What the customer wants, by rules first: fast, certain cases never wait for a model.

Patterns match folded text (see knowledge.text.fold: lower-case, Turkish letters to ASCII), so
"kızarıklık", "KIZARIKLIK" and "kizariklik" are one word here. Safety leans one way: a message
that might report a reaction to a product is treated as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recete_app.backend.messaging.opt_out import is_opt_out
from recete_app.backend.text import fold


@dataclass(frozen=True)
class IntentGuess:
    intent: str
    confidence: float
    certain: bool  # the rules are sure: no model is asked


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


SYMPTOMS = _any(
    r"\brash\w*",
    r"\bburn(s|ing|ed|t)?\b",
    r"\bsting(s|ing)?\b",
    r"\bredness\b",
    r"\b(turned|went|got|is|are|so|very|all|bright) red\b",
    r"\bred (patches|spots|bumps|and)\b",
    r"\bswell\w*|\bswollen\b|\bpuffy\b",
    r"\bitch\w*",
    r"\bhives\b",
    r"\bblotch\w*|\bwelts?\b|\bcame up in\b|\bbroke out in\b",
    r"\b(red|raised|itchy|sore|painful) (blotches|marks|patches|spots|welts|bumps|lumps|areas?)\b",
    r"\ballerg\w*",
    r"\bblister\w*",
    r"\bbumps\b",
    r"\birritat\w*",
    r"\binflam\w*",
    r"\breaction\b",
    r"\bbroke(n)? out\b|\bbreak(ing)? out\b|\bbreakouts?\b",
    r"\bpeeling\b|\bflaking\b",
    r"\bhurts?\b|\bpainful\b",
    r"\beyes? (are |is )?(watering|burning|stinging)\b",
    # Turkish (folded)
    r"\byak(ti|iyor|ar|mis|tı)\w*",
    r"\byan(ma|iyor|di|masi|mis)\w*",
    r"\bkizar\w*",
    r"\bkasin\w*|\bkasinti\w*",
    r"\bsis(ti|lik|kin|tir|mis|me|iyor|en)\w*",
    r"\balerj\w*",
    r"\bdokuntu\w*",
    r"\bkabar\w*",
    r"\btahris\w*",
    r"\bsivilce (yapti|cikti|oldu|cikar|doktu|basti)\w*",
    r"\bsivilcelen\w*",
    r"\bsoyul\w*|\bpul pul\b",
    r"\bbatma\w*|\bbatiyor\b",
    r"\bacit\w*|\baciyor\b",
    r"\bleke (yapti|oldu|cikti)\b",
)

# Someone asking whether a product suits them ("I'm allergic to nuts, can I use it?") is asking
# a question, unless they also say something happened.
SUITABILITY_QUESTION = _any(
    r"\bcan i (use|put|apply)\b",
    r"\b(is|would) it (ok|okay|safe|fine|suitable)\b",
    r"\bsuitable\b",
    r"\b(would|will|does|can) it help\b|\bhelp with\b|\bgood for\b",
    r"\bthinking of (getting|buying|ordering)\b",
    r"\b(does|will|would|can) it (contain|have|cause|make)\b",
    r"\bi('?m| am) allergic to\b",
    r"\ballergic to\b",
    r"\b(kullanabilir|surebilir|uygulayabilir)\s?(mi|mi)\w*",
    r"\buygun mu\w*",
    r"\biceri\w* mi\b|\bvar mi\b",
    r"\b(yapar|yaparmi|yapar mi)\b",
    r"\balerjim var\b",
    r"\bi have an? (\w+ )?allerg\w*",
    r"\ballerg\w*.{0,40}\b(ok|okay|safe|can i|use it|suitable)\b",
)
EXPERIENCE = _any(
    r"\bi (got|have|had|developed|noticed|woke up)\b(?!\s+an?\s+(\w+\s+)?allerg)",
    r"\bmy (skin|face|scalp|eyes?|lips?|neck|hands?|cheeks?|forehead|chin)\b",
    r"\bit (burns|stings|itches|hurts|burned|stung)\b",
    r"\b(started|became|turned|is getting|got worse|getting worse)\b",
    r"\bafter (using|applying|i used|i applied|the|my|this)\b",
    r"\b(broke|breaking) out\b|\bcame up in\b",
    r"\b(yapti|oldu|cikti|basladi|yakti|kasiniyor|sisti|kizardi|dokuldu|kabardi|aciyor)\w*",
    r"\b(yuzum|cildim|gozum|gozlerim|derim|dudagim|basim|kafa derim)\b",
)

HUMAN = _any(
    r"\b(talk|speak|chat)( to| with)? (a |an |to a |with a )?"
    r"(human|person|someone|somebody|agent|representative|real)\b",
    r"\breal (person|human)\b",
    r"\b(customer service|customer support|support team|call me|phone me)\b",
    r"\b(human|person) please\b",
    r"\bgercek (biri|bir kisi|bir insan|kisi|insan)\w*",
    r"\b(yetkili|temsilci|musteri hizmet)\w*",
    r"\b(biri|birisi|insan)(yle|ile) (gorus|konus)\w*",
    r"\bbeni arayin\b|\barar misiniz\b",
)
REFUND = _any(
    r"\brefund\w*",
    r"\breturn (it|this|them|the|my|an? )\b|\breturns?\b(?! policy)|\breturning\b",
    r"\bmoney back\b",
    r"\bexchange\b",
    r"\bsend (it|them) back\b",
    r"\bcancel (my |the |this )?order\b",
    r"\biade\w*",
    r"\bpara\w* (geri|iade)\w*",
    r"\bdegisim\w*|\bdegistir\w*",
    r"\bgeri (gonder|yolla|iade)\w*",
    r"\b(siparis\w*) iptal\w*|\biptal (et|etmek|edin|edebilir)\w*",
)
COMPLAINT = _any(
    r"\b(does ?n[o']?t|did ?n[o']?t|is ?n[o']?t|not|never) work\w*",
    r"\b(useless|disappointed|disappointing|terrible|awful|horrible|worst|rubbish|waste)\b",
    r"\b(broken|damaged|leak\w*|spilled|cracked|smashed)\b",
    r"\bwrong (item|product|colou?r|size|one|order)\b",
    r"\b(missing|expired)\b",
    r"\b(smells?|smelled) (bad|weird|awful|off|strange)\b|\bbad smell\b",
    r"\bnot happy\b|\bunhappy\b|\bcomplain\w*",
    r"\bno (difference|results?|change)\b",
    r"\b(is this a joke|joke|scam|rip ?off|ripped off)\b",
    r"\barrived (already |all )?(dark|brown|open|opened|broken|damaged|empty|leaking|crushed)\b",
    r"\b(pump|cap|lid|nozzle|dropper|spray) (is |was )?(broken|stuck|not working|doesn)\w*",
    r"\b(calismiyo|sikmiyo|acilmiyo|basmiyo)\w*",
    r"\bbaska (bir )?urun (cikti|geldi|gonder)\w*",
    r"\b(kutu|paket)\w* (bos|ezik|hasarli|acik) (geldi|cikti)\w*",
    r"\bise yara(madi|miyor|mamis)\w*",
    r"\b(bozuk|kirik|kirilmis|patlamis|dokulmus)\w*",
    r"\bak(mis|iyor|ti)\b",
    r"\byanlis (urun|siparis|renk|boyut)\w*",
    r"\beksik\w*",
    r"\b(kotu|garip|berbat) (koku|kokuyor)\w*|\bkotu kok\w*",
    r"\b(berbat|rezalet|rezil|sikayet|hayal kirikli)\w*",
    r"\bmemnun (degil|kalmadim)\w*",
    r"\b(hic|hicbir) (bir )?(fark|etki|sonuc)\w*",
    r"\betkisi(ni)? (yok|gormedim|olmadi)\b|\bsonuc (alamadim|yok)\b",
    r"\bparam\w* (cope|bosa)\b",
)
ORDER_STATUS = _any(
    r"\bwhere('?s| is) my (order|package|parcel|delivery)\b",
    r"\bwhen (will|does|is) (it|my order|my package|the order|the package)"
    r" (arrive|come|get here|be delivered|ship)\w*",
    r"\b(track|tracking)\b",
    r"\b(has|was|is) (it|my order|the order) (been )?(shipped|sent|dispatched|delivered)\b",
    r"\b(not|never|has ?n[o']?t|have ?n[o']?t) (arrived|received|come|got)\b",
    r"\border status\b|\bdelivery status\b",
    r"\bsiparis\w* (nerede|ne zaman|ne durumda|gelmedi|ulasmadi|kargo)\w*",
    r"\bkargo\w*",
    r"\bne zaman gel\w*",
    r"\b(gelmedi|ulasmadi|teslim edilmedi)\b",
    r"\btakip\w*",
)
# Who may use it, on what, with what: a question about the product even when phrased with "use".
PRODUCT_STRONG = _any(
    r"\bcan (he|she|my \w+|kids?|children|a child|teens?|men|a man|boys?|girls?) use\b",
    r"\b(my )?(son|daughter|kid|child|baby|husband|wife|teen|boyfriend|girlfriend)\b",
    r"\b(with|and) (retinol|vitamin c|niacinamide|aha|bha|acids?|benzoyl|tretinoin|"
    r"accutane|roaccutane|isotretinoin)\b",
    r"\b(vucud|vucut|govde|dirsek|kol|bacak|sakal|erkek|cocu|oglum|kizim|esim|bebe)\w*.{0,40}"
    r"\b(kullan|sur)\w*(ilir|abilir|ebilir)\w*",
    r"\bayni anda\b|\bbirlikte\b|\bberaber\b",
    r"\b(come|comes|available) in\b|\b(bigger|larger|smaller) (bottle|size|one)\b",
    r"\b(sell|stock|carry)\b",
)
USAGE = _any(
    r"\b(in the|at) (morning|evening|night)\b|\bbefore (work|bed|bedtime|going out|makeup)\b",
    r"\bne kadar (once|sonra|sure|bekle)\w*",
    r"\b(once|sonra)\b.{0,40}\b(mi|mu)\b",
    r"\b(sur|kullan|uygula)\w*(yor|ecek|acak|icam|ucam|cam|cem)\w*",
    r"\b(diplere|uclara|diplerine|uclarina|diplerin|uclarin)\b",
    r"\bhow (do|should|can|to|often|much|many|long|frequently)\b",
    r"\bwhen (do|should|can|to)\b",
    r"\b(morning|am) or (night|evening|pm)\b|\b(night|evening) or morning\b",
    r"\b(before|after) (or after|or before|my|the|i|applying|using|washing|shower)\b",
    r"\b(apply|applying|use it|using it|layer|routine|leave it on|rinse|wash (it )?off)\b",
    r"\b(times|drops|pumps) (a|per) (day|week|night)\b|\bevery (day|night|morning)\b",
    r"\bdaily\b|\bhow much\b|\bamount\b",
    r"\bnasil (kullan|sur|uygula)\w*",
    r"\bne zaman (kullan|sur|uygula)\w*",
    r"\bkac (kez|kere|defa|damla|gun|pompa|dakika|kere)\b",
    r"\b(sabah|aksam|gece)\w* mi\b",
    r"\b(gunde|haftada|her gun|her aksam|her sabah)\b",
    r"\b(once|sonra)\w* mi\b",
    r"\b(sur|kullan|uygula)(meli|malı|mali|ilir|ulur|iyorum|dim|sam|malıyım|maliyim)\w*",
    r"\bne kadar (sur|kullan|beklemeli|bekle|kalmali)\w*",
    r"\b(durula|yika)\w*",
)
PRODUCT_QUESTION = _any(
    r"\b(contain|contains|ingredient\w*|inci)\b",
    r"\b(suitable|sensitive|pregnan\w*|breastfeed\w*|safe|vegan|fragrance|paraben\w*|"
    r"alcohol|oily skin|dry skin|acne|rosacea)\b",
    r"\b(price|cost|size|ml|how big|difference|compare)\b",
    r"\b(combine|together with|mix|with (retinol|vitamin c|niacinamide|aha|bha|acids?))\b",
    r"\b(expire|expiry|shelf life|after opening)\b",
    r"\b(good|ok|okay|work) for\b",
    r"\b(icer|icind|icerik)\w*",
    r"\b(uygun|hassas|hamile|emzir|vegan|parfum|alkol|fiyat|fark|birlikte|boyut)\w*",
    r"\b(buyuk|kucuk) boy\w*",
    r"\b(son kullanma|raf omru|acildiktan)\w*",
    r"\b(ise yarar|iyi gelir|etkili) mi\w*",
)
# A message made only of these words is thanks (or "ok, got it").
THANKS_WORDS = frozenset(
    [
        "ok",
        "okay",
        "k",
        "kk",
        "great",
        "perfect",
        "cool",
        "nice",
        "super",
        "awesome",
        "got",
        "it",
        "thanks",
        "thank",
        "you",
        "so",
        "much",
        "a",
        "lot",
        "thx",
        "ty",
        "tysm",
        "cheers",
        "lovely",
        "amazing",
        "alright",
        "fine",
        "good",
        "very",
        "helpful",
        "that",
        "helps",
        "helped",
        "appreciate",
        "appreciated",
        "wonderful",
        "brilliant",
        "will",
        "do",
        "noted",
        "understood",
        "tesekkurler",
        "tesekkur",
        "tesekkurs",
        "ederim",
        "ederiz",
        "sagol",
        "sagolun",
        "sagolasiniz",
        "tamam",
        "tamamdir",
        "harika",
        "eyvallah",
        "cok",
        "iyi",
        "mukemmel",
        "anladim",
        "anlasildi",
        "eline",
        "saglik",
        "yardimci",
        "oldunuz",
        "oldun",
        "super",
        "sahane",
        "rica",
    ]
)
MAX_THANKS_WORDS = 8
QUESTION = _any(
    r"\?",
    r"^(what|which|who|where|why|how|when|is|are|can|could|does|do|did|should|will|would|may)\b",
    r"\b(mi|mu|misin|misiniz|miyim|miyiz|musun|musunuz|muyum|mudur|midir|mi acaba)\b",
    r"\b(ne|neden|nasil|nerede|hangi|kac|kim)\b",
    r"\b(is it|are they|does it|do you|can i|can you|would it|will it)\b",
)
# The customer is talking about the store or its products (not the weather): a question then
# is one for the store's knowledge, answered or handed to a person.
STORE_REFERENCE = _any(
    r"\b(it|this|these|that|them|they|one|both|product|products|order|bottle|tube|jar|you|"
    r"your|ship|shipping|store|shop|brand|formula|serum|serums|cream|toner|cleanser|shampoo|"
    r"conditioner|mask|oil|balm|lotion|sunscreen|spf|gel|spray|moisturi[sz]er|retinol)\b",
    r"\b(bu(nu|nun|nda|ndan|na)|bunlar\w*|ikisi\w*|ikisin\w*|hepsi\w*|urun\w*|siparis\w*|krem\w*|serum\w*|tonik\w*|sampuan\w*|"
    r"maske\w*|yag\w*|balm\w*|losyon\w*|sprey\w*|siz\w*|magaza\w*|kargo\w*|sise\w*|"
    r"temizleyici\w*|nemlendirici\w*|gunes kremi\w*)\b",
)

# The order matters: a message that says two things is handled by the more serious one.
_RULES: tuple[tuple[str, re.Pattern[str], float], ...] = (
    ("human", HUMAN, 0.9),
    ("return_refund", REFUND, 0.85),
    ("complaint", COMPLAINT, 0.8),
    ("order_status", ORDER_STATUS, 0.85),
)


def classify(text: str) -> IntentGuess:
    folded = fold(text).strip()
    if is_opt_out(text):
        return IntentGuess("opt_out", 1.0, True)
    if _adverse(folded):
        return IntentGuess("adverse_reaction", 0.95, True)
    for intent, pattern, confidence in _RULES:
        if pattern.search(folded):
            return IntentGuess(intent, confidence, True)
    if _thanks(folded):
        return IntentGuess("thanks", 0.9, True)
    if PRODUCT_STRONG.search(folded):
        return IntentGuess("product_question", 0.75, True)
    usage, product = USAGE.search(folded), PRODUCT_QUESTION.search(folded)
    if usage and not product:
        return IntentGuess("usage", 0.8, True)
    if product and not usage:
        return IntentGuess("product_question", 0.8, True)
    if usage and product:  # both: the section prior of retrieval sorts out which facts fit
        return IntentGuess(
            "usage" if usage.start() < product.start() else "product_question", 0.6, False
        )
    if QUESTION.search(folded) and STORE_REFERENCE.search(folded):
        return IntentGuess("product_question", 0.6, True)
    return IntentGuess("other", 0.3, False)


ABOUT_AGENT = _any(
    r"\bare you (a |an )?(bot|robot|ai|real|human|person|machine|computer)\b",
    r"\b(bot|robot|yapay zeka|insan|gercek) m[iu](sun|sunuz|sin|siniz)\b",
    r"\bwho am i (talking|speaking) to\b|\bkiminle (konusuyorum|yazisiyorum)\b",
)


def asks_about_agent(text: str) -> bool:
    """ "Are you a bot?": answered honestly, and with how to reach a person."""
    return ABOUT_AGENT.search(fold(text)) is not None


def _thanks(folded: str) -> bool:
    tokens = re.findall(r"[a-z]+", folded)
    return 0 < len(tokens) <= MAX_THANKS_WORDS and all(t in THANKS_WORDS for t in tokens)


def _adverse(folded: str) -> bool:
    if not SYMPTOMS.search(folded):
        return False
    asking = SUITABILITY_QUESTION.search(folded) and not EXPERIENCE.search(folded)
    return not asking
