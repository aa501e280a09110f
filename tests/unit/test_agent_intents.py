"""What the customer wants, by the rules alone: realistic WhatsApp messages in English and in
Turkish (with and without its letters), the reaction-versus-suitability line, and the language
a reply is written in."""

from __future__ import annotations

import pytest

from recete_app.backend.agent.context import reply_language
from recete_app.backend.agent.intents import asks_about_agent, classify
from recete_app.backend.text import detect_language


@pytest.mark.parametrize(
    "text",
    [
        "does the vitamin c serum contain fragrance?",
        "is the cleanser ok for oily skin",
        "can my daughter use the toner? shes 14",
        "is the moisturiser vegan?? asking bc my skin is sensitve",
        "do u sell the shampoo in a bigger bottle",
        "bu serum hassas cilde uygun mu",
        "hamileyim bu kremi kullanabilir miyim",
        "sampuanin icinde paraben var mi",
        "Şampuanın içeriğinde sülfat var mı?",
        "retinol ile c vitamini birlikte kullanilir mi",
        "bunun daha büyük boyu var mı",
        "ikisini ayni gun kullanabilir miyim",
    ],
)
def test_questions_about_a_product_are_product_questions(text: str) -> None:
    assert classify(text).intent == "product_question"


@pytest.mark.parametrize(
    "text",
    [
        "how often should i use the retinol",
        "do i apply the serum before or after moisturizer",
        "how many drops of the oil shud i use",
        "should i use it in the morning or at night",
        "serumu sabah mi aksam mi surmeliyim",
        "sampuani kac dakika bekletmeliyim",
        "maskeyi ne kadar süre bekletmem lazım",
        "tonigi gunde kac kez kullanmaliyim",
    ],
)
def test_how_when_and_how_much_questions_are_usage(text: str) -> None:
    assert classify(text).intent == "usage"


@pytest.mark.parametrize(
    "text",
    [
        "where is my order??",
        "hi, when will my package arrive",
        "has my order been shipped yet",
        "can u send me the tracking number pls",
        "my parcel hasnt arrived yet",
        "siparisim nerede",
        "kargom ne zaman gelir",
        "Siparişim hâlâ gelmedi",
    ],
)
def test_where_is_my_order_is_order_status(text: str) -> None:
    assert classify(text).intent == "order_status"


@pytest.mark.parametrize(
    "text",
    [
        "the pump is broken, nothing comes out",
        "ive been using it for 3 weeks and it doesnt work",
        "wrong item arrived, i ordered the shampoo not the conditioner",
        "the bottle arrived leaking all over the box",
        "really disappointed with this cream tbh",
        "Kremin kapağı kırık geldi",
        "hic bir fark goremedim, memnun degilim",
        "serum hic ise yaramadi",
    ],
)
def test_broken_wrong_or_ineffective_products_are_complaints(text: str) -> None:
    assert classify(text).intent == "complaint"


@pytest.mark.parametrize(
    "text",
    [
        "my face is red and burning after the serum",
        "i got a rash after using the toner",
        "my scalp is sooo itchy since i started the shampoo",
        "woke up with my eyes all swollen, used the eye cream last night",
        "yüzümde kızarıklık yaptı",
        "kizariklik yapti",
        "gozlerim yaniyor sampuan kacti",
        "cildim kasiniyor bu kremden sonra",
    ],
)
def test_a_reported_reaction_is_an_adverse_reaction_the_rules_are_sure_of(text: str) -> None:
    guess = classify(text)
    assert guess.intent == "adverse_reaction"
    assert guess.certain  # no model is asked before a reaction is escalated


@pytest.mark.parametrize(
    "text",
    [
        "my face got red bumps, is it safe to keep using it?",
        "i have a rash from the cream, is it ok to keep using it?",
        "the toner stings and my cheeks went red, is that normal?",
        "my skin is burning after the retinol, can i still use it?",
        "yüzüm kızardı, kullanmaya devam edebilir miyim?",
        "kremi surdukten sonra yuzum yandi, normal mi?",
        "I broke out in a rash after the serum, can I use it again?",
    ],
)
def test_a_reaction_reported_together_with_a_question_is_still_adverse(text: str) -> None:
    assert classify(text).intent == "adverse_reaction"


@pytest.mark.parametrize(
    "text",
    [
        "i'm allergic to nuts, can i use it",
        "i have a nut allergy, is the body oil safe for me?",
        "Is it safe for eczema-prone skin? I get irritation easily",
        "does it cause breakouts?",
        "fındık alerjim var, bu kremi kullanabilir miyim?",
    ],
)
def test_asking_whether_a_product_suits_an_allergy_is_not_an_adverse_reaction(text: str) -> None:
    assert classify(text).intent in ("product_question", "usage")


@pytest.mark.parametrize(
    "text",
    [
        "i want a refund",
        "how do i return this?",
        "can i exchange it for the bigger size",
        "I'd like my money back please",
        "iade etmek istiyorum",
        "paramı geri istiyorum",
        "iptal etmek istiyorum siparişimi",
    ],
)
def test_returns_refunds_and_order_cancellations_are_return_refund(text: str) -> None:
    assert classify(text).intent == "return_refund"


@pytest.mark.parametrize(
    "text",
    [
        "can i talk to a real person",
        "I want to speak with customer service",
        "pls let me speak to someone",
        "human please",
        "gercek bir insanla gorusmek istiyorum",
        "yetkili biriyle konusabilir miyim",
    ],
)
def test_asking_for_a_person_is_human(text: str) -> None:
    assert classify(text).intent == "human"


@pytest.mark.parametrize(
    "text", ["STOP", "unsubscribe please", "Stop messaging me!", "bana mesaj atmayın", "İPTAL"]
)
def test_a_whole_message_opt_out_keyword_is_opt_out(text: str) -> None:
    guess = classify(text)
    assert guess.intent == "opt_out"
    assert guess.certain


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("the itching won't stop", "adverse_reaction"),
        ("when should i stop using the retinol before a peel?", "usage"),
    ],
)
def test_stop_inside_a_sentence_is_not_an_opt_out(text: str, intent: str) -> None:
    assert classify(text).intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "thank you so much 🙏",
        "ok got it 👍",
        "great, thanks a lot",
        "❤️ thx",
        "teşekkürler",
        "tamam sagolun 😊",
        "cok tesekkur ederim",
    ],
)
def test_short_thanks_with_or_without_an_emoji_is_thanks(text: str) -> None:
    assert classify(text).intent == "thanks"


@pytest.mark.parametrize(
    "text",
    [
        "hi",
        "merhaba",
        "good morning",
        "lol",
        "👍",
        "what's the weather like in istanbul today?",
        "bugün hava çok güzel",
    ],
)
def test_small_talk_is_other_and_left_for_the_model_to_judge(text: str) -> None:
    guess = classify(text)
    assert guess.intent == "other"
    assert not guess.certain


@pytest.mark.parametrize(
    "text",
    [
        "are you a bot?",
        "Are you a real person??",
        "who am i talking to rn",
        "yapay zeka mısın?",
        "gerçek misiniz",
        "kiminle konuşuyorum?",
        "bot musun?",
    ],
)
def test_asking_whether_the_agent_is_a_bot_is_recognised(text: str) -> None:
    assert asks_about_agent(text)


@pytest.mark.parametrize(
    "text",
    [
        "are you open on sundays?",
        "do you ship to cyprus?",
        "my husband is a real fan of the beard oil",
    ],
)
def test_other_questions_to_the_store_are_not_about_the_agent(text: str) -> None:
    assert not asks_about_agent(text)


@pytest.mark.parametrize(
    "text",
    [
        "yuzumde kizariklik yapti",
        "kremi sabah mi aksam mi kullanmaliyim",
        "siparisim ne zaman gelecek",
        "sampuani kac gun arayla kullanmaliyim",
    ],
)
def test_turkish_written_without_turkish_letters_is_detected_as_turkish(text: str) -> None:
    assert detect_language(text) == "tr"


@pytest.mark.parametrize(
    "text",
    [
        "Hi, this is Ayşe Yılmaz, where is my order?",
        "My name is Gökçe Şahin and my serum arrived broken",
        "hi its Çağla, is the serum vegan",
    ],
)
def test_english_with_a_turkish_name_is_detected_as_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "Is it vegan?",
        "I love it",
        "It burns!!",
    ],
)
def test_english_starting_with_a_capital_i_is_detected_as_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    ("text", "remembered", "expected"),
    [
        ("ok", "tr", "tr"),
        ("STOP", "tr", "tr"),
        ("ok", "en", "en"),
        ("tamam", "en", "en"),
        ("STOP", None, "en"),
        ("ok", "de", "en"),
    ],
)
def test_a_short_reply_keeps_the_language_the_conversation_already_has(
    text: str, remembered: str | None, expected: str
) -> None:
    assert reply_language(text, remembered) == expected


@pytest.mark.parametrize(
    ("text", "remembered", "expected"),
    [
        ("kremi nasil kullanmaliyim", "en", "tr"),
        ("how do i use the serum", "tr", "en"),
        # Lowered the Turkish way "It" would read as Turkish ("ıt"): a former bug.
        ("It burns!!", "en", "en"),
    ],
)
def test_a_message_that_clearly_reads_as_one_language_sets_the_reply_language(
    text: str, remembered: str, expected: str
) -> None:
    assert reply_language(text, remembered) == expected
