"""The stored status vocabularies (models' StrEnums) keep the values the database already
holds, and compare equal to them: a row read back as plain text matches its member."""

from __future__ import annotations

from enum import StrEnum

import pytest

from recete_app.backend.models import (
    ConversationStatus,
    IntegrationStatus,
    JobStatus,
    MessageDirection,
    MessageStatus,
    ScheduledStatus,
)


@pytest.mark.parametrize(
    ("vocabulary", "stored"),
    [
        (ConversationStatus, {"ai", "needs_human", "human", "closed"}),
        (MessageDirection, {"inbound", "outbound"}),
        (MessageStatus, {"received", "handled", "sent", "delivered", "read", "failed"}),
        (IntegrationStatus, {"active", "broken", "uninstalled", "redacted", "disconnected"}),
        (JobStatus, {"queued", "running", "done", "failed"}),
        (
            ScheduledStatus,
            {"scheduled", "queued", "sending", "sent", "failed", "skipped", "cancelled"}
            | {"paused", "unknown"},
        ),
    ],
)
def test_the_stored_values_do_not_change(vocabulary: type[StrEnum], stored: set[str]) -> None:
    assert {member.value for member in vocabulary} == stored
    assert all(member == member.value and str(member) == member.value for member in vocabulary)
