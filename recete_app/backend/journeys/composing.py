"""What a due row becomes at the moment it is sent: checked again (consent, order, window,
one a day), then rendered in the customer's language. Nothing here talks to WhatsApp."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from recete_app.backend.db import current_merchant_id
from recete_app.backend.journeys.schedule import (
    CANCELLED,
    FAILED,
    JOURNEY_STEP,
    SENDING,
    SENT,
    SKIPPED,
    TEXT_REPLY,
    UNKNOWN,
    customer_zone,
)
from recete_app.backend.journeys.settings import journey_for, step_templates
from recete_app.backend.knowledge.sections import best_section_text
from recete_app.backend.messaging.channels import Outgoing
from recete_app.backend.messaging.conversations import open_conversation, window_open
from recete_app.backend.messaging.templates import (
    MissingTemplateValue,
    TemplateSpec,
    product_tip,
    render,
)
from recete_app.backend.messaging.whatsapp.client import TemplateMessage
from recete_app.backend.messaging.windows import (
    SendingWindow,
    first_free_day,
    local_day,
    next_allowed_time,
)
from recete_app.backend.models import (
    Customer,
    Integration,
    JourneyStep,
    Merchant,
    Order,
    OrderItem,
    Product,
    ScheduledMessage,
)
from recete_app.backend.security.crypto import decrypt_field
from recete_app.backend.security.fields import PHONE

FALLBACK_NAMES = {"en": "there", "tr": "değerli müşterimiz"}
# For a product the knowledge base has no usage text for (yet).
FALLBACK_TIPS = {
    "en": "Follow the directions on the label, and ask us here if anything is unclear.",
    "tr": "Etiketteki kullanım talimatlarını izleyin; aklınıza takılan bir şey olursa buradan "
    "sorabilirsiniz.",
}


@dataclass(frozen=True)
class Ready:
    outgoing: Outgoing
    kind: str  # template | text
    details: dict[str, object]


@dataclass(frozen=True)
class Stop:
    status: str  # skipped | cancelled | failed
    reason: str


@dataclass(frozen=True)
class Later:
    due_at: datetime
    reason: str


Decision = Ready | Stop | Later


def compose(session: Session, row: ScheduledMessage, now: datetime) -> Decision:
    customer = session.get(Customer, row.customer_id)
    if customer is None or customer.phone_encrypted is None:
        return Stop(SKIPPED, "The customer has no phone number.")
    phone = decrypt_field(customer.phone_encrypted, PHONE)
    if row.kind == TEXT_REPLY:
        return _text_reply(session, customer, phone, row, now)
    if row.kind == JOURNEY_STEP:
        return _journey_step(session, customer, phone, row, now)
    return Stop(FAILED, f"Unknown kind of scheduled message {row.kind!r}.")


def _text_reply(
    session: Session, customer: Customer, phone: str, row: ScheduledMessage, now: datetime
) -> Decision:
    conversation = open_conversation(session, customer)
    if not window_open(conversation, now):
        return Stop(FAILED, "The customer's 24-hour window closed: only a template may be sent.")
    text = str(row.payload.get("text", ""))
    reply_to = row.payload.get("reply_to")
    outgoing = Outgoing(to=phone, text=text, reply_to=str(reply_to) if reply_to else None)
    details = row.payload.get("details")
    return Ready(outgoing, "text", dict(details) if isinstance(details, dict) else {})


def _journey_step(
    session: Session, customer: Customer, phone: str, row: ScheduledMessage, now: datetime
) -> Decision:
    order = session.get(Order, row.order_id) if row.order_id else None
    step = session.get(JourneyStep, row.step_id) if row.step_id else None
    if order is None or step is None or not step.enabled:
        return Stop(CANCELLED, "The order or the journey step no longer exists.")
    if order.cancelled_at is not None or order.refunded_at is not None:
        return Stop(CANCELLED, "The order was cancelled or refunded.")
    if customer.consent_state != "opted_in":
        return Stop(SKIPPED, "The customer has not opted in to WhatsApp messages.")
    if customer.proactive_paused_at is not None and not row.payload.get("by_person"):
        return Stop(CANCELLED, customer.proactive_paused_reason or "Proactive messages are paused.")
    journey = journey_for(session)
    delivered = order.delivered_at or now
    if now - delivered > timedelta(days=journey.max_order_age_days):
        return Stop(SKIPPED, "The order is older than the journey's age limit.")
    window = SendingWindow(journey.window_start, journey.window_end)
    # A sandbox preview ("send step now") or a template a person sends goes out at any hour.
    manual = row.payload.get("preview") or row.payload.get("by_person")
    later = None if manual else _not_now(session, customer, row, window, now)
    if later is not None:
        return later
    return render_step(session, customer, phone, order, step)


def _not_now(
    session: Session,
    customer: Customer,
    row: ScheduledMessage,
    window: SendingWindow,
    now: datetime,
) -> Later | None:
    """Quiet hours and one proactive message a day, checked when sending (the plan may be old,
    the dispatcher may be late, a retry may have landed at night)."""
    zone = customer_zone(session, customer)
    allowed = next_allowed_time(now, zone, window)
    sent_today = session.exec(
        select(ScheduledMessage.sent_at, ScheduledMessage.request_started_at).where(
            ScheduledMessage.customer_id == customer.id,
            ScheduledMessage.kind == JOURNEY_STEP,
            ScheduledMessage.id != row.id,
            # An unknown send probably went: counting it keeps the customer at one a day.
            col(ScheduledMessage.status).in_((SENT, SENDING, UNKNOWN)),
            col(ScheduledMessage.due_at) >= now - timedelta(days=3),
        )
    ).all()
    busy = {local_day(sent or started or now, zone) for sent, started in sent_today}
    slot = first_free_day(allowed, zone, window, busy)
    if slot <= now:
        return None
    reason = "quiet hours" if local_day(allowed, zone) == local_day(slot, zone) else "one a day"
    return Later(slot, f"Moved: {reason}.")


def render_step(
    session: Session, customer: Customer, phone: str, order: Order, step: JourneyStep
) -> Decision:
    """The step's template in the customer's language, filled for this order."""
    merchant = session.get_one(Merchant, current_merchant_id(session))
    language = customer.language or merchant.default_language
    templates = step_templates(step)
    spec = templates.get(language) or templates.get("en") or next(iter(templates.values()), None)
    if spec is None:
        return Stop(FAILED, "The journey step has no template.")
    values = _values(session, customer, order, step, merchant, spec)
    try:
        rendered = render(spec, values)
    except MissingTemplateValue as exc:
        return Stop(
            FAILED,
            f"The template needs a value for {exc.variable!r} (e.g. the step's link): "
            "set it in Settings → Journeys.",
        )
    template = TemplateMessage(spec.name, spec.language_code, rendered.parameters)
    details: dict[str, object] = {
        "template": spec.name,
        "language": spec.language_code,
        "parameters": list(rendered.parameters),
        "step": step.position,
    }
    return Ready(Outgoing(to=phone, text=rendered.text, template=template), "template", details)


def _values(
    session: Session,
    customer: Customer,
    order: Order,
    step: JourneyStep,
    merchant: Merchant,
    spec: TemplateSpec,
) -> dict[str, str]:
    # Meta refuses an empty parameter: a customer without a name is greeted generically.
    greeting = FALLBACK_NAMES.get(spec.language_code[:2], FALLBACK_NAMES["en"])
    values = {"first_name": customer.first_name or greeting, "store_name": merchant.name}
    item = session.exec(
        select(OrderItem)
        .where(OrderItem.order_id == order.id)
        .order_by(col(OrderItem.product_id).is_(None), col(OrderItem.price).desc())
        .limit(1)
    ).first()
    if item is not None:
        values["product_name"] = item.title
    language = spec.language_code[:2]
    if "tip" in spec.variables:
        tip = _tip(session, item.product_id, language) if item and item.product_id else ""
        values["tip"] = tip or FALLBACK_TIPS.get(language, FALLBACK_TIPS["en"])
    link = step.link or _store_url(session)
    if link:
        values["link"] = link
    return {name: value for name, value in values.items() if value}


def _store_url(session: Session) -> str:
    """The connected store's address: where a reorder or review starts by default."""
    store = session.exec(
        select(Integration.kind, Integration.external_id).where(
            col(Integration.kind).in_(("shopify", "woocommerce"))
        )
    ).first()
    if store is None:
        return ""
    kind, external_id = store
    return f"https://{external_id}" if kind == "shopify" else external_id


def _tip(session: Session, product_id: uuid.UUID, language: str) -> str:
    usage = best_section_text(session, product_id, "how_to_use", language)
    if not usage:
        product = session.get(Product, product_id)
        usage = product.usage if product is not None else ""
    return product_tip(usage) if usage else ""
