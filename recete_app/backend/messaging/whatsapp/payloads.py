"""Read a WhatsApp Cloud API webhook body (already JSON-decoded) into typed records. Pure.

Meta batches several changes, numbers and records into one body and keeps retrying a body we
fail on, so one malformed record is skipped rather than allowed to sink the rest. Only a body
that is not a WhatsApp Business Account notification at all is rejected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

WABA_OBJECT = "whatsapp_business_account"
MEDIA_KINDS = frozenset({"image", "audio", "video", "document", "sticker"})


class InvalidWebhookPayload(ValueError):
    """Not a whatsapp_business_account notification, or no usable `entry` list."""


@dataclass(frozen=True)
class StatusError:
    code: int | None
    title: str
    details: str | None


@dataclass(frozen=True)
class Pricing:
    """What a status report says a message costs: charged or not, and in which category."""

    billable: bool | None
    category: str | None  # marketing | utility | authentication | service | ...
    pricing_type: str | None  # regular | free_customer_service | free_entry_point
    model: str | None  # PMP (per message) since 2025-07-01; CBP before


@dataclass(frozen=True)
class StatusUpdate:
    phone_number_id: str
    message_id: str
    status: str  # sent | delivered | read | failed (others kept as-is)
    timestamp: datetime  # UTC
    recipient_id: str | None
    callback_data: str | None  # biz_opaque_callback_data echoed back
    errors: tuple[StatusError, ...]
    pricing: Pricing | None = None


@dataclass(frozen=True)
class MediaInfo:
    media_id: str
    mime_type: str | None
    sha256: str | None
    caption: str | None
    filename: str | None


@dataclass(frozen=True)
class InboundMessage:
    phone_number_id: str
    message_id: str
    sender: str  # the customer's wa_id ("from")
    timestamp: datetime  # UTC
    kind: str  # the payload's "type", unknown ones kept as-is
    text: str  # what the customer wrote or tapped; "" when there is no text
    payload: str | None  # button payload / interactive reply id
    media: MediaInfo | None
    profile_name: str | None
    context_message_id: str | None  # the message this one replies to


@dataclass(frozen=True)
class NumberError:
    """An error Meta reports about the number itself (`value.errors[]`), not about a message."""

    phone_number_id: str
    error: StatusError


@dataclass(frozen=True)
class WebhookBatch:
    statuses: tuple[StatusUpdate, ...]
    messages: tuple[InboundMessage, ...]
    number_errors: tuple[NumberError, ...] = ()


def parse_webhook(body: Any) -> WebhookBatch:
    if not isinstance(body, dict) or body.get("object") != WABA_OBJECT:
        raise InvalidWebhookPayload("not a whatsapp_business_account webhook")
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise InvalidWebhookPayload("webhook body has no entry list")
    statuses: list[StatusUpdate] = []
    messages: list[InboundMessage] = []
    number_errors: list[NumberError] = []
    for value in _message_values(entries):
        phone_number_id = _text(_dict(value.get("metadata")).get("phone_number_id"))
        if phone_number_id is None:
            continue
        for raw in _list(value.get("errors")):
            if _dict(raw):
                number_errors.append(NumberError(phone_number_id, _status_error(_dict(raw))))
        for raw in _list(value.get("statuses")):
            status = _status(phone_number_id, raw)
            if status is not None:
                statuses.append(status)
        names = _profile_names(value.get("contacts"))
        for raw in _list(value.get("messages")):
            message = _message(phone_number_id, raw, names)
            if message is not None:
                messages.append(message)
    return WebhookBatch(tuple(statuses), tuple(messages), tuple(number_errors))


def phone_number_ids(body: Any) -> list[str]:
    """The business numbers a body is about, in order, without repeats; [] for anything odd.
    Used to find the tenant before the body is trusted, so it must never raise."""
    if not isinstance(body, dict) or body.get("object") != WABA_OBJECT:
        return []
    found: list[str] = []
    for entry in _list(body.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            metadata = _dict(_dict(_dict(change).get("value")).get("metadata"))
            number = _text(metadata.get("phone_number_id"))
            if number is not None and number not in found:
                found.append(number)
    return found


def _message_values(entries: list[Any]) -> list[dict[str, Any]]:
    """The `value` of every `messages` change; other fields (templates, account updates...)
    are someone else's business."""
    values: list[dict[str, Any]] = []
    for entry in entries:
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            value = change.get("value")
            if change.get("field") == "messages" and isinstance(value, dict):
                values.append(value)
    return values


def _status(phone_number_id: str, raw: Any) -> StatusUpdate | None:
    raw = _dict(raw)
    message_id, status = _text(raw.get("id")), _text(raw.get("status"))
    timestamp = _timestamp(raw.get("timestamp"))
    if message_id is None or status is None or timestamp is None:
        return None
    return StatusUpdate(
        phone_number_id=phone_number_id,
        message_id=message_id,
        status=status,
        timestamp=timestamp,
        recipient_id=_text(raw.get("recipient_id")),
        callback_data=_text(raw.get("biz_opaque_callback_data")),
        errors=tuple(_status_error(_dict(e)) for e in _list(raw.get("errors")) if _dict(e)),
        pricing=_pricing(raw.get("pricing")),
    )


def _pricing(raw: Any) -> Pricing | None:
    if not isinstance(raw, dict) or not raw:
        return None
    billable = raw.get("billable")
    category = _text(raw.get("category"))
    return Pricing(
        billable=billable if isinstance(billable, bool) else None,
        category=category.lower()[:40] if category else None,
        pricing_type=(_text(raw.get("type")) or "")[:40] or None,
        model=_text(raw.get("pricing_model")),
    )


def _status_error(raw: dict[str, Any]) -> StatusError:
    code = raw.get("code")
    return StatusError(
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        title=_text(raw.get("title")) or _text(raw.get("message")) or "",
        details=_text(_dict(raw.get("error_data")).get("details")),
    )


def _message(phone_number_id: str, raw: Any, names: dict[str, str]) -> InboundMessage | None:
    raw = _dict(raw)
    message_id, sender, kind = _text(raw.get("id")), _text(raw.get("from")), _text(raw.get("type"))
    timestamp = _timestamp(raw.get("timestamp"))
    if message_id is None or sender is None or kind is None or timestamp is None:
        return None
    text, payload = _text_and_payload(kind, _dict(raw.get(kind)))
    media = _media(_dict(raw.get(kind))) if kind in MEDIA_KINDS else None
    return InboundMessage(
        phone_number_id=phone_number_id,
        message_id=message_id,
        sender=sender,
        timestamp=timestamp,
        kind=kind,
        text=text,
        payload=payload,
        media=media,
        profile_name=names.get(sender),
        context_message_id=_text(_dict(raw.get("context")).get("id")),
    )


def _text_and_payload(kind: str, content: dict[str, Any]) -> tuple[str, str | None]:
    if kind == "text":
        return _text(content.get("body")) or "", None
    if kind == "button":
        return _text(content.get("text")) or "", _text(content.get("payload"))
    if kind == "interactive":
        reply_type = content.get("type")
        if reply_type in ("button_reply", "list_reply"):
            reply = _dict(content.get(reply_type))
            return _text(reply.get("title")) or "", _text(reply.get("id"))
        return "", None  # flows (nfm_reply) and future kinds: nothing we can quote
    if kind in MEDIA_KINDS:
        return _text(content.get("caption")) or "", None
    return "", None


def _media(content: dict[str, Any]) -> MediaInfo | None:
    media_id = _text(content.get("id"))
    if media_id is None:
        return None
    return MediaInfo(
        media_id=media_id,
        mime_type=_text(content.get("mime_type")),
        sha256=_text(content.get("sha256")),
        caption=_text(content.get("caption")),
        filename=_text(content.get("filename")),
    )


def _profile_names(contacts: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    for contact in _list(contacts):
        contact = _dict(contact)
        wa_id, name = _text(contact.get("wa_id")), _text(_dict(contact.get("profile")).get("name"))
        if wa_id is not None and name is not None:
            names.setdefault(wa_id, name)
    return names


def _timestamp(value: Any) -> datetime | None:
    """Meta sends unix seconds as a string ("1749416383"); accept a plain integer too."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
