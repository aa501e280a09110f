"""The local responder answers with the store's own sentences: it picks the ones that answer the
question, cites where they came from, frames them in the customer's language, never quotes a
medical claim, and says nothing when the sources do not cover the question."""

from __future__ import annotations

import uuid

import pytest

from recete_app.backend.agent.guardrails import check_draft
from recete_app.backend.agent.local_responder import LocalResponder
from recete_app.backend.agent.responders import Draft, DraftRequest, Purchase, Source, Turn

MASK_ID = uuid.uuid4()
OIL_ID = uuid.uuid4()
GEL_ID = uuid.uuid4()
NIACINAMIDE_ID = uuid.uuid4()
VITAMIN_C_ID = uuid.uuid4()

MASK_STEPS = [
    "Apply a generous amount to damp hair after shampooing.",
    "Work it through from mid-lengths to ends with your fingers.",
    "Leave on for 10 minutes, then rinse thoroughly with warm water.",
    "Use once or twice a week for best results.",
    "For very dry hair, it also works as an overnight treatment.",
]
MASK_DESCRIPTION = [
    "A rich mask with shea butter and argan oil for dry, damaged hair.",
    "It softens frizz and adds shine from the first use.",
]
MASK_INGREDIENTS = (
    "Aqua, Butyrospermum Parkii (Shea) Butter, Argania Spinosa Kernel Oil, Cetearyl Alcohol, "
    "Parfum."
)


def source(
    ref: str,
    section: str,
    text: str,
    *,
    product: str = "Repair Hair Mask",
    product_id: uuid.UUID = MASK_ID,
    language: str = "en",
) -> Source:
    return Source(ref, uuid.uuid4(), product_id, product, section, language, text)


def page(product: str, *sections: tuple[str, str]) -> list[Source]:
    """One product's sources, S1, S2... in the order given: (section, text) each."""
    return [
        source(f"S{number}", section, text, product=product)
        for number, (section, text) in enumerate(sections, start=1)
    ]


MASK = [
    source("S1", "how_to_use", " ".join(MASK_STEPS)),
    source("S2", "description", " ".join(MASK_DESCRIPTION)),
    source("S3", "ingredients", MASK_INGREDIENTS),
]
TURKISH_MASK = [
    source(
        "S1",
        "how_to_use",
        "Şampuandan sonra nemli saça bol miktarda uygulayın. Saç diplerine değil, orta "
        "kısımdan uçlara doğru dağıtın. 10 dakika bekletin ve ılık suyla iyice durulayın. "
        "Haftada bir veya iki kez kullanın.",
        product="Onarıcı Saç Maskesi",
        language="tr",
    )
]


def ask(
    message: str,
    sources: list[Source],
    *,
    intent: str | None = "product_question",
    language: str = "en",
    first_name: str = "Emma",
    history: list[Turn] | None = None,
    purchases: list[Purchase] | None = None,
) -> Draft:
    request = DraftRequest(
        message=message,
        language=language,
        intent=intent,
        store_name="Glow Lab",
        customer_first_name=first_name,
        purchases=purchases or [],
        history=history or [],
        sources=sources,
    )
    return LocalResponder().draft(request)


def test_the_reply_quotes_the_sources_sentences_and_cites_their_ref() -> None:
    draft = ask("how often should I use the mask?", MASK, intent="usage")
    assert draft.used_sources == ["S1"]
    assert "Use once or twice a week for best results." in draft.text
    assert draft.text.startswith("Hi Emma! How to use Repair Hair Mask: ")
    assert draft.text.endswith("Anything else I can help with?")
    assert draft.intent == "usage"
    assert draft.confidence >= 0.5


def test_every_quoted_sentence_is_the_stores_own_and_in_the_order_it_was_written() -> None:
    draft = ask("how long do i leave the mask on?", MASK, intent="usage")
    body = draft.text.split(": ", 1)[1].split("\n\n", 1)[0]
    quoted = [s for s in MASK_STEPS if s in body]
    assert body == " ".join(quoted)
    assert len(quoted) >= 1


def test_the_greeting_is_only_on_the_first_reply_of_a_conversation() -> None:
    history = [Turn("customer", "hi"), Turn("ai", "Hi Emma! How can I help?")]
    draft = ask("how often should I use the mask?", MASK, intent="usage", history=history)
    assert draft.text.startswith("How to use Repair Hair Mask: ")


def test_a_usage_question_quotes_how_to_use_over_the_other_sections() -> None:
    draft = ask("how should i apply it?", MASK, intent="usage")
    assert draft.used_sources == ["S1"]
    assert not any(sentence in draft.text for sentence in MASK_DESCRIPTION)
    assert "How to use Repair Hair Mask" in draft.text


def test_a_usage_question_naming_the_product_still_quotes_how_to_use() -> None:
    draft = ask("how do i use the hair mask", MASK, intent="usage")
    assert draft.used_sources == ["S1"]
    assert "How to use Repair Hair Mask" in draft.text


def test_a_how_long_question_picks_the_sentence_with_minutes() -> None:
    draft = ask("how long do i leave the mask on?", MASK, intent="usage")
    assert "Leave on for 10 minutes, then rinse thoroughly with warm water." in draft.text
    assert "Use once or twice a week for best results." not in draft.text


def test_a_how_often_question_picks_the_sentence_with_times_a_week() -> None:
    draft = ask("how often should I use the mask?", MASK, intent="usage")
    assert "Use once or twice a week for best results." in draft.text
    assert "Leave on for 10 minutes" not in draft.text


def test_a_turkish_how_many_minutes_question_picks_the_minutes_sentence() -> None:
    draft = ask(
        "maskeyi kaç dakika bekletmeliyim?",
        TURKISH_MASK,
        intent="usage",
        language="tr",
        first_name="Ayşe",
    )
    assert "10 dakika bekletin ve ılık suyla iyice durulayın." in draft.text
    assert "Haftada bir veya iki kez kullanın." not in draft.text


def test_a_turkish_reply_uses_the_turkish_frame() -> None:
    draft = ask(
        "maskeyi haftada kac kez kullanmaliyim",
        TURKISH_MASK,
        intent="usage",
        language="tr",
        first_name="Ayşe",
    )
    assert draft.text.startswith("Merhaba Ayşe! Onarıcı Saç Maskesi nasıl kullanılır: ")
    assert "Haftada bir veya iki kez kullanın." in draft.text
    assert draft.text.endswith("Başka bir sorunuz olursa yazabilirsiniz.")
    assert check_draft(draft.text, language="tr", sources=TURKISH_MASK) == []


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("is it halal certified?", "product_question"),
        ("is it halal certified?", None),
        ("do you ship to germany?", "product_question"),
    ],
)
def test_a_question_the_sources_do_not_cover_gets_an_empty_draft(
    question: str, intent: str | None
) -> None:
    draft = ask(question, MASK, intent=intent)
    assert draft.text == ""
    assert draft.used_sources == []


def test_without_sources_the_draft_is_empty() -> None:
    draft = ask("how often should I use the mask?", [], intent="usage")
    assert draft == Draft("", "usage", [], 0.0)
    assert ask("hello?", [], intent=None).intent == "other"


def test_a_greeting_without_a_question_gets_an_empty_draft() -> None:
    assert ask("hi there", MASK, intent=None).text == ""


def test_a_long_ingredients_list_still_answers_whether_an_ingredient_is_in_it() -> None:
    inci = ", ".join(
        [
            "Aqua", "Glycerin", "Niacinamide", "Butylene Glycol", "Zinc PCA", "Pentylene Glycol",
            "Sodium Hyaluronate", "Panthenol", "Allantoin", "Tamarindus Indica Seed Gum",
            "Xanthan Gum", "Ethylhexylglycerin", "Phenoxyethanol", "Caprylyl Glycol",
            "Sodium Citrate", "Citric Acid", "Disodium EDTA", "Hydroxyethylcellulose",
            "Centella Asiatica Extract", "Madecassoside", "Asiaticoside",
            "Camellia Sinensis Leaf Extract", "Glycyrrhiza Glabra Root Extract", "Betaine",
            "Trehalose", "Carbomer", "Tromethamine", "Polysorbate 20", "Tocopherol",
            "Sodium Benzoate", "Potassium Sorbate", "Hydrolyzed Rice Protein", "Lactic Acid",
            "Parfum",
        ]
    )  # fmt: skip
    gel = [source("S1", "ingredients", inci + ".", product="Clear Skin Gel", product_id=GEL_ID)]
    draft = ask("does the gel contain niacinamide", gel)
    assert "Niacinamide" in draft.text


NIACINAMIDE = "Niacinamide 10% Serum"
VITAMIN_C = "Vitamin C 15% Serum"
SERUMS = [
    source(
        "S1",
        "how_to_use",
        "Use morning and evening after cleansing. Apply 2-3 drops to the whole face.",
        product=NIACINAMIDE,
        product_id=NIACINAMIDE_ID,
    ),
    source(
        "S2",
        "how_to_use",
        "Use in the morning only, on dry skin. Apply 3-4 drops to the face and neck.",
        product=VITAMIN_C,
        product_id=VITAMIN_C_ID,
    ),
    source(
        "S3",
        "faq",
        "Q: Can I use it with vitamin C? A: Yes. Apply the vitamin C first, then the niacinamide.",
        product=NIACINAMIDE,
        product_id=NIACINAMIDE_ID,
    ),
]
BOTH_SERUMS = [
    Purchase(NIACINAMIDE_ID, NIACINAMIDE, "#1001", None),
    Purchase(VITAMIN_C_ID, VITAMIN_C, "#1001", None),
]


def test_a_question_about_both_bought_products_answers_for_each_of_them() -> None:
    draft = ask("can i put both on in the morning?", SERUMS, purchases=BOTH_SERUMS)
    parts = draft.text.split("\n\n")[0].split("\n")
    assert len(parts) == 2
    assert NIACINAMIDE in parts[0] and VITAMIN_C not in parts[0].split(": ", 1)[0]
    assert f"How to use {VITAMIN_C}: Use in the morning only, on dry skin." in parts[1]
    assert draft.used_sources == ["S1", "S2", "S3"]


def test_what_one_product_page_says_about_the_other_bought_one_answers_a_both_question() -> None:
    draft = ask(
        "can i put both on in the morning? which one goes first",
        SERUMS,
        intent="usage",
        purchases=BOTH_SERUMS,
    )
    assert "Apply the vitamin C first, then the niacinamide." in draft.text


def test_a_question_about_one_product_is_answered_for_the_best_source_only() -> None:
    draft = ask("how many drops in the morning?", SERUMS, intent="usage", purchases=BOTH_SERUMS)
    assert VITAMIN_C not in draft.text
    assert draft.used_sources == ["S1", "S3"] or draft.used_sources == ["S1"]


SHAMPOO = page(
    "Anti-Dandruff Shampoo",
    ("how_to_use", "Use 2-3 times a week against flakes. Massage into wet scalp. Rinse."),
    ("faq", "Q: Can children use it? A: It is recommended for ages 12 and up."),
)


def test_a_question_about_a_child_picks_the_sentence_about_ages() -> None:
    draft = ask("my son is 10 and has flakes too can he use it", SHAMPOO)
    assert "It is recommended for ages 12 and up." in draft.text


RETINOL = page(
    "Retinol Night Serum",
    ("warnings", "Do not use during pregnancy. Retinol increases sun sensitivity: use SPF 30+."),
    ("faq", "Q: Can I use it with niacinamide? A: Yes, both go well with retinol."),
)


@pytest.mark.parametrize(
    "question",
    [
        "roakutan kullaniyorum retinol serumu da ayni anda surebilir miyim",
        "im on accutane can i still use the retinol serum",
        "i take antibiotics for my skin, is the retinol ok",
    ],
)
def test_a_question_about_a_medicine_the_page_does_not_mention_gets_an_empty_draft(
    question: str,
) -> None:
    assert ask(question, RETINOL).text == ""


def test_a_question_about_a_medicine_the_page_speaks_about_is_answered() -> None:
    roaccutane = page(
        "Retinol Night Serum",
        ("warnings", "Do not use while taking isotretinoin (Roaccutane) or other oral retinoids."),
    )
    draft = ask("im on roaccutane can i use the retinol serum", roaccutane)
    assert "Do not use while taking isotretinoin (Roaccutane)" in draft.text


def test_a_question_in_other_words_than_the_page_is_covered_by_what_its_hint_finds() -> None:
    # Nothing on the page says "daughter": "children" answers it.
    draft = ask("is it ok for my daughter? she is 9", SHAMPOO)
    assert "It is recommended for ages 12 and up." in draft.text


def test_naming_the_other_product_outranks_sharing_only_its_kind() -> None:
    serum_id, oil_id = uuid.uuid4(), uuid.uuid4()
    serum = [
        source(
            "S1",
            "ingredients",
            "INCI: Aqua, Caffeine, Hydrogenated Castor Oil.",
            product="Peptide Scalp Serum",
            product_id=serum_id,
        ),
        source(
            "S2",
            "faq",
            "Q: Can I use it with the rosemary oil? A: Yes: the serum daily, the rosemary oil "
            "2-3 times a week.",
            product="Peptide Scalp Serum",
            product_id=serum_id,
        ),
    ]
    oil = [
        source(
            "S3", "description", "A pre-wash scalp oil.", product="Rosemary Oil", product_id=oil_id
        )
    ]
    bought = [
        Purchase(serum_id, "Peptide Scalp Serum", "#1", None),
        Purchase(oil_id, "Rosemary Oil", "#1", None),
    ]
    draft = ask("how do i use them both", [*serum, *oil], intent="usage", purchases=bought)
    serum_part = draft.text.split("\n")[0]
    assert "the rosemary oil 2-3 times a week" in serum_part
    assert "Castor Oil" not in serum_part
