"""Reading and changing a merchant's journey. A merchant without one gets the defaults."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

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
    _check_step(change)
    step.offset_days = change.offset_days
    step.enabled = change.enabled
    step.purpose = change.purpose
    step.link = change.link.strip()
    step.templates = {language: spec.to_dict() for language, spec in change.templates.items()}
    step.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, actor, "journey.step_updated", target=str(step.id))
    return step


def _check_step(change: StepChange) -> None:
    if not 0 <= change.offset_days <= MAX_OFFSET_DAYS:
        raise InvalidInput(
            f"Days after delivery must be between 0 and {MAX_OFFSET_DAYS}.", code="invalid_days"
        )
    if change.purpose not in PURPOSES:
        raise InvalidInput(f"Unknown step purpose {change.purpose!r}.", code="invalid_purpose")
    if not change.templates:
        raise InvalidInput("A step needs a template in at least one language.", code="no_template")
    for language, spec in change.templates.items():
        problems = template_problems(spec)
        if problems:
            raise InvalidInput(
                f"Template ({language}): " + "; ".join(problems), code="invalid_template"
            )
    if change.link and not change.link.startswith(("https://", "http://")):
        raise InvalidInput("The link must start with https://.", code="invalid_link")


def update_window(
    session: Session,
    actor: str,
    *,
    window_start: time,
    window_end: time,
    max_order_age_days: int,
    enabled: bool,
) -> Journey:
    if window_start >= window_end:
        raise InvalidInput("Quiet hours: sending must start before it ends.", code="invalid_window")
    if not 1 <= max_order_age_days <= 365:
        raise InvalidInput("The order age limit must be 1 to 365 days.", code="invalid_age")
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
    if not 1 <= days <= MAX_TRANSIT_DAYS:
        raise InvalidInput(
            f"Typical transit days must be between 1 and {MAX_TRANSIT_DAYS}.",
            code="invalid_transit_days",
        )
    merchant = session.get_one(Merchant, current_merchant_id(session))
    merchant.settings = {**merchant.settings, "transit_days": days}
    session.info.pop("transit_days", None)  # commerce.orders caches it per session
    session.flush()
    audit.record(session, actor, "merchant.transit_days_updated", target=str(merchant.id))
    return days


def describe(journey: Journey, steps: list[JourneyStep]) -> dict[str, Any]:
    """JSON-friendly view for the API and the settings page."""
    return {
        "enabled": journey.enabled,
        "window_start": journey.window_start.strftime("%H:%M"),
        "window_end": journey.window_end.strftime("%H:%M"),
        "max_order_age_days": journey.max_order_age_days,
        "steps": [
            {
                "id": str(step.id),
                "position": step.position,
                "offset_days": step.offset_days,
                "purpose": step.purpose,
                "enabled": step.enabled,
                "link": step.link,
                "templates": step.templates,
            }
            for step in steps
        ],
    }
