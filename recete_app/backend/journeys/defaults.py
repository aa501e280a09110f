"""The journey a new merchant starts with: day 3 usage tips, day 14 check-in, in English and
Turkish. Template names are what the merchant submits to Meta for approval; the bodies here are
the suggested wording (placeholders in ascending order, as Meta requires)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

USAGE_TIPS = "usage_tips"
CHECK_IN = "check_in"
CUSTOM = "custom"
PURPOSES = (USAGE_TIPS, CHECK_IN, CUSTOM)


@dataclass(frozen=True)
class DefaultStep:
    offset_days: int
    purpose: str
    templates: dict[str, dict[str, Any]]


USAGE_TEMPLATES: dict[str, dict[str, Any]] = {
    "en": {
        "name": "recete_usage_tip",
        "language_code": "en",
        "category": "utility",
        "body": (
            "Hi {{1}}, your {{2}} from {{3}} should have arrived. A tip to get the most out of "
            "it: {{4}} Any questions? Just reply to this message."
        ),
        "variables": ["first_name", "product_name", "store_name", "tip"],
    },
    "tr": {
        "name": "recete_kullanim_ipucu",
        "language_code": "tr",
        "category": "utility",
        "body": (
            "Merhaba {{1}}, {{2}} siparişinizdeki {{3}} elinize ulaşmış olmalı. En iyi sonuç "
            "için bir ipucu: {{4}} Sorunuz olursa bu mesaja yanıt vermeniz yeterli."
        ),
        "variables": ["first_name", "store_name", "product_name", "tip"],
    },
}

CHECK_IN_TEMPLATES: dict[str, dict[str, Any]] = {
    "en": {
        "name": "recete_check_in",
        "language_code": "en",
        "category": "marketing",
        "body": (
            "Hi {{1}}, how is it going with your {{2}}? If you love it, you can reorder or leave "
            "a review here: {{3}} Reply to this message if you have any questions."
        ),
        "variables": ["first_name", "product_name", "link"],
    },
    "tr": {
        "name": "recete_memnuniyet",
        "language_code": "tr",
        "category": "marketing",
        "body": (
            "Merhaba {{1}}, {{2}} nasıl gidiyor? Memnun kaldıysanız buradan yeniden sipariş "
            "verebilir ya da yorum bırakabilirsiniz: {{3}} Sorunuz olursa bu mesaja yanıt verin."
        ),
        "variables": ["first_name", "product_name", "link"],
    },
}

DEFAULT_STEPS: tuple[DefaultStep, ...] = (
    DefaultStep(3, USAGE_TIPS, USAGE_TEMPLATES),
    DefaultStep(14, CHECK_IN, CHECK_IN_TEMPLATES),
)
