"""The agent panel in words: waits in minutes or hours, reasons most frequent first, each adverse
reaction answered after its wait or still waiting."""

from __future__ import annotations

from decimal import Decimal

from recete_app.backend.analytics.agent_report import AgentFigures
from recete_app.state.agent_rows import agent_cards, agent_lists

FIGURES = AgentFigures(
    answered=1240,
    guardrail_blocks=3,
    escalations=18,
    urgent=1,
    by_reason={"human": 5, "complaint": 9, "adverse_reaction": 1},
    median_wait_minutes=42.4,
    p90_wait_minutes=310.0,
    unanswered_24h=2,
    adverse_reactions=[
        {"escalated_at": "2026-11-12T09:30:00+00:00", "waited_minutes": 12.0},
        {"escalated_at": "2026-11-20T22:05:00+00:00", "waited_minutes": None},
    ],
    llm_cost_usd=Decimal("1.284"),
)


def test_cards_say_each_figure_with_its_formula() -> None:
    cards = {card["key"]: card for card in agent_cards(FIGURES)}
    assert cards["answered"]["value"] == "1,240"
    assert cards["median_wait"]["value"] == "42 min"
    assert cards["p90_wait"]["value"] == "5.2 h"
    assert cards["llm_cost"]["value"] == "$1.28"
    assert "never count as a reply" in cards["median_wait"]["formula"]
    assert agent_cards(AgentFigures())[2]["value"] == "–"  # no reply yet: no wait to show


def test_reasons_come_most_frequent_first_and_each_adverse_reaction_says_its_wait() -> None:
    reasons, adverse = agent_lists(FIGURES)
    assert reasons == ["complaint: 9", "human: 5", "adverse reaction: 1"]
    assert adverse == [
        "2026-11-12 09:30 UTC: answered after 12 min",
        "2026-11-20 22:05 UTC: still waiting for a person",
    ]
