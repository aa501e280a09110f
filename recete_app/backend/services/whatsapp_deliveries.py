"""Processing a stored WhatsApp delivery: status reports, then customers' messages."""

from __future__ import annotations

from sqlmodel import Session, select

from recete_app.backend.agent.service import answer_after_commit
from recete_app.backend.intake.events import event_payload
from recete_app.backend.messaging.inbound import STORED, receive
from recete_app.backend.messaging.statuses import apply_status, note_number_errors
from recete_app.backend.messaging.whatsapp.payloads import InvalidWebhookPayload, parse_webhook
from recete_app.backend.models import ExternalEvent, Integration


def handle(session: Session, event: ExternalEvent) -> str:
    try:
        batch = parse_webhook(event_payload(event))
    except InvalidWebhookPayload:
        return "ignored"
    # One delivery may carry several numbers of the same Meta app: only this merchant's count.
    own = set(
        session.exec(select(Integration.external_id).where(Integration.kind == "whatsapp")).all()
    )
    note_number_errors(session, [e for e in batch.number_errors if e.phone_number_id in own])
    for update in batch.statuses:
        if update.phone_number_id in own:
            apply_status(session, update)
    for message in batch.messages:
        if message.phone_number_id in own:
            received = receive(session, message)
            if received is not None and received.action == STORED:
                answer_after_commit(session, received.conversation_id)
    return "processed"
