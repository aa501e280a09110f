"""Blue ticks: the customer sees that the store read their message once it has been answered
(by the agent, or handed to a person with a reply saying so). Best effort: a receipt that fails
is logged, never retried — it changes nothing but two ticks' colour."""

from __future__ import annotations

import logging
import uuid

from recete_app.backend.db import session_scope
from recete_app.backend.messaging.channels import WhatsAppChannel, channel_for
from recete_app.backend.messaging.whatsapp.errors import WhatsAppError

log = logging.getLogger(__name__)


def mark_read(merchant_id: uuid.UUID, provider_message_id: str | None) -> bool:
    """Whether WhatsApp took the receipt (False in the sandbox and for a broken number)."""
    if not provider_message_id:
        return False
    with session_scope(merchant_id) as session:
        channel = channel_for(session)
    if not isinstance(channel, WhatsAppChannel):
        return False
    try:
        channel.client.mark_read(provider_message_id)
    except WhatsAppError as exc:
        log.warning("read receipt refused", extra={"code": getattr(exc, "code", None)})
        return False
    return True
