"""Links in the agent's replies: the store's own (its hosts and their subdomains, its journeys'
links) stay; any other (with a scheme, www., or a bare domain) is dropped, and the sentence
around it still reads."""

from __future__ import annotations

import pytest

from recete_app.backend.agent.links import (
    NO_LINKS,
    Kept,
    StoreLinks,
    keep_store_links,
    store_links,
)
from recete_app.backend.knowledge.demo import load_catalogue

STORE = store_links(
    ["https://www.shop.com/products/serum", "glow-lab.myshopify.com", "https://kozmetik.com.tr"],
    ["https://g.page/r/glow-lab/review/"],
)


def kept(text: str, allowed: StoreLinks = STORE) -> str:
    return keep_store_links(text, allowed).text


def test_the_stores_hosts_come_from_its_addresses_without_www() -> None:
    assert STORE.hosts == {"shop.com", "glow-lab.myshopify.com", "kozmetik.com.tr"}
    assert STORE.links == {"g.page/r/glow-lab/review"}


def test_a_store_name_counts_as_its_host_only_when_it_is_a_domain() -> None:
    named = store_links(["Kozmetikcim.com", "Lale Kozmetik Ltd. Şti.", "Glow Lab"])
    assert named.hosts == {"kozmetikcim.com"}


@pytest.mark.parametrize(
    "text",
    [
        "Our guide: https://shop.com/pages/retinol-guide.",
        "Our guide: https://www.shop.com/pages/retinol-guide.",
        "Reorder at blog.shop.com/reorder or SHOP.COM.",
        "Kullanım videosu: www.shop.com/video, izleyin.",
        "Mağazamız: https://glow-lab.myshopify.com/collections/all",
        "Sipariş için kozmetik.com.tr'yi ziyaret edin.",
        "Leave us a review: https://g.page/r/glow-lab/review",
        "Write to support@gmail.com if the bottle leaks.",  # an email address is not a link
    ],
)
def test_a_link_to_the_store_or_a_journey_link_stays_word_for_word(text: str) -> None:
    assert keep_store_links(text, STORE) == Kept(text, [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Fill in the refund form here: http://evil.example/refund.",
            "Fill in the refund form here.",
        ),
        ("Ask us at https://evil.example/help. Then rinse.", "Ask us. Then rinse."),
        ("Visit www.evil.example for more, then rinse.", "Visit for more, then rinse."),
        ("The form: evil.example/refund", "The form"),
        ("Register http://evil.example/a or www.evil.example/b!", "Register!"),
        ("Apply nightly (see evil.example/guide).", "Apply nightly."),
        ('Click "https://evil.example/x" to claim.', "Click to claim."),
        ("Claim it: «evil.example/gift».", "Claim it."),
        (
            "Apply nightly. https://evil.example/x\nRinse in the morning.",
            "Apply nightly.\nRinse in the morning.",
        ),
        ("Lookalike: https://shop.com.evil.example/refund.", "Lookalike."),
        ("Lookalike: https://evilshop.com/refund.", "Lookalike."),
        ("Posing as the store: https://shop.com@evil.example/refund.", "Posing as the store."),
        (
            "A browser reads https://evil.example\\@shop.com as the first host.",
            "A browser reads as the first host.",
        ),
        ("Not the web: javascript://shop.com/%0aalert(1) here.", "Not the web: here."),
        ("Another review page: https://g.page/r/other-shop/review.", "Another review page."),
        ("Or write to x@evil.example/form today.", "Or write to x@ today."),
    ],
)
def test_any_other_link_is_dropped_with_the_words_that_only_pointed_at_it(
    text: str, expected: str
) -> None:
    assert kept(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "İade formunu http://evil.example/iade adresinden doldurun.",
            "İade formunu doldurun.",
        ),
        (
            "Kampanya için www.evil.example'a girin ve kaydolun.",
            "Kampanya için girin ve kaydolun.",
        ),
        ("Şikayet formu: evil.example/sikayet.", "Şikayet formu."),
        (
            "Kullanım videosu www.shop.com/video sayfasında, iade formu evil.example/iade "
            "linkinde.",
            "Kullanım videosu www.shop.com/video sayfasında, iade formu.",
        ),
    ],
)
def test_turkish_text_around_a_dropped_link_still_reads(text: str, expected: str) -> None:
    assert kept(text) == expected


def test_without_the_stores_addresses_every_link_is_dropped() -> None:
    result = keep_store_links("Guide: https://shop.com/guide and evil.example.", NO_LINKS)
    assert result.text == "Guide."
    assert result.dropped == ["shop.com", "evil.example"]


@pytest.mark.parametrize(
    "text",
    [
        "Apply on dry skin.Then rinse.",  # a missing space is not a link
        "Use 0.3% retinol, e.g. twice a week, i.e. at night; 2.5 ml at 10.30.",
        "INCI: Aqua, Caprylic/Capric Triglyceride, Polysorbate 20. Ltd.Şti. üretimidir.",
    ],
)
def test_text_with_no_link_is_left_as_it_is(text: str) -> None:
    assert keep_store_links(text, NO_LINKS) == Kept(text, [])


def test_the_demo_catalogues_pages_have_nothing_taken_for_a_link() -> None:
    catalogue = load_catalogue()
    texts = [
        body
        for product in catalogue["products"]
        for section in product["sections"].values()
        for body in section.values()
    ]
    assert [t for t in texts if keep_store_links(t, NO_LINKS).dropped] == []
