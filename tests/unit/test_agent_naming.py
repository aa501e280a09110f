"""A question is about another product than the bought one only when it names that product
clearly: a kind of product the customer did not buy ("your body lotion"), not a describing word
or a little word that happens to be in another product's title."""

from __future__ import annotations

import uuid

from recete_app.backend.agent.naming import asks_about_several, named_product, other_names

VITAMIN_C = uuid.uuid4()
SUNSCREEN = uuid.uuid4()
TONER = uuid.uuid4()
LOTION = uuid.uuid4()
HAIR_MASK = uuid.uuid4()
CLAY_MASK = uuid.uuid4()

TITLES = {
    SUNSCREEN: "Mineral Sunscreen SPF 30 for Sensitive Skin - 50 ml",
    VITAMIN_C: "Vitamin C 15% Brightening Serum - 30 ml",
    TONER: "Rose Water Hydrating Toner - 200 ml",
    LOTION: "Urea 5% Smoothing Body Lotion - 400 ml Üre %5 Vücut Losyonu",
}


def test_small_words_in_another_title_do_not_name_it_against_the_bought_product() -> None:
    # "for" and "sensitive" are both in the sunscreen's title: neither names it.
    assert named_product("is it ok for sensitive skin", TITLES, {VITAMIN_C}) is None


def test_a_kind_of_product_the_customer_did_not_buy_is_named_even_after_it() -> None:
    question = "thinking of getting your body lotion too, would it help with the bumps"
    assert named_product(question, TITLES, {TONER}) == LOTION


def test_a_turkish_kind_of_product_names_it_too() -> None:
    assert named_product("vucut losyonunuz bu pürüzlere iyi gelir mi", TITLES, {TONER}) == LOTION


def test_the_kind_of_product_the_customer_bought_is_their_own() -> None:
    assert named_product("is the lotion ok on my legs", TITLES, {LOTION}) is None


def test_without_a_pointing_word_one_shared_name_word_is_enough() -> None:
    assert named_product("do you have a mineral sunscreen", TITLES, {VITAMIN_C}) == SUNSCREEN


def test_two_products_named_alike_go_to_the_one_retrieval_ranked_first() -> None:
    titles = {HAIR_MASK: "Intensive Repair Hair Mask", CLAY_MASK: "Green Clay Purifying Mask"}
    assert named_product("how long does your hair mask stay on", titles, {TONER}) == HAIR_MASK


def test_both_them_and_ikisi_ask_about_several_products() -> None:
    assert asks_about_several("how do i use them both, same days?")
    assert asks_about_several("ikisini ayni anda surebilir miyim")
    assert not asks_about_several("how many drops do i use")


def test_the_other_products_are_named_by_the_words_they_do_not_share_and_not_their_size() -> None:
    assert other_names("Niacinamide 10% Serum - 30 ml", ["Vitamin C 15% Serum - 30 ml"]) == {
        "vitam"
    }
    assert other_names("Peptide Scalp Serum", ["Rosemary Scalp & Hair Oil - 50 ml"]) == {
        "rosem",
        "oil",
    }
