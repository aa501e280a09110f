"""A customer's timeline, built from their record (the export's document): orders, messages,
journey messages and consent changes merged newest first, each said in words."""

from __future__ import annotations

from typing import Any

from recete_app.state.customer_rows import consent_problem, erase_confirmed, profile_of
from recete_app.state.customer_timeline import build_timeline, consent_source

RECORD: dict[str, Any] = {
    "format": "recete.customer_export.v1",
    "customer": {
        "id": "7d1c6c53-3f7b-4b0e-9a56-5cfa3c1f0d10",
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "phone": "+905321234567",
        "email": None,
        "language": "tr",
        "source": "shopify",
        "consent_state": "opted_out",
        "consent_updated_at": "2026-03-05T09:30:00+00:00",
    },
    "consent_log": [
        {
            "state": "opted_in",
            "channel": "whatsapp",
            "source": "shopify:note_attribute",
            "recorded_at": "2026-03-01T10:00:00+00:00",
            "details": {},
        },
        {
            "state": "opted_out",
            "channel": "whatsapp",
            "source": "merchant:account:1234",
            "recorded_at": "2026-03-05T09:30:00+00:00",
            "details": {"reason": "asked by phone"},
        },
    ],
    "orders": [
        {
            "name": "#1001",
            "placed_at": "2026-03-01T10:00:00+00:00",
            "delivered_at": "2026-03-03T15:00:00+00:00",
            "cancelled_at": None,
            "refunded_at": None,
            "total": "450.00",
            "currency": "TRY",
            "items": [{"title": "Gül Suyu Tonik", "sku": "GST", "quantity": 2}],
        }
    ],
    "conversations": [
        {
            "status": "ai",
            "created_at": "2026-03-04T08:00:00+00:00",
            "messages": [
                {
                    "direction": "inbound",
                    "author": "customer",
                    "kind": "text",
                    "body": "How do I use the toner?",
                    "status": "handled",
                    "created_at": "2026-03-04T08:00:00+00:00",
                },
                {
                    "direction": "outbound",
                    "author": "ai",
                    "kind": "text",
                    "body": "Twice a day, on clean skin.",
                    "status": "delivered",
                    "created_at": "2026-03-04T08:00:05+00:00",
                },
            ],
        }
    ],
    "scheduled_messages": [
        {
            "kind": "journey_step",
            "status": "sent",
            "due_at": "2026-03-04T07:00:00+00:00",
            "sent_at": "2026-03-04T07:00:02+00:00",
            "reason": None,
        },
        {
            "kind": "journey_step",
            "status": "skipped",
            "due_at": "2026-03-06T07:00:00+00:00",
            "sent_at": None,
            "reason": "The customer opted out.",
        },
        {
            "kind": "journey_step",
            "status": "scheduled",
            "due_at": "2026-03-20T07:00:00+00:00",
            "sent_at": None,
            "reason": None,
        },
        {  # a reply: already in the conversation, as a message
            "kind": "text_reply",
            "status": "sent",
            "due_at": "2026-03-04T08:00:05+00:00",
            "sent_at": "2026-03-04T08:00:05+00:00",
            "reason": None,
        },
    ],
    "audit": [],
}


def test_the_timeline_merges_everything_newest_first() -> None:
    titles = [(e.when, e.title) for e in build_timeline(RECORD)]
    assert titles == [
        ("2026-03-20 07:00 UTC", "Journey message planned"),
        ("2026-03-06 07:00 UTC", "Journey message skipped"),
        ("2026-03-05 09:30 UTC", "Opted out"),
        ("2026-03-04 08:00 UTC", "Message out, from the AI (delivered)"),
        ("2026-03-04 08:00 UTC", "Message in"),
        ("2026-03-04 07:00 UTC", "Journey message sent"),
        ("2026-03-03 15:00 UTC", "Order #1001 delivered"),
        # Placed and opted in at the same moment: the order first, as the record lists them.
        ("2026-03-01 10:00 UTC", "Order #1001 placed"),
        ("2026-03-01 10:00 UTC", "Opted in"),
    ]


def test_each_entry_says_what_happened_in_words() -> None:
    entries = {e.title: e for e in build_timeline(RECORD)}
    assert entries["Order #1001 placed"].detail == "Gül Suyu Tonik × 2 · 450.00 TRY"
    assert entries["Message in"].detail == "How do I use the toner?"
    assert entries["Message in"].kind == "message_in"
    assert entries["Journey message skipped"].detail == "The customer opted out."
    assert entries["Opted out"].detail == ("Recorded by hand in Recete · reason: asked by phone")
    assert entries["Opted in"].detail == "From Shopify (an order note)"
    assert (entries["Opted out"].tone, entries["Opted in"].tone) == ("red", "green")


def test_events_without_a_time_and_an_empty_record_give_no_entries() -> None:
    assert build_timeline({}) == []
    never_delivered = {"orders": [{"name": "#9", "placed_at": None, "delivered_at": None}]}
    assert build_timeline(never_delivered) == []


def test_a_timestamp_without_a_zone_is_read_as_utc() -> None:
    record = {"consent_log": [{"state": "opted_in", "recorded_at": "2026-03-01T10:00:00"}]}
    (entry,) = build_timeline(record)
    assert entry.when == "2026-03-01 10:00 UTC"


def test_unknown_consent_sources_are_shown_as_they_are() -> None:
    assert consent_source("woocommerce:meta") == "From woocommerce:meta"
    assert consent_source("whatsapp:keyword") == "The customer's own WhatsApp message"


def test_the_profile_shows_the_whole_phone_and_the_consent_in_words() -> None:
    profile = profile_of(RECORD["customer"])
    assert (profile.name, profile.phone, profile.email) == ("Ayşe Yılmaz", "+905321234567", "")
    assert (profile.consent_label, profile.consent_since) == ("Opted out", "2026-03-05 09:30 UTC")


def test_erasing_needs_the_whole_phone_or_the_word_erase_typed_exactly() -> None:
    assert erase_confirmed("+905321234567", "+905321234567")
    assert erase_confirmed(" ERASE ", "+905321234567")
    for typed in ("", "erase", "+90532123456", "4567"):
        assert not erase_confirmed(typed, "+905321234567")
    assert not erase_confirmed("", "")  # no phone: only the word will do


def test_a_consent_form_needs_a_state_and_a_reason() -> None:
    assert consent_problem("", "asked") == "Choose whether the customer opted in or opted out."
    assert consent_problem("unknown", "asked").startswith("Choose")
    assert consent_problem("opted_out", "  ").startswith("Give a reason")
    assert consent_problem("opted_out", "x" * 501).startswith("Keep the reason under 500")
    assert consent_problem("opted_in", "asked in the shop") == ""


def test_an_attributed_order_says_which_journey_message_brought_it_and_how() -> None:
    attributed = {
        "orders": [
            {
                **RECORD["orders"][0],
                "name": "#1002",
                "attribution": {
                    "step": "day14_check_in",
                    "rule": "click",
                    "touched_at": "2026-03-17T09:12:00+00:00",
                    "window_days": 5,
                },
            }
        ]
    }
    entries = {e.title: e for e in build_timeline(attributed)}
    assert entries["Order #1002 placed"].detail == (
        "Gül Suyu Tonik × 2 · 450.00 TRY · brought by the day14_check_in message: its link "
        "was clicked 2026-03-17 09:12 UTC, within the 5-day window"
    )
