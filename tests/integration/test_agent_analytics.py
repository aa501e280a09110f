"""The agent's figures through the real paths (the sandbox's customer, the agent, a person's
reply through the inbox service): answered, escalations by reason, the wait for a person
(median, 90th percentile), escalations unanswered after 24 hours, adverse reactions and their
waits; and the same through /api/analytics/agent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from recete_app.backend.accounts.api_keys import create_key
from recete_app.backend.accounts.scopes import ADMIN
from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.analytics.agent_facts import escalation_id
from recete_app.backend.analytics.agent_report import agent_figures
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.knowledge.demo import install_demo_catalogue
from recete_app.backend.knowledge.embeddings import LocalEmbedder
from recete_app.backend.models import Conversation
from recete_app.backend.services import conversation_actions
from recete_app.backend.services.sandbox import write_as_customer
from tests.integration.journey_fixtures import new_merchant
from tests.support import owner_sql

QUESTION = "How do I use the rose water toner?"
COMPLAINT = "The bottle arrived broken and the toner leaked everywhere, I am so disappointed"
REACTION = "My face is red and burning after the serum"


def _conversation(merchant_id: uuid.UUID, phone: str, text: str) -> uuid.UUID:
    return write_as_customer(merchant_id, phone, text).conversation_id


def _escalated_at(conversation_id: uuid.UUID, when: datetime) -> None:
    """As if it had escalated at `when` (the fact moves with it)."""
    [(old,)] = owner_sql("SELECT escalated_at FROM conversations WHERE id = :c", c=conversation_id)
    assert isinstance(old, datetime)
    owner_sql("UPDATE conversations SET escalated_at = :t WHERE id = :c", t=when, c=conversation_id)
    owner_sql(
        "UPDATE analytics_events SET subject_at = :t, subject_id = :new WHERE name = 'escalated'"
        " AND subject_id = :old",
        t=when,
        new=escalation_id(conversation_id, when),
        old=escalation_id(conversation_id, old),
    )


def test_the_agents_figures_follow_what_happened_in_the_conversations() -> None:
    merchant_id = new_merchant()
    with session_scope(merchant_id) as session:
        install_demo_catalogue(session, LocalEmbedder())
    person = Principal(merchant_id, "account:ops")
    now = datetime.now(UTC)

    answered = write_as_customer(merchant_id, "+905321110001", QUESTION)
    assert answered.action == "answer", answered
    complaints = [_conversation(merchant_id, f"+90532111001{n}", COMPLAINT) for n in range(3)]
    reaction = _conversation(merchant_id, "+905321110020", REACTION)
    # A person answered the complaints after 10, 20 and (the last) not at all; the one left
    # unanswered escalated two days ago. The adverse reaction waited 30 minutes.
    for conversation_id, minutes in zip(complaints[:2], (10, 20), strict=True):
        _escalated_at(conversation_id, now - timedelta(minutes=minutes))
        conversation_actions.reply_and_send(person, conversation_id, "We are on it, sorry!")
    _escalated_at(complaints[2], now - timedelta(days=2))
    _escalated_at(reaction, now - timedelta(minutes=30))
    conversation_actions.reply_and_send(person, reaction, "Please stop using it; we call you.")
    conversation_actions.reply_and_send(person, reaction, "A second reply counts nothing.")

    start = (now - timedelta(days=3)).date()
    figures = agent_figures(merchant_id, start, now.date(), "UTC", now=now)
    assert figures.answered >= 1
    assert figures.escalations == 4 and figures.urgent == 1
    assert figures.by_reason == {"complaint": 3, "adverse_reaction": 1}
    # Waits 10, 20 and 30 minutes (the unanswered one has none).
    assert figures.median_wait_minutes is not None and 19 <= figures.median_wait_minutes <= 21
    assert figures.p90_wait_minutes is not None and 27 <= figures.p90_wait_minutes <= 29
    assert figures.unanswered_24h == 1
    [adverse] = figures.adverse_reactions
    assert adverse["waited_minutes"] is not None and 29 <= adverse["waited_minutes"] <= 31

    with session_scope(merchant_id) as session:
        issued = create_key(session, "agent figures", scopes=[ADMIN])
        statuses = {c.status for c in session.exec(select(Conversation)).all()}
    assert "needs_human" in statuses  # the unanswered complaint still waits
    with TestClient(create_api(), raise_server_exceptions=False) as client:
        body = client.get(
            f"/api/analytics/agent?from={start}&to={now.date()}",
            headers={"X-Api-Key": issued.key},
        ).json()
    assert (body["escalations"], body["unanswered_24h"], body["urgent"]) == (4, 1, 1)
    assert body["by_reason"] == {"complaint": 3, "adverse_reaction": 1}
