"""WhatsApp webhook bodies as Meta sends them (the shapes of tests/fixtures/whatsapp/), built
for a test's own messages, and posted signed with the number's app secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from recete_app.backend.models import Message
from tests.integration.journey_fixtures import APP_SECRET, PHONE_NUMBER_ID


def _notification(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def status_update(
    message: Message,
    status: str,
    at: datetime,
    *,
    pricing: dict[str, Any] | None = None,
    recipient: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Meta's report on one of our messages (its wamid), to the customer `recipient` (the
    number it went to, by default read from the message's template request)."""
    raw: dict[str, Any] = {
        "id": message.provider_message_id,
        "status": status,
        "timestamp": str(int(at.timestamp())),
        "recipient_id": recipient or "905321110001",
    }
    if pricing is not None:
        raw["pricing"] = pricing
    if errors is not None:
        raw["errors"] = errors
    return _notification({"statuses": [raw]})


def inbound_text(sender: str, text: str, at: datetime) -> dict[str, Any]:
    return _notification(
        {
            "contacts": [{"profile": {"name": "Customer"}, "wa_id": sender}],
            "messages": [
                {
                    "from": sender,
                    "id": f"wamid.test-{uuid.uuid4().hex}",
                    "timestamp": str(int(at.timestamp())),
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
    )


def post_signed(client: TestClient, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    answer = client.post(
        "/webhooks/whatsapp",
        content=raw,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )
    assert answer.status_code == 200, answer.text
