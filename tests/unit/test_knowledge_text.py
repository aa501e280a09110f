"""Text handling for retrieval: Turkish casing, folding, language guess, chunks, local vectors."""

from __future__ import annotations

import math

import pytest

from recete_app.backend.knowledge.chunking import chunk_section
from recete_app.backend.knowledge.embeddings import LocalEmbedder
from recete_app.backend.text import (
    detect_language,
    fold,
    turkish_lower,
    turkish_stem,
    words,
)


def test_turkish_capitals_lower_to_their_own_letters() -> None:
    assert turkish_lower("IŞIK İLAÇ") == "ışık ilaç"
    assert fold("Şampuanı GÜNDE İKİ kez") == "sampuani gunde iki kez"
    assert words("Kremi sabah mı akşam mı sürmeliyim?") == [
        "kremi", "sabah", "mi", "aksam", "mi", "surmeliyim"
    ]  # fmt: skip


def test_the_language_is_guessed_from_letters_or_common_words() -> None:
    assert detect_language("kremi sabah mı akşam mı sürmeliyim") == "tr"
    assert detect_language("sampuani kac dakika bekletiyorum") == "tr"
    assert detect_language("how many drops of the vitamin c do i use") == "en"


def test_every_chunk_names_its_product_and_section() -> None:
    chunks = chunk_section("Rosemary Hair Oil", "how_to_use", "en", "Massage 5 drops. Rinse.")
    assert [c.text for c in chunks] == ["Rosemary Hair Oil — How to use: Massage 5 drops. Rinse."]
    turkish = chunk_section("Biberiye Yağı", "warnings", "tr", "Gözle temasından kaçının.")
    assert turkish[0].text.startswith("Biberiye Yağı — Uyarılar: ")


def test_faq_entries_are_chunks_of_their_own_and_long_text_is_cut_at_sentences() -> None:
    faq = chunk_section("Serum", "faq", "en", "Q: Vegan? A: Yes.\nQ: With vitamin C? A: Yes.")
    assert [c.body for c in faq] == ["Q: Vegan? A: Yes.", "Q: With vitamin C? A: Yes."]
    long = chunk_section("Serum", "description", "en", "A sentence that goes on. " * 80)
    assert len(long) > 1
    assert all(len(c.text) <= 900 and c.body.endswith(".") for c in long)


def test_an_unchanged_chunk_keeps_its_hash_and_a_changed_one_does_not() -> None:
    first = chunk_section("Serum", "how_to_use", "en", "Use 3 drops.")[0]
    again = chunk_section("Serum", "how_to_use", "en", "Use 3 drops.")[0]
    edited = chunk_section("Serum", "how_to_use", "en", "Use 4 drops.")[0]
    assert first.content_hash == again.content_hash != edited.content_hash


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_local_vectors_are_deterministic_unit_length_and_forgive_typos() -> None:
    embedder = LocalEmbedder()
    serum, typo, other, same = embedder.embed(
        [
            "vitamin c serum drops",
            "vitamn c serun drops",
            "anti dandruff shampoo",
            "vitamin c serum drops",
        ]
    )
    assert serum == same and len(serum) == embedder.dimensions
    assert math.isclose(math.sqrt(sum(v * v for v in serum)), 1.0)
    assert cosine(serum, typo) > 0.4 > cosine(serum, other)
    shampoo, suffixed, cream = embedder.embed(["sampuan", "şampuanı", "krem"])
    assert cosine(shampoo, suffixed) > 0.3 > cosine(shampoo, cream)  # accents and suffixes


@pytest.mark.parametrize(
    ("word", "root"),
    [
        ("kisacik", "kisa"),
        ("sakalda", "sakal"),
        ("kullanabilir", "kullan"),
        ("damlasi", "damla"),
        ("maskeyi", "maske"),
        ("haftada", "hafta"),  # one ending only: not "haf"
        ("yag", "yag"),  # a root keeps three letters
    ],
)
def test_a_turkish_word_loses_its_last_ending(word: str, root: str) -> None:
    assert turkish_stem(word) == root
