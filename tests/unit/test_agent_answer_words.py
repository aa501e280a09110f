"""The words a question is looked up with besides its own: a question about a child or a size
reaches the page's words for them ("children", "sizes"); other questions add nothing."""

from __future__ import annotations

import pytest

from recete_app.backend.agent.answer_words import search_hints
from recete_app.backend.text import detect_language


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("my son is 10 and has flakes too can he use it", "children"),
        ("can my 8 year old daughter use it", "children"),
        ("oglum 10 yasinda kullanabilir mi", "cocuk"),
        ("does it come in a bigger bottle", "sizes"),
        ("daha buyuk boyutu var mi", "boyut"),
    ],
)
def test_a_question_about_a_child_or_a_size_is_also_looked_up_by_the_pages_words(
    question: str, word: str
) -> None:
    language = detect_language(question)
    assert word in search_hints(question, language)


def test_the_pages_words_are_searched_in_the_replys_language_only() -> None:
    words = search_hints("is it ok for my daughter? she is 9", "en")
    assert "children" in words and "cocuk" not in words


def test_a_question_about_how_much_to_use_adds_nothing_to_the_search() -> None:
    # "how much" is answered by "drops", but searching for drops finds every serum's usage.
    assert search_hints("how much of it do i use", "en") == []
