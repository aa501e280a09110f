"""Blue ticks: the customer sees that the store read their message once it has been answered
(by the agent, or handed to a person with a reply saying so). Best effort: a receipt that fails
is logged, never retried — it changes nothing but two ticks' colour."""

from __future__ import annotations

import logging

from recete_app.backend.messaging.channels import Channel, WhatsAppChannel
from recete_app.backend.messaging.whatsapp.errors import WhatsAppError

log = logging.getLogger(__name__)


def mark_read(channel: Channel | None, provider_message_id: str | None) -> bool:
    """Whether WhatsApp took the receipt (False in the sandbox and for a broken number)."""
    if not provider_message_id or not isinstance(channel, WhatsAppChannel):
        return False
    try:
        channel.client.mark_read(provider_message_id)
    except WhatsAppError as exc:
        log.warning("read receipt refused", extra={"code": getattr(exc, "code", None)})
        return False
    return True
