"""Reading and changing a merchant's journey, the building blocks under
`services/journey_setup` and `services/store_settings`. A merchant without one gets the defaults.
Each kind of change has a `*_problems` check naming every bad field, so a service can check a
whole change before it writes any of it; the `update_*` functions check again and refuse."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from recete_app.backend import audit
from recete_app.backend.db import current_merchant_id
from recete_app.backend.errors import InvalidInput, NotFound
from recete_app.backend.journeys.defaults import DEFAULT_STEPS, PURPOSES
from recete_app.backend.messaging.templates import TemplateSpec, template_problems
from recete_app.backend.models import Journey, JourneyStep, Merchant

MAX_OFFSET_DAYS = 365
MAX_TRANSIT_DAYS = 60
MAX_ORDER_AGE_DAYS = 365
MAX_LINK_CHARS = 1000  # journey_steps.link
_LANGUAGE_KEY = re.compile(r"^[a-z]{2,3}$")

# One bad field, as InvalidInput's `details` carry it: {"field": ..., "message": ...}.
Problem = dict[str, str]


def journey_for(session: Session) -> Journey:
    """The merchant's journey, created with the default steps the first time it is asked for
    (two workers asking at once both end up with the same one row)."""
    journey = session.exec(select(Journey)).first()
    if journey is not None:
        return journey
    merchant_id = current_merchant_id(session)
    journey_id = uuid.uuid4()
    created = session.execute(
        insert(Journey)
        .values(id=journey_id, merchant_id=merchant_id, enabled=True)
        .values(window_start=time(9, 0), window_end=time(20, 0), max_order_age_days=60)
        .on_conflict_do_nothing(index_elements=["merchant_id"])
        .returning(col(Journey.id))
    ).first()
    if created is not None:
        for position, step in enumerate(DEFAULT_STEPS, start=1):
            session.add(
                JourneyStep(
                    merchant_id=merchant_id,
                    journey_id=journey_id,
                    position=position,
                    offset_days=step.offset_days,
                    purpose=step.purpose,
                    templates=step.templates,
                )
            )
        session.flush()
    return session.exec(select(Journey)).one()


def journey_steps(session: Session, journey: Journey) -> list[JourneyStep]:
    return list(
        session.exec(
            select(JourneyStep)
            .where(JourneyStep.journey_id == journey.id)
            .order_by(col(JourneyStep.position))
        ).all()
    )


def step_templates(step: JourneyStep) -> dict[str, TemplateSpec]:
    return {language: TemplateSpec.from_dict(spec) for language, spec in step.templates.items()}


@dataclass(frozen=True)
class StepChange:
    offset_days: int
    enabled: bool
    purpose: str
    link: str
    templates: dict[str, TemplateSpec]


def update_step(
    session: Session, actor: str, step_id: uuid.UUID, change: StepChange
) -> JourneyStep:
    step = session.get(JourneyStep, step_id)
    if step is None:
        raise NotFound("No such journey step.")
    refuse(step_problems(change))
    step.offset_days = change.offset_days
    step.enabled = change.enabled
    step.purpose = change.purpose
    step.link = change.link.strip()
    step.templates = {language: spec.to_dict() for language, spec in change.templates.items()}
    step.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, actor, "journey.step_updated", target=str(step.id))
    return step


def problem(field: str, message: str) -> Problem:
    return {"field": field, "message": message}


def refuse(problems: list[Problem]) -> None:
    """One InvalidInput naming every problem; each message is a sentence of its own, so the
    dashboard can show them joined."""
    if problems:
        raise InvalidInput(" ".join(p["message"] for p in problems), details=problems)


def step_problems(change: StepChange) -> list[Problem]:
    """What is wrong with a step as it would be saved, by field of the step; [] if fine."""
    problems: list[Problem] = []
    if not 0 <= change.offset_days <= MAX_OFFSET_DAYS:
        message = f"Days after delivery must be between 0 and {MAX_OFFSET_DAYS}."
        problems.append(problem("offset_days", message))
    if change.purpose not in PURPOSES:
        message = f"Unknown step purpose {change.purpose!r}: use {', '.join(PURPOSES)}."
        problems.append(problem("purpose", message))
    if not change.templates:
        message = "A step needs a template in at least one language."
        problems.append(problem("templates", message))
    for language, spec in change.templates.items():
        found = template_problems(spec)
        if not _LANGUAGE_KEY.match(language):
            found.insert(0, "the language should look like 'en' or 'tr'")
        if found:
            message = f"Template ({language}): " + "; ".join(found) + "."
            problems.append(problem(f"templates.{language}", message))
    link = change.link.strip()
    if link and not link.startswith(("https://", "http://")):
        problems.append(problem("link", "The link must start with https://."))
    elif len(link) > MAX_LINK_CHARS:
        problems.append(problem("link", f"The link must be at most {MAX_LINK_CHARS} characters."))
    return problems


def sending_window_problems(
    window_start: time, window_end: time, moved: str = "window_start"
) -> list[Problem]:
    """What is wrong with a sending window (the journey's and the store settings' one rule);
    an end not after the start is laid on `moved`, the end the caller changed."""
    problems: list[Problem] = []
    # An offset would say nothing: the window is a time of day wherever the store is.
    times = (("window_start", window_start), ("window_end", window_end))
    zoned = [name for name, at in times if at.tzinfo is not None]
    for name in zoned:
        message = "Quiet hours: a time of day in the store's timezone (HH:MM), without an offset."
        problems.append(problem(name, message))
    if not zoned and window_start >= window_end:
        message = "Quiet hours: sending must start before it ends."
        problems.append(problem(moved, message))
    return problems


def window_problems(window_start: time, window_end: time, max_order_age_days: int) -> list[Problem]:
    """What is wrong with the journey's sending rules; [] if fine."""
    problems = sending_window_problems(window_start, window_end)
    if not 1 <= max_order_age_days <= MAX_ORDER_AGE_DAYS:
        message = f"The order age limit must be 1 to {MAX_ORDER_AGE_DAYS} days."
        problems.append(problem("max_order_age_days", message))
    return problems


def transit_problems(days: int) -> list[Problem]:
    if 1 <= days <= MAX_TRANSIT_DAYS:
        return []
    message = f"Typical transit days must be between 1 and {MAX_TRANSIT_DAYS}."
    return [problem("transit_days", message)]


def update_window(
    session: Session,
    actor: str,
    *,
    window_start: time,
    window_end: time,
    max_order_age_days: int,
    enabled: bool,
) -> Journey:
    refuse(window_problems(window_start, window_end, max_order_age_days))
    journey = journey_for(session)
    journey.window_start = window_start
    journey.window_end = window_end
    journey.max_order_age_days = max_order_age_days
    journey.enabled = enabled
    journey.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, actor, "journey.updated", target=str(journey.id))
    return journey


def update_transit_days(session: Session, actor: str, days: int) -> int:
    """The merchant's typical transit days: delivery is estimated as fulfilment + this, for
    stores that never report a delivery."""
    refuse(transit_problems(days))
    merchant = session.get_one(Merchant, current_merchant_id(session))
    merchant.settings = {**merchant.settings, "transit_days": days}
    session.info.pop("transit_days", None)  # commerce.orders caches it per session
    session.flush()
    audit.record(session, actor, "merchant.transit_days_updated", target=str(merchant.id))
    return days
