"""Which of a person's actions each conversation status allows: the one rule the inbox enforces
and the dashboard and the API offer."""

from __future__ import annotations

import pytest

from recete_app.backend.messaging.inbox_rules import InboxAction, allowed_actions
from recete_app.backend.models import ConversationStatus

TAKE_OVER, HAND_BACK, CLOSE, REPLY = (
    InboxAction.TAKE_OVER,
    InboxAction.HAND_BACK,
    InboxAction.CLOSE,
    InboxAction.REPLY,
)


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        # The AI answers: a person takes it over before writing; there is nothing to hand back.
        (ConversationStatus.AI, (TAKE_OVER, CLOSE)),
        # Waiting for a person: a reply takes it over on the spot.
        (ConversationStatus.NEEDS_HUMAN, (TAKE_OVER, HAND_BACK, CLOSE, REPLY)),
        # A person holds it, and a colleague may still take it over.
        (ConversationStatus.HUMAN, (TAKE_OVER, HAND_BACK, CLOSE, REPLY)),
        (ConversationStatus.CLOSED, ()),
    ],
)
def test_each_status_allows_its_actions(
    status: ConversationStatus, allowed: tuple[str, ...]
) -> None:
    assert allowed_actions(status) == allowed


def test_a_status_read_back_from_the_database_as_plain_text_gets_the_same_actions() -> None:
    assert allowed_actions("human") == allowed_actions(ConversationStatus.HUMAN)
