from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from recete_app.backend.messaging.whatsapp.payloads import (
    InboundMessage,
    InvalidWebhookPayload,
    MediaInfo,
    Pricing,
    StatusError,
    StatusUpdate,
    WebhookBatch,
    parse_webhook,
    phone_number_ids,
)
from tests.support import fixture_json

PHONE_ID = "106540352242922"
AYSE = "905321234567"
SENT_WAMID = "wamid.HBgMOTA1MzIxMjM0NTY3FQIAERgSQjg1RjM3NkRGQTY0NkE3ODFFAA=="


def fixture(name: str) -> dict[str, Any]:
    return fixture_json("whatsapp", name)


def at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, tz=UTC)


def value_of(body: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = body["entry"][0]["changes"][0]["value"]
    return value


def only_message(body: dict[str, Any]) -> InboundMessage:
    batch = parse_webhook(body)
    assert batch.statuses == ()
    (message,) = batch.messages
    return message


def test_text_message_with_the_senders_profile_name() -> None:
    assert only_message(fixture("inbound_text.json")) == InboundMessage(
        phone_number_id=PHONE_ID,
        message_id="wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0E0QTY1OTlBRUUwMzgxMDE0NEYA",
        sender=AYSE,
        timestamp=at(1762254721),
        kind="text",
        text="Merhaba, serumu günde kaç kez kullanmalıyım?",
        payload=None,
        media=None,
        profile_name="Ayşe Yılmaz",
        context_message_id=None,
    )


def test_template_quick_reply_button_gives_text_payload_and_replied_message() -> None:
    assert only_message(fixture("inbound_button.json")) == InboundMessage(
        phone_number_id=PHONE_ID,
        message_id="wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0FCMjM2NjFEMTVCQkZEOTQ0RDQA",
        sender=AYSE,
        timestamp=at(1762258302),
        kind="button",
        text="Bildirimleri durdur",
        payload="STOP",
        media=None,
        profile_name="Ayşe Yılmaz",
        context_message_id=SENT_WAMID,
    )


def test_interactive_button_reply_gives_title_and_id() -> None:
    assert only_message(fixture("inbound_interactive_button_reply.json")) == InboundMessage(
        phone_number_id=PHONE_ID,
        message_id="wamid.HBgMOTA1NDQxMTEyMjMzFQIAEhgUM0FGRDQ5NTlFMzdFRjBFRjg0NkYA",
        sender="905441112233",
        timestamp=at(1762261444),
        kind="interactive",
        text="Nasıl kullanılır?",
        payload="usage-help",
        media=None,
        profile_name="Mehmet Kaya",
        context_message_id="wamid.HBgMOTA1NDQxMTEyMjMzFQIAERgSNTc0QzA0QkE1QkM0RTdBNjM3AA==",
    )


def test_interactive_list_reply_gives_title_and_id() -> None:
    body = fixture("inbound_interactive_button_reply.json")
    value_of(body)["messages"][0]["interactive"] = {
        "type": "list_reply",
        "list_reply": {"id": "skin-dry", "title": "Kuru cilt", "description": "Nemlendirici"},
    }
    message = only_message(body)
    assert (message.text, message.payload) == ("Kuru cilt", "skin-dry")


def test_image_gives_media_and_its_caption_as_text() -> None:
    message = only_message(fixture("inbound_image.json"))
    assert (message.kind, message.text, message.payload) == ("image", "Kutu ezik geldi", None)
    assert message.media == MediaInfo(
        media_id="1003383421387256",
        mime_type="image/jpeg",
        sha256="4gbmZ5n+6F0x0vdS0GmNRNbbPP7sMdgFZsH1cuTsgBM=",
        caption="Kutu ezik geldi",
        filename=None,
    )


def test_voice_note_gives_media_without_text() -> None:
    message = only_message(fixture("inbound_audio.json"))
    assert (message.kind, message.text, message.profile_name) == ("audio", "", "Ayşe Yılmaz")
    assert message.media == MediaInfo(
        media_id="1196302745274513",
        mime_type="audio/ogg; codecs=opus",
        sha256="Ajr7Aq9qgYd3jNZ8q2cVrPF9HtFUVMkyQ/zxC8xO+Xk=",
        caption=None,
        filename=None,
    )


def test_document_keeps_its_filename() -> None:
    body = fixture("inbound_image.json")
    raw = value_of(body)["messages"][0]
    raw["type"] = "document"
    raw["document"] = {
        "filename": "fatura.pdf",
        "mime_type": "application/pdf",
        "sha256": "abc=",
        "id": "889900",
    }
    del raw["image"]
    message = only_message(body)
    assert message.media == MediaInfo("889900", "application/pdf", "abc=", None, "fatura.pdf")
    assert message.text == ""


UTILITY = Pricing(billable=True, category="utility", pricing_type="regular", model="PMP")


def test_statuses_keep_order_callback_data_and_recipient_and_pricing() -> None:
    assert parse_webhook(fixture("statuses_sent_delivered_read.json")) == WebhookBatch(
        statuses=(
            StatusUpdate(
                phone_number_id=PHONE_ID,
                message_id=SENT_WAMID,
                status="sent",
                timestamp=at(1762250401),
                recipient_id=AYSE,
                callback_data="msg:0b7c6a5e-3f2d-4e1a-9c8b-7a6f5e4d3c2b",
                errors=(),
                pricing=UTILITY,
            ),
            StatusUpdate(
                phone_number_id=PHONE_ID,
                message_id=SENT_WAMID,
                status="delivered",
                timestamp=at(1762250403),
                recipient_id=AYSE,
                callback_data="msg:0b7c6a5e-3f2d-4e1a-9c8b-7a6f5e4d3c2b",
                errors=(),
                pricing=UTILITY,
            ),
            StatusUpdate(
                phone_number_id=PHONE_ID,
                message_id="wamid.HBgMOTA1NDQxMTEyMjMzFQIAERgSNTc0QzA0QkE1QkM0RTdBNjM3AA==",
                status="read",
                timestamp=at(1762250467),
                recipient_id="905441112233",
                callback_data=None,
                errors=(),
            ),
        ),
        messages=(),
    )


def test_failed_status_carries_metas_error_code_and_details() -> None:
    (status,) = parse_webhook(fixture("status_failed.json")).statuses
    assert status == StatusUpdate(
        phone_number_id=PHONE_ID,
        message_id="wamid.HBgMOTA1NTU1NTU1NTU1FQIAERgSMUJGRUQ0QjQ1RTk1MjY0QTlBAA==",
        status="failed",
        timestamp=at(1762251120),
        recipient_id="905555555555",
        callback_data="msg:7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6",
        errors=(StatusError(131026, "Message undeliverable", "Message Undeliverable."),),
    )
    assert status.timestamp.tzinfo is UTC


def test_one_body_can_carry_statuses_for_several_numbers() -> None:
    body = fixture("statuses_sent_delivered_read.json")
    other = copy.deepcopy(body["entry"][0])
    value_of({"entry": [other]})["metadata"]["phone_number_id"] = "200000000000001"
    body["entry"].append(other)
    body["entry"][0]["changes"].append(
        copy.deepcopy(fixture("inbound_text.json")["entry"][0]["changes"][0])
    )

    batch = parse_webhook(body)
    assert [s.phone_number_id for s in batch.statuses] == [PHONE_ID] * 3 + ["200000000000001"] * 3
    assert [m.phone_number_id for m in batch.messages] == [PHONE_ID]
    assert phone_number_ids(body) == [PHONE_ID, "200000000000001"]


def test_malformed_records_are_skipped_and_the_rest_kept() -> None:
    body = fixture("inbound_text.json")
    value = value_of(body)
    good = value["messages"][0]
    value["messages"] = [
        "junk",
        {**good, "from": None},
        {**good, "id": ""},
        {**good, "timestamp": "yesterday"},
        {**good, "timestamp": True},
        {k: v for k, v in good.items() if k != "type"},
        {**good, "text": "not an object"},
        good,
    ]
    value["statuses"] = [{"status": "sent", "timestamp": "1762250401"}, None]
    value["contacts"] = ["junk", {"wa_id": AYSE}, {"wa_id": AYSE, "profile": {"name": "Ayşe"}}]
    batch = parse_webhook(body)
    assert batch.statuses == ()
    assert [(m.message_id, m.text) for m in batch.messages] == [
        (good["id"], ""),  # text that is not an object reads as no text
        (good["id"], "Merhaba, serumu günde kaç kez kullanmalıyım?"),
    ]
    assert {m.profile_name for m in batch.messages} == {"Ayşe"}


def test_unknown_message_types_are_kept_without_text() -> None:
    body = fixture("inbound_text.json")
    raw = value_of(body)["messages"][0]
    del raw["text"]
    raw.update(type="order", order={"catalog_id": "1", "product_items": []})
    message = only_message(body)
    assert (message.kind, message.text, message.payload, message.media) == ("order", "", None, None)


def test_other_change_fields_and_unusable_changes_are_ignored() -> None:
    body = fixture("inbound_text.json")
    changes = body["entry"][0]["changes"]
    template_update = {
        "field": "message_template_status_update",
        "value": {"event": "APPROVED", "message_template_id": 1, "message_template_name": "x"},
    }
    no_metadata = copy.deepcopy(changes[0])
    del no_metadata["value"]["metadata"]
    changes[:0] = [template_update, no_metadata, {"field": "messages", "value": []}, "junk"]
    body["entry"][:0] = ["junk", {"id": "1", "changes": "junk"}]
    assert len(parse_webhook(body).messages) == 1


def test_body_with_no_messages_or_statuses_is_an_empty_batch() -> None:
    body = fixture("inbound_text.json")
    value_of(body).pop("messages")
    assert parse_webhook(body) == WebhookBatch(statuses=(), messages=())
    assert parse_webhook({"object": "whatsapp_business_account", "entry": []}) == WebhookBatch(
        (), ()
    )


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "whatsapp_business_account",
        {},
        {"object": "page", "entry": []},
        {"object": "instagram", "entry": [{"changes": []}]},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": {"changes": []}},
    ],
)
def test_bodies_that_are_not_waba_notifications_are_rejected(body: Any) -> None:
    with pytest.raises(InvalidWebhookPayload):
        parse_webhook(body)


@pytest.mark.parametrize(
    "body",
    [
        None,
        42,
        "x",
        [],
        {
            "object": "page",
            "entry": [{"changes": [{"value": {"metadata": {"phone_number_id": "1"}}}]}],
        },
        {"object": "whatsapp_business_account", "entry": "x"},
        {"object": "whatsapp_business_account", "entry": [None, {"changes": {}}]},
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        None,
                        {"value": []},
                        {"value": {"metadata": "x"}},
                        {"value": {"metadata": {"phone_number_id": 106540352242922}}},
                        {"value": {"metadata": {"phone_number_id": ""}}},
                    ]
                }
            ],
        },
    ],
)
def test_phone_number_ids_of_junk_is_empty(body: Any) -> None:
    assert phone_number_ids(body) == []


def test_phone_number_ids_lists_each_number_once_in_order() -> None:
    assert phone_number_ids(fixture("status_failed.json")) == [PHONE_ID]


def test_errors_about_the_number_itself_are_kept_apart_from_messages_and_statuses() -> None:
    batch = parse_webhook(fixture("value_errors.json"))
    assert batch.statuses == () and batch.messages == ()
    [error] = batch.number_errors
    assert error.phone_number_id == "106540352242922"
    assert (error.error.code, error.error.title) == (131051, "Message type unknown")
    assert error.error.details == "Message type is currently not supported."
