"""The Analytics page's agent panel, in words: its cards (each with its formula), escalations
by reason, and each adverse reaction with how long it waited for a person. Pure."""

from __future__ import annotations

from typing import Any

from recete_app.backend.analytics.agent_report import AgentFigures

AGENT_FORMULAS = {
    "answered": "customers' messages the AI answered itself",
    "escalations": "conversations handed to a person, by the reason the agent gave",
    "median_wait": "escalation to a person's first reply, middle value (AI and system "
    "messages never count as a reply)",
    "p90_wait": "escalation to a person's first reply: 9 in 10 customers waited less",
    "unanswered": "escalations with no reply from a person within 24 hours",
    "guardrail_blocks": "draft replies a guardrail stopped before they reached the customer",
    "llm_cost": "the model's cost over the range (USD)",
}


def _minutes(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} min" if value < 120 else f"{value / 60:.1f} h"


def agent_cards(figures: AgentFigures) -> list[dict[str, str]]:
    shown_values = {
        "answered": ("Answered by the AI", f"{figures.answered:,}"),
        "escalations": ("Handed to a person", f"{figures.escalations:,}"),
        "median_wait": ("Wait for a person (median)", _minutes(figures.median_wait_minutes)),
        "p90_wait": ("Wait for a person (90%)", _minutes(figures.p90_wait_minutes)),
        "unanswered": ("Unanswered after 24 h", f"{figures.unanswered_24h:,}"),
        "guardrail_blocks": ("Guardrail blocks", f"{figures.guardrail_blocks:,}"),
        "llm_cost": ("Model cost", f"${figures.llm_cost_usd:,.2f}"),
    }
    return [
        {"key": key, "label": label, "value": value, "formula": AGENT_FORMULAS[key], "previous": ""}
        for key, (label, value) in shown_values.items()
    ]


def _waited(item: dict[str, Any]) -> str:
    minutes = item["waited_minutes"]
    when = f"{item['escalated_at'][:16].replace('T', ' ')} UTC"
    if minutes is None:
        return f"{when}: still waiting for a person"
    return f"{when}: answered after {_minutes(minutes)}"


def agent_lists(figures: AgentFigures) -> tuple[list[str], list[str]]:
    """Escalations by reason, and each adverse reaction with how long it waited."""
    reasons = [
        f"{reason.replace('_', ' ')}: {count}"
        for reason, count in sorted(figures.by_reason.items(), key=lambda i: -i[1])
    ]
    return reasons, [_waited(item) for item in figures.adverse_reactions]
