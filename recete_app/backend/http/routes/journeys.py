"""/api/journeys: the merchant's journey, read and changed as one object: whether it runs, the
sending window, how old an order may be, the typical transit days, and each step (days after
delivery, purpose, link) with its WhatsApp template per language. The same service as the
dashboard's journey page (`services/journey_setup`)."""

from __future__ import annotations

import uuid
from datetime import time
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from recete_app.backend.http.auth import AdminCaller
from recete_app.backend.journeys.settings import (
    MAX_LINK_CHARS,
    MAX_OFFSET_DAYS,
    MAX_ORDER_AGE_DAYS,
    MAX_TRANSIT_DAYS,
)
from recete_app.backend.messaging.templates import MAX_BODY_CHARS, TemplateSpec
from recete_app.backend.services import journey_setup

router = APIRouter(prefix="/api/journeys", tags=["journeys"])
Caller = AdminCaller

MAX_STEPS = 20
MAX_LANGUAGES = 8
MAX_VARIABLES = 20
# A body that does not fit the schema is refused before the service sees it, field by field.
STRICT = ConfigDict(extra="forbid")
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
Variable = Annotated[str, StringConstraints(max_length=32)]


class StepTemplateView(BaseModel):
    name: str  # the template's name as approved by Meta
    language_code: str  # Meta's language of the template, e.g. en or en_US
    category: str  # utility | marketing
    body: str  # with positional placeholders {{1}}, {{2}} ...
    variables: list[str]  # what fills each placeholder, in order


class StepView(BaseModel):
    id: uuid.UUID
    position: int  # the order steps are shown in; read-only
    offset_days: int  # days after delivery
    purpose: str  # usage_tips | check_in | custom
    enabled: bool
    link: str  # the value of the `link` variable: a review or reorder page
    templates: dict[str, StepTemplateView]  # by customer language


class JourneyView(BaseModel):
    enabled: bool
    window_start: str  # HH:MM in `timezone`: journey messages go out from ...
    window_end: str  # ... until (exclusive)
    timezone: str  # the store's; read-only here, changed at PATCH /api/merchants/me
    max_order_age_days: int  # older orders get no journey
    transit_days: int  # delivery = fulfilment + this, for stores that never report one
    steps: list[StepView]


class StepTemplateBody(BaseModel):
    model_config = STRICT

    name: str = Field(max_length=512, examples=["recete_usage_tip"])
    language_code: str | None = Field(
        default=None,
        max_length=16,
        description="Meta's language of the template; the language it is listed under if left out.",
        examples=["en"],
    )
    category: str = Field(default="utility", max_length=16, examples=["utility"])
    body: str = Field(
        max_length=MAX_BODY_CHARS,
        examples=["Hi {{1}}, your {{2}} should have arrived. A tip: {{3}} Any questions? Reply."],
    )
    variables: list[Variable] = Field(
        default=[],
        max_length=MAX_VARIABLES,
        description="What fills each placeholder, in order: first_name, product_name, tip, "
        "store_name, link.",
        examples=[["first_name", "product_name", "tip"]],
    )


# By customer language; a key that is not a language is refused, so the schema says so too.
Templates = Annotated[
    dict[Language, StepTemplateBody],
    Field(max_length=MAX_LANGUAGES, json_schema_extra={"additionalProperties": False}),
]


class StepBody(BaseModel):
    """One step, found by its id; a field left out stays as it is."""

    model_config = STRICT

    id: uuid.UUID
    position: int | None = Field(
        default=None, ge=1, le=MAX_STEPS, description="Read-only: the step's own, if sent."
    )
    offset_days: int | None = Field(default=None, ge=0, le=MAX_OFFSET_DAYS, examples=[4])
    enabled: bool | None = Field(default=None, examples=[True])
    purpose: str | None = Field(default=None, max_length=32, examples=["usage_tips"])
    link: str | None = Field(
        default=None, max_length=MAX_LINK_CHARS, examples=["https://glowskin.com/reviews"]
    )
    templates: Templates | None = Field(
        default=None,
        description="The step's whole set, by customer language: a language left out is no "
        "longer offered.",
    )


class JourneyBody(BaseModel):
    """What to change: a field left out stays as it is, and so does a step not listed."""

    model_config = STRICT

    enabled: bool | None = Field(default=None, examples=[True])
    window_start: time | None = Field(default=None, examples=["09:00"])
    window_end: time | None = Field(default=None, examples=["20:00"])
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="Read-only: the store's, if sent (change it at PATCH /api/merchants/me).",
        examples=["Europe/Istanbul"],
    )
    max_order_age_days: int | None = Field(default=None, ge=1, le=MAX_ORDER_AGE_DAYS, examples=[60])
    transit_days: int | None = Field(default=None, ge=1, le=MAX_TRANSIT_DAYS, examples=[3])
    steps: list[StepBody] = Field(
        default=[],
        max_length=MAX_STEPS,
        examples=[[{"id": str(uuid.UUID(int=1)), "offset_days": 4}]],
    )


def _template(spec: TemplateSpec) -> StepTemplateView:
    return StepTemplateView(
        name=spec.name,
        language_code=spec.language_code,
        category=spec.category,
        body=spec.body,
        variables=list(spec.variables),
    )


def _view(journey: journey_setup.JourneySetup) -> JourneyView:
    return JourneyView(
        enabled=journey.enabled,
        window_start=journey.window_start.strftime("%H:%M"),
        window_end=journey.window_end.strftime("%H:%M"),
        timezone=journey.timezone,
        max_order_age_days=journey.max_order_age_days,
        transit_days=journey.transit_days,
        steps=[
            StepView(
                id=step.id,
                position=step.position,
                offset_days=step.offset_days,
                purpose=step.purpose,
                enabled=step.enabled,
                link=step.link,
                templates={lang: _template(spec) for lang, spec in step.templates.items()},
            )
            for step in journey.steps
        ],
    )


def _spec(language: str, body: StepTemplateBody) -> TemplateSpec:
    return TemplateSpec(
        name=body.name,
        language_code=body.language_code or language,
        category=body.category,
        body=body.body,
        variables=tuple(body.variables),
    )


def _edit(body: StepBody) -> journey_setup.StepEdit:
    templates = body.templates
    return journey_setup.StepEdit(
        id=body.id,
        position=body.position,
        offset_days=body.offset_days,
        enabled=body.enabled,
        purpose=body.purpose,
        link=body.link,
        templates=None if templates is None else {k: _spec(k, t) for k, t in templates.items()},
    )


@router.get("")
def read_journey(caller: Caller) -> JourneyView:
    """The journey: whether it runs, its sending window in the store's timezone, the order age
    limit, the typical transit days, and its steps in order, each with its templates by
    language. A store that never opened it gets the defaults (day 3 usage tips, day 14
    check-in)."""
    return _view(journey_setup.read_journey(caller.merchant_id))


@router.put("")
def update_journey(caller: Caller, body: JourneyBody) -> JourneyView:
    """Change the journey in one transaction and return it as GET shows it. Send any of GET's
    fields: what is left out stays as it is, and a step not listed stays as it is (steps are
    found by `id`; `position` and `timezone` are read-only and may be sent back unchanged). A
    step's `templates`, when sent, replace its whole set. Anything wrong is a 422 whose
    `details` name every bad field (e.g. `steps.1.offset_days`, `steps.0.templates.en`; a step
    id not in this journey is `steps.N.id`), and then nothing is changed. Orders planned from
    now on are planned with the change."""
    change = journey_setup.JourneyChange(
        enabled=body.enabled,
        window_start=body.window_start,
        window_end=body.window_end,
        timezone=body.timezone,
        max_order_age_days=body.max_order_age_days,
        transit_days=body.transit_days,
        steps=tuple(_edit(step) for step in body.steps),
    )
    return _view(journey_setup.update_journey(caller, change))
