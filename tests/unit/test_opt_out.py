"""The customer's "STOP": whole-message opt-outs in English and Turkish, never a sentence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recete_app.backend.messaging.opt_out import (
    OPT_IN_PHRASES,
    OPT_OUT_PHRASES,
    is_opt_in,
    is_opt_out,
    opt_out_confirmation,
)

OPT_OUTS = [
    # English keywords, any casing and punctuation
    "STOP",
    "stop",
    "Stop.",
    "  stop!!  ",
    "STOP ALL",
    "stopall",
    "Unsubscribe",
    "OPT OUT",
    "opt-out",
    "OptOut",
    "cancel",
    "END",
    "quit",
    "🛑 STOP 🛑",
    '"stop"',
    "stop stop stop",
    "Stop please",
    "please stop",
    "STOP, thanks",
    "Stop messaging me",
    "stop sending messages!",
    "No more messages please.",
    "remove me",
    # Turkish, with and without Turkish letters
    "DUR",
    "dur",
    "Durdur",
    "İPTAL",
    "iptal",
    "IPTAL",
    "ıptal",
    "İptal.",
    "ABONELİK İPTAL",
    "abonelik iptal",
    "ABONELIKTEN CIK",
    "Abonelikten çık",
    "ÇIK",
    "cik",
    "mesaj atmayın",
    "Mesaj atmayin!",
    "Lütfen mesaj göndermeyin",
    "mesaj gondermeyin lutfen",
    "İstemiyorum",
    "istemiyorum.",
    "Bir daha yazmayın!",
    "bir daha yazmayin",
    "Dur lütfen 🙏",
    # German, Spanish, French
    "STOPP",
    "Abmelden",
    "BAJA",
    "parar",
    "ARRÊT",
    "arret",
    "Désabonner",
]

NOT_OPT_OUTS = [
    "the itching won't stop",
    "can I cancel my order?",
    "stop using it?",
    "Should I stop using it?",
    "Kremi kullanmayı bırakmalı mıyım, dur mu diyorsunuz?",
    "iptal etmek istiyorum siparişimi",
    "Siparişimi iptal edebilir miyim?",
    "I don't want the blue one",
    "how do I cancel",
    "when does the offer end",
    "thanks",
    "please",
    "lütfen",
    "",
    "   ",
    "🛑",
    "??",
    "STOPPED",
    "stopper",
    "dura",
    "Çıktı mı kargo?",
    "ok",
    "no",
    "Start",
    "Yes",
    "stop the rash, it burns, please help me, I need an answer now",
]


@pytest.mark.parametrize("text", OPT_OUTS)
def test_a_whole_message_opt_out_is_recognised(text: str) -> None:
    assert is_opt_out(text)


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_ordinary_sentences_with_those_words_are_not_opt_outs(text: str) -> None:
    assert not is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    ["START", "start", "Start!", "UNSTOP", "subscribe", "BAŞLA", "basla", "Başla lütfen",
     "TEKRAR BAŞLA", "tekrar basla"],
)  # fmt: skip
def test_a_whole_message_opt_in_is_recognised(text: str) -> None:
    assert is_opt_in(text)
    assert not is_opt_out(text)


@pytest.mark.parametrize(
    "text", ["start using it in the morning?", "ne zaman başlamalıyım", "STOP", "", "please"]
)
def test_sentences_and_opt_outs_are_not_opt_ins(text: str) -> None:
    assert not is_opt_in(text)


def test_opt_out_and_opt_in_vocabularies_do_not_overlap() -> None:
    assert not OPT_OUT_PHRASES & OPT_IN_PHRASES


def test_the_confirmation_speaks_the_customers_language() -> None:
    turkish = opt_out_confirmation("tr")
    assert "BAŞLA" in turkish
    assert "START" not in turkish
    assert opt_out_confirmation("TR") == turkish
    assert opt_out_confirmation("tr_TR") == turkish
    for other in ("en", "de", None, ""):
        english = opt_out_confirmation(other)
        assert "START" in english
        assert english != turkish


@given(st.text(max_size=40))
def test_arbitrary_text_never_raises(text: str) -> None:
    assert isinstance(is_opt_out(text), bool)
    assert isinstance(is_opt_in(text), bool)


@given(st.sampled_from(sorted(OPT_OUT_PHRASES)), st.sampled_from(["", "!", ".", " 🙏", "?!"]))
def test_every_phrase_survives_shouting_and_punctuation(phrase: str, tail: str) -> None:
    assert is_opt_out(phrase.upper() + tail)
