"""Which of a person's inbox actions a conversation's status allows. One rule: `inbox_actions`
enforces it, and the thread view carries it (`allowed_actions`) so the dashboard and the API
offer exactly what the backend accepts instead of deciding again from the status."""

from __future__ import annotations

import uuid
from enum import StrEnum

from recete_app.backend.models import ConversationStatus

# Whoever holds it, a person answers these (the AI stays silent).
PERSON_OWNED = (ConversationStatus.NEEDS_HUMAN, ConversationStatus.HUMAN)


class InboxAction(StrEnum):
    TAKE_OVER = "take_over"
    HAND_BACK = "hand_back"
    CLOSE = "close"
    REPLY = "reply"  # free text inside the 24-hour window, a journey template outside it


def can_take_over(
    status: str, holder: uuid.UUID | None = None, person: uuid.UUID | None = None
) -> bool:
    """Any open conversation: from the AI, from the queue waiting for a person, or from a
    colleague who holds it (they may be away, and the customer should not wait for them);
    not one the person already holds."""
    if status == ConversationStatus.CLOSED:
        return False
    return not holds(status, holder, person)


def holds(status: str, holder: uuid.UUID | None, person: uuid.UUID | None) -> bool:
    return status == ConversationStatus.HUMAN and person is not None and holder == person


def can_hand_back(status: str) -> bool:
    """Only where a person is needed or answers: the AI already answers the others."""
    return status in PERSON_OWNED


def can_close(status: str) -> bool:
    return status != ConversationStatus.CLOSED


def can_reply(status: str) -> bool:
    """A person writes where a person answers; one waiting for a person is taken over as the
    reply goes. To answer where the AI does, a person takes the conversation over first."""
    return status in PERSON_OWNED


_RULES = (
    (InboxAction.TAKE_OVER, can_take_over),
    (InboxAction.HAND_BACK, can_hand_back),
    (InboxAction.CLOSE, can_close),
    (InboxAction.REPLY, can_reply),
)


def allowed_actions(
    status: str, holder: uuid.UUID | None = None, person: uuid.UUID | None = None
) -> tuple[InboxAction, ...]:
    """What `person` (None: an API key, which holds nothing) may do with a conversation in
    `status` held by `holder`."""
    allowed = [action for action, rule in _RULES if rule(status)]
    if holds(status, holder, person):
        allowed.remove(InboxAction.TAKE_OVER)
    return tuple(allowed)
