"""What a journey step becomes at the moment it is sent: checked again (consent, order, window,
one a day), then rendered in the customer's language. The outbox's sender asks through
`JourneyComposer`; replies are the outbox's own (`compose_reply`). Nothing here talks to
WhatsApp."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from recete_app.backend.analytics.events import STEP_KEY, step_label
from recete_app.backend.analytics.links import tracked_url
from recete_app.backend.journeys.settings import step_templates
from recete_app.backend.journeys.step_batch import StepBatch
from recete_app.backend.messaging.channels import Outgoing
from recete_app.backend.messaging.outbox.composing import (
    Decision,
    Later,
    Ready,
    Stop,
    compose_reply,
    customer_phone,
)
from recete_app.backend.messaging.outbox.schedule import (
    CANCELLED,
    FAILED,
    JOURNEY_STEP,
    SKIPPED,
    customer_zone,
)
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
from recete_app.backend.models import Customer, JourneyStep, Order, ScheduledMessage

FALLBACK_NAMES = {"en": "there", "tr": "değerli müşterimiz"}
# For a product the knowledge base has no usage text for (yet).
FALLBACK_TIPS = {
    "en": "Follow the directions on the label, and ask us here if anything is unclear.",
    "tr": "Etiketteki kullanım talimatlarını izleyin; aklınıza takılan bir şey olursa buradan "
    "sorabilirsiniz.",
}


class JourneyComposer:
    """The outbox's composer for journeys: journey steps rendered here, replies as the outbox
    composes them, over one `StepBatch` of reads."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.batch = StepBatch(session, now)

    def prefetch(self, rows: Sequence[ScheduledMessage]) -> None:
        self.batch.prefetch(rows)

    def compose(self, row: ScheduledMessage) -> Decision:
        return compose(self.batch, row)


def compose(batch: StepBatch, row: ScheduledMessage) -> Decision:
    if row.kind != JOURNEY_STEP:
        return compose_reply(batch, row)
    found = customer_phone(batch, row)
    if isinstance(found, Stop):
        return found
    customer, phone = found
    return _journey_step(batch, customer, phone, row)


def _journey_step(
    batch: StepBatch, customer: Customer, phone: str, row: ScheduledMessage
) -> Decision:
    order = batch.order(row.order_id) if row.order_id else None
    step = batch.step(row.step_id) if row.step_id else None
    if order is None or step is None or not step.enabled:
        return Stop(CANCELLED, "The order or the journey step no longer exists.")
    if order.cancelled_at is not None or order.refunded_at is not None:
        return Stop(CANCELLED, "The order was cancelled or refunded.")
    if customer.consent_state != "opted_in":
        return Stop(SKIPPED, "The customer has not opted in to WhatsApp messages.")
    if customer.proactive_paused_at is not None and not row.payload.get("by_person"):
        return Stop(CANCELLED, customer.proactive_paused_reason or "Proactive messages are paused.")
    journey = batch.journey()
    delivered = order.delivered_at or batch.now
    if batch.now - delivered > timedelta(days=journey.max_order_age_days):
        return Stop(SKIPPED, "The order is older than the journey's age limit.")
    window = SendingWindow(journey.window_start, journey.window_end)
    # A sandbox preview ("send step now") or a template a person sends goes out at any hour.
    manual = row.payload.get("preview") or row.payload.get("by_person")
    later = None if manual else _not_now(batch, customer, row, window)
    if later is not None:
        return later
    # Analytics follow the journey's own sends, not a preview or a template a person chose.
    decision = render_step(batch, customer, phone, order, step, None if manual else row)
    if isinstance(decision, Ready):
        batch.note_sending(customer.id, row.id)
    return decision


def _not_now(
    batch: StepBatch, customer: Customer, row: ScheduledMessage, window: SendingWindow
) -> Later | None:
    """Quiet hours and one proactive message a day, checked when sending (the plan may be old,
    the dispatcher may be late, a retry may have landed at night)."""
    now = batch.now
    zone = customer_zone(batch.session, customer, batch.merchant())
    allowed = next_allowed_time(now, zone, window)
    busy = {local_day(when, zone) for when in batch.sent_times(customer.id, row.id)}
    slot = first_free_day(allowed, zone, window, busy)
    if slot <= now:
        return None
    reason = "quiet hours" if local_day(allowed, zone) == local_day(slot, zone) else "one a day"
    return Later(slot, f"Moved: {reason}.")


def render_step(
    batch: StepBatch,
    customer: Customer,
    phone: str,
    order: Order,
    step: JourneyStep,
    send: ScheduledMessage | None = None,
) -> Decision:
    """The step's template in the customer's language, filled for this order. For a journey
    `send`, its link is tracked and the step is named for analytics."""
    merchant = batch.merchant()
    language = customer.language or merchant.default_language
    templates = step_templates(step)
    spec = templates.get(language) or templates.get("en") or next(iter(templates.values()), None)
    if spec is None:
        return Stop(FAILED, "The journey step has no template.")
    label = step_label(step.offset_days, step.purpose)
    values = _values(batch, customer, order, step, spec)
    if send is not None and "link" in values and "link" in spec.variables:
        values["link"] = tracked_url(batch.session, send.id, label, batch.now, values["link"])
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
    if send is not None:
        details[STEP_KEY] = label
    return Ready(Outgoing(to=phone, text=rendered.text, template=template), "template", details)


def _values(
    batch: StepBatch, customer: Customer, order: Order, step: JourneyStep, spec: TemplateSpec
) -> dict[str, str]:
    # Meta refuses an empty parameter: a customer without a name is greeted generically.
    greeting = FALLBACK_NAMES.get(spec.language_code[:2], FALLBACK_NAMES["en"])
    values = {"first_name": customer.first_name or greeting, "store_name": batch.merchant().name}
    item = batch.first_item(order.id)
    if item is not None:
        values["product_name"] = item.title
    language = spec.language_code[:2]
    if "tip" in spec.variables:
        usage = batch.usage_text(item.product_id, language) if item and item.product_id else ""
        tip = product_tip(usage) if usage else ""
        values["tip"] = tip or FALLBACK_TIPS.get(language, FALLBACK_TIPS["en"])
    link = step.link or batch.store_url()
    if link:
        values["link"] = link
    return {name: value for name, value in values.items() if value}
