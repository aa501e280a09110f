"""The Integrations page's "send a test message": Meta's sample template to the merchant's own
phone, to prove the number, token and recipient work before customers depend on them."""

from __future__ import annotations

import uuid

from recete_app.backend.db import session_scope
from recete_app.backend.errors import InvalidInput
from recete_app.backend.messaging.channels import Outgoing, WhatsAppChannel, channel_for
from recete_app.backend.messaging.whatsapp.client import TemplateMessage
from recete_app.backend.messaging.whatsapp.errors import WhatsAppError
from recete_app.backend.phones import InvalidPhoneError, normalize_phone

# Every WhatsApp Business account starts with this approved template.
SAMPLE_TEMPLATE = TemplateMessage("hello_world", "en_US")
SAMPLE_TEXT = "Hello World — Welcome and congratulations!! (WhatsApp's sample template)"


def send_test_message(merchant_id: uuid.UUID, phone: str) -> str:
    """Returns WhatsApp's message id; raises InvalidInput with WhatsApp's reason."""
    try:
        to = normalize_phone(phone)
    except InvalidPhoneError:
        raise InvalidInput("Enter your phone as +<country code><number>.") from None
    with session_scope(merchant_id) as session:
        channel = channel_for(session)
    if not isinstance(channel, WhatsAppChannel):
        raise InvalidInput(
            "Connect a WhatsApp number first (or reconnect it: its token expired).",
            code="no_whatsapp",
        )
    test = Outgoing(to=to, text=SAMPLE_TEXT, template=SAMPLE_TEMPLATE)
    try:
        sent = channel.send(test, "test", channel.pace(1)[0])
    except WhatsAppError as exc:
        raise InvalidInput(f"WhatsApp refused the test message: {exc}", code="test_failed") from exc
    return sent.message_id
