"""Send messages through the WhatsApp Cloud API: templates, free-form text, read receipts.

The caller owns the `httpx.Client` (built with `build_client(base_url=settings.whatsapp_graph_url)`
so it carries the Graph API version, e.g. `https://graph.facebook.com/v23.0`) and decides what to
retry from the error raised (see `errors`). One client serves one business phone number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from recete_app.backend.messaging.whatsapp.errors import (
    WhatsAppApiError,
    WhatsAppResponseError,
    transport_error,
)

# Meta's limits: opaque callback data up to 512 characters, text bodies up to 4096.
MAX_CALLBACK_DATA = 512
MAX_TEXT_BODY = 4096

_RECIPIENT = re.compile(r"\+?(\d{6,15})")
# Phone number IDs go into the URL path: letters, digits, "-" and "_" keep it one segment.
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
# Meta rejects template parameters with new lines, tabs or more than 4 consecutive spaces.
_BAD_TEMPLATE_TEXT = re.compile(r"[\n\r\t]| {5}")


@dataclass(frozen=True)
class TemplateMessage:
    name: str
    language_code: str  # e.g. "en_US", "tr"
    body_parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class SentMessage:
    message_id: str  # "wamid...."
    wa_id: str | None


@dataclass(frozen=True)
class PhoneNumber:
    display_phone_number: str  # as Meta shows it, e.g. "+90 532 123 45 67"
    verified_name: str  # the business name Meta approved for the number


class WhatsAppClient:
    def __init__(self, http: httpx.Client, *, phone_number_id: str, access_token: str) -> None:
        if not _PATH_SEGMENT.fullmatch(phone_number_id):
            raise ValueError("phone_number_id must be Meta's phone number ID (digits)")
        if not access_token:
            raise ValueError("access_token is empty")
        self._http = http
        self.phone_number_id = phone_number_id
        # No leading slash: httpx appends it to the base URL's path, keeping "/v23.0".
        self._path = f"{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {access_token}"}

    def __repr__(self) -> str:  # never show the token
        return f"WhatsAppClient(phone_number_id={self.phone_number_id!r})"

    def send_template(
        self, to: str, template: TemplateMessage, *, callback_data: str | None = None
    ) -> SentMessage:
        payload = _envelope(to, callback_data)
        payload["type"] = "template"
        payload["template"] = _template_object(template)
        return self._send(payload)

    def send_text(
        self,
        to: str,
        body: str,
        *,
        callback_data: str | None = None,
        reply_to: str | None = None,
    ) -> SentMessage:
        if not body.strip():
            raise ValueError("text body is empty")
        if len(body) > MAX_TEXT_BODY:
            raise ValueError(f"text body is {len(body)} characters; WhatsApp allows 4096")
        payload = _envelope(to, callback_data)
        payload["type"] = "text"
        payload["text"] = {"preview_url": False, "body": body}
        if reply_to:
            payload["context"] = {"message_id": reply_to}
        return self._send(payload)

    def mark_read(self, message_id: str) -> None:
        """Blue ticks on an inbound message (and every earlier one in the chat). Any 2xx counts
        as done: it is idempotent, so there is nothing to reconcile."""
        if not message_id:
            raise ValueError("message_id is empty")
        self._post({"messaging_product": "whatsapp", "status": "read", "message_id": message_id})

    def phone_number(self) -> PhoneNumber:
        """The number as Meta shows it: one read-only call that proves the token is accepted."""
        fields = {"fields": "display_phone_number,verified_name"}
        try:
            response = self._http.get(self.phone_number_id, params=fields, headers=self._headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise transport_error(exc) from exc
        if not response.is_success:
            raise WhatsAppApiError.from_response(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise WhatsAppResponseError(
                f"WhatsApp answered HTTP {response.status_code} without the phone number",
                http_status=response.status_code,
            )
        return PhoneNumber(
            str(body.get("display_phone_number") or ""), str(body.get("verified_name") or "")
        )

    def _send(self, payload: dict[str, Any]) -> SentMessage:
        response = self._post(payload)
        sent = _sent_message(response)
        if sent is None:
            raise WhatsAppResponseError(
                f"WhatsApp answered HTTP {response.status_code} without messages[0].id",
                http_status=response.status_code,
            )
        return sent

    def _post(self, payload: dict[str, Any]) -> httpx.Response:
        try:
            response = self._http.post(self._path, json=payload, headers=self._headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise transport_error(exc) from exc
        if not response.is_success:
            raise WhatsAppApiError.from_response(response)
        return response


def recipient_digits(to: str) -> str:
    """'+905321234567' or '905321234567' -> '905321234567' (Meta wants no '+')."""
    match = _RECIPIENT.fullmatch(to.strip())
    if match is None:
        raise ValueError("recipient must be an international number: '+' and 6-15 digits")
    return match.group(1)


def _envelope(to: str, callback_data: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": recipient_digits(to),
    }
    if callback_data:
        if len(callback_data) > MAX_CALLBACK_DATA:
            raise ValueError(
                f"callback data is {len(callback_data)} characters; WhatsApp allows 512"
            )
        payload["biz_opaque_callback_data"] = callback_data
    return payload


def _template_object(template: TemplateMessage) -> dict[str, Any]:
    if not template.name or not template.language_code:
        raise ValueError("template name and language code are required")
    for value in template.body_parameters:
        if not value.strip() or _BAD_TEMPLATE_TEXT.search(value):
            raise ValueError(
                "template parameters must be non-empty, without new lines, tabs "
                "or more than 4 consecutive spaces"
            )
    result: dict[str, Any] = {"name": template.name, "language": {"code": template.language_code}}
    if template.body_parameters:
        parameters = [{"type": "text", "text": value} for value in template.body_parameters]
        result["components"] = [{"type": "body", "parameters": parameters}]
    return result


def _sent_message(response: httpx.Response) -> SentMessage | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    messages = body.get("messages")
    first = messages[0] if isinstance(messages, list) and messages else None
    message_id = first.get("id") if isinstance(first, dict) else None
    if not isinstance(message_id, str) or not message_id:
        return None
    contacts = body.get("contacts")
    contact = contacts[0] if isinstance(contacts, list) and contacts else None
    wa_id = contact.get("wa_id") if isinstance(contact, dict) else None
    return SentMessage(message_id=message_id, wa_id=wa_id if isinstance(wa_id, str) else None)
