"""From one customer message to a decision: answer, escalate to a person, decline, or stay
silent. Pure: everything it needs was read before (context.read_inquiry, find_sources), so no
transaction is held open while a model thinks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from recete_app.backend.agent.context import Inquiry
from recete_app.backend.agent.guardrails import Violation, check_draft, screen_message
from recete_app.backend.agent.intents import IntentGuess, asks_about_agent
from recete_app.backend.agent.links import StoreLinks, keep_store_links
from recete_app.backend.agent.replies import fixed_reply, order_status
from recete_app.backend.agent.responders import (
    Draft,
    DraftRequest,
    Responder,
    ResponderError,
    Source,
    Usage,
)
from recete_app.backend.models import ConversationStatus
from recete_app.backend.text import fold

ANSWER, ESCALATE, DECLINE, SILENT, OPT_OUT = "answer", "escalate", "decline", "silent", "opt_out"
ESCALATING = ("adverse_reaction", "complaint", "return_refund", "human")
# The AI stays silent in these: a person is needed, or has the conversation.
HUMAN_OWNED = (ConversationStatus.NEEDS_HUMAN, ConversationStatus.HUMAN)
MIN_CONFIDENCE = 0.35
TEXT_KINDS = ("text", "button", "interactive")
DISSATISFIED = re.compile(
    r"\b(did ?n[o']?t help|not helpful|(that|this) (is ?n[o']?t|does ?n[o']?t) "
    r"(what|answer)|you (do ?n[o']?t|did ?n[o']?t) (understand|answer)|not what i asked|"
    r"still (do ?n[o']?t|not|no)|yardimci olma\w*|anlamadin\w*|anlamiyorsun\w*|"
    r"sacma\w*|cevap vermedin\w*|sordugum bu degil)\b"
)
NOT_ARRIVED = re.compile(
    r"\b(not|never|has ?n[o']?t|have ?n[o']?t) (arrived|received|come|got)\b"
    r"|\b(gelmedi|ulasmadi|teslim (almadim|edilmedi)|elime gecmedi)\b"
)


@dataclass(frozen=True)
class Decision:
    action: str  # answer | escalate | decline | silent | opt_out
    intent: str
    language: str
    reply: str | None = None
    reason: str = ""  # why escalated, declined or silent
    urgent: bool = False
    sources: list[Source] = field(default_factory=list)
    flags: list[Violation] = field(default_factory=list)  # guardrails that fired
    confidence: float = 1.0
    usage: Usage | None = None

    def details(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reason": self.reason,
            "urgent": self.urgent,
            "language": self.language,
            "confidence": round(self.confidence, 3),
            "flags": [{"rule": v.rule, "detail": v.detail} for v in self.flags],
        }


def decide(
    inquiry: Inquiry, guess: IntentGuess, sources: list[Source], responder: Responder
) -> Decision:
    lang = inquiry.language
    if guess.intent == "opt_out":
        return Decision(OPT_OUT, "opt_out", lang, reason="handled by the opt-out keywords")
    if inquiry.consent_state == "opted_out":
        return Decision(SILENT, guess.intent, lang, reason="the customer opted out")
    if inquiry.conversation_status in HUMAN_OWNED:
        urgent = guess.intent == "adverse_reaction"
        return Decision(
            SILENT, guess.intent, lang, reason="a person owns this conversation", urgent=urgent
        )
    if inquiry.kind not in TEXT_KINDS and not inquiry.text.split("]", 1)[-1].strip():
        return _escalate(inquiry, "other", "safe_fallback", "media")
    attack = screen_message(inquiry.text)
    if attack is not None:
        reply = fixed_reply(attack.rule, lang)
        return Decision(DECLINE, "other", lang, reply, attack.rule, flags=[attack])
    return _by_intent(inquiry, guess, sources, responder)


def _by_intent(
    inquiry: Inquiry, guess: IntentGuess, sources: list[Source], responder: Responder
) -> Decision:
    intent = guess.intent
    if intent in ESCALATING:
        return _escalate(inquiry, intent, intent, intent)
    if _dissatisfied_again(inquiry):
        return _escalate(inquiry, intent, "dissatisfied", "repeated_dissatisfaction")
    if intent == "order_status":
        return _order_status(inquiry)
    if intent == "thanks":
        return Decision(ANSWER, intent, inquiry.language, fixed_reply("thanks", inquiry.language))
    if asks_about_agent(inquiry.text):
        reply = fixed_reply("about_me", inquiry.language, inquiry.store_name)
        return Decision(ANSWER, "other", inquiry.language, reply, "about_the_agent")
    return _grounded(inquiry, guess, sources, responder)


def _grounded(
    inquiry: Inquiry, guess: IntentGuess, sources: list[Source], responder: Responder
) -> Decision:
    lang = inquiry.language
    # A link in a product page that is not the store's never reaches the responder (a model
    # cannot reword what it never saw); one the responder writes itself is dropped after.
    sources, dropped = _own_links_only(sources, inquiry.store_links)
    request = DraftRequest(
        message=inquiry.text,
        language=lang,
        intent=guess.intent if guess.certain else None,
        store_name=inquiry.store_name,
        customer_first_name=inquiry.first_name,
        purchases=inquiry.purchases,
        history=inquiry.history,
        sources=sources,
    )
    try:
        draft = responder.draft(request)
    except ResponderError as exc:
        decision = _escalate(inquiry, guess.intent, "safe_fallback", "responder_failed")
        return _with(decision, usage=exc.usage, confidence=0.0)
    intent = draft.intent or guess.intent
    if intent != guess.intent and intent in (*ESCALATING, "order_status", "thanks", "opt_out"):
        return _with(
            _by_intent(inquiry, IntentGuess(intent, draft.confidence, True), sources, responder),
            usage=draft.usage,
        )
    return _checked_without_foreign_links(inquiry, intent, draft, sources, dropped)


def _checked_without_foreign_links(
    inquiry: Inquiry, intent: str, draft: Draft, sources: list[Source], dropped: list[str]
) -> Decision:
    """The draft checked once any link not the store's is out of it; a link dropped from it or
    from its sources is flagged, so the merchant learns which page carries one."""
    kept = keep_store_links(draft.text, inquiry.store_links)
    decision = _checked(inquiry, intent, replace(draft, text=kept.text), sources)
    hosts = sorted({*dropped, *kept.dropped})
    if not hosts:
        return decision
    found = Violation("foreign_link", f"links dropped: {hosts[:5]}")
    return _with(decision, flags=[*decision.flags, found])


def _own_links_only(sources: list[Source], links: StoreLinks) -> tuple[list[Source], list[str]]:
    """The sources without links other than the store's, and the hosts of those dropped."""
    cleaned, dropped = [], []
    for source in sources:
        kept = keep_store_links(source.text, links)
        cleaned.append(replace(source, text=kept.text) if kept.dropped else source)
        dropped += kept.dropped
    return cleaned, dropped


def _checked(inquiry: Inquiry, intent: str, draft: Draft, sources: list[Source]) -> Decision:
    lang = inquiry.language
    if not draft.text.strip():
        if intent == "other":
            reply = fixed_reply("other", lang, inquiry.store_name)
            return Decision(ANSWER, intent, lang, reply, "off_topic", usage=draft.usage)
        decision = _escalate(inquiry, intent, "no_knowledge", "no_knowledge")
        return _with(decision, usage=draft.usage, confidence=draft.confidence)
    used = [s for s in sources if s.ref in draft.used_sources] or sources[:1]
    violations = check_draft(
        draft.text, language=lang, sources=used, allowed_text=_allowed_facts(inquiry)
    )
    if violations:
        decision = _escalate(inquiry, intent, "safe_fallback", "guardrail")
        return _with(decision, flags=violations, usage=draft.usage, confidence=draft.confidence)
    if draft.confidence < MIN_CONFIDENCE:
        decision = _escalate(inquiry, intent, "no_knowledge", "low_confidence")
        return _with(decision, usage=draft.usage, confidence=draft.confidence)
    return Decision(
        ANSWER,
        intent,
        lang,
        draft.text,
        sources=used,
        confidence=draft.confidence,
        usage=draft.usage,
    )


def _escalate(inquiry: Inquiry, intent: str, reply: str, reason: str) -> Decision:
    return Decision(
        ESCALATE,
        intent,
        inquiry.language,
        fixed_reply(reply, inquiry.language, inquiry.store_name),
        reason,
        urgent=intent == "adverse_reaction",
    )


def _with(decision: Decision, **changes: Any) -> Decision:
    return replace(decision, **changes)


def _dissatisfied_again(inquiry: Inquiry) -> bool:
    """Unhappy with the agent's answers twice: a person does better than a third try."""
    if not DISSATISFIED.search(fold(inquiry.text)):
        return False
    earlier = [t for t in inquiry.history if t.author == "customer"]
    return any(DISSATISFIED.search(fold(t.text)) for t in earlier[-3:])


def _order_status(inquiry: Inquiry) -> Decision:
    lang = inquiry.language
    if not inquiry.orders:
        return _escalate(inquiry, "order_status", "safe_fallback", "no_order_found")
    latest = inquiry.orders[0]
    delivered = latest.delivered_at is not None and not latest.delivery_estimated
    if delivered and NOT_ARRIVED.search(fold(inquiry.text)):
        return _escalate(inquiry, "order_status", "complaint", "delivered_but_not_received")
    return Decision(ANSWER, "order_status", lang, order_status(latest, lang))


def _allowed_facts(inquiry: Inquiry) -> str:
    orders = " ".join(f"{o.name}" for o in inquiry.orders)
    purchases = " ".join(p.title for p in inquiry.purchases)
    return f"{inquiry.store_name} {inquiry.first_name} {orders} {purchases}"
