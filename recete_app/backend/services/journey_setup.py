"""The merchant's journey as one object, for the settings page and the REST API (GET/PUT
/api/journeys): whether it runs, the sending window (a time of day in the store's timezone),
how old an order may be, the typical transit days, and each step with its templates per
language. Also the page's reads: a step rendered for a real order, and the plan.

A change is checked whole against what is stored before anything is written, so a bad field
changes nothing and every bad field is named the way the API's own validation names it
(`steps.1.offset_days`, the index into the change's step list). It is then applied in one
transaction through `journeys.settings`, the building blocks the store settings (PATCH
/api/merchants/me: transit days, the window) use too. A change only sets up what later plans
use, so nothing is queued after the commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import time
from typing import TypeVar

from sqlmodel import Session

from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.commerce.orders import transit_days
from recete_app.backend.db import current_merchant_id, session_scope
from recete_app.backend.journeys import settings as journey_settings
from recete_app.backend.journeys import views
from recete_app.backend.journeys.settings import Problem, StepChange, problem
from recete_app.backend.messaging.outbox import views as outbox_views
from recete_app.backend.messaging.templates import TemplateSpec
from recete_app.backend.models import JourneyStep, Merchant

T = TypeVar("T")


@dataclass(frozen=True)
class StepSetup:
    id: uuid.UUID
    position: int  # the order steps are shown in; fixed
    offset_days: int  # days after delivery
    purpose: str  # usage_tips | check_in | custom
    enabled: bool
    link: str  # the {{link}} value: a review or reorder page
    templates: dict[str, TemplateSpec]  # by language


@dataclass(frozen=True)
class JourneySetup:
    enabled: bool
    window_start: time  # journey messages go out from ...
    window_end: time  # ... until (exclusive), in `timezone`
    timezone: str  # the store's; changed with the store settings
    max_order_age_days: int
    transit_days: int  # delivery = fulfilment + this, for stores that never report one
    steps: tuple[StepSetup, ...]

    def step(self, step_id: uuid.UUID) -> StepSetup | None:
        return next((step for step in self.steps if step.id == step_id), None)


@dataclass(frozen=True)
class StepEdit:
    """A change to one step, found by its id; None leaves a field as it is. `templates`, when
    given, is the step's whole set: a language left out is no longer offered."""

    id: uuid.UUID
    position: int | None = None  # read-only: given, it must be the step's own
    offset_days: int | None = None
    enabled: bool | None = None
    purpose: str | None = None
    link: str | None = None
    templates: dict[str, TemplateSpec] | None = None


@dataclass(frozen=True)
class JourneyChange:
    """What to change; None leaves a setting as it is and a step not listed stays as it is.
    `timezone` is read-only here (it is the store's): given, it must be the current one, so a
    journey read with `read_journey` can be sent back as it is."""

    enabled: bool | None = None
    window_start: time | None = None
    window_end: time | None = None
    timezone: str | None = None
    max_order_age_days: int | None = None
    transit_days: int | None = None
    steps: tuple[StepEdit, ...] = ()


@dataclass(frozen=True)
class _Rules:
    """The journey's own sending rules, as `journeys.settings.update_window` takes them."""

    enabled: bool
    window_start: time
    window_end: time
    max_order_age_days: int


def read_journey(merchant_id: uuid.UUID) -> JourneySetup:
    with session_scope(merchant_id) as session:
        return _current(session)


def update_journey(person: Principal, change: JourneyChange) -> JourneySetup:
    """Apply `change` in one transaction, audited; InvalidInput names every bad field and
    nothing is written."""
    with session_scope(person.merchant_id) as session:
        before = _current(session)
        rules = _rules(change, before)
        journey_settings.refuse(_problems(change, before, rules))
        if rules != _rules(JourneyChange(), before):  # i.e. differ from the stored ones
            journey_settings.update_window(
                session,
                person.actor,
                window_start=rules.window_start,
                window_end=rules.window_end,
                max_order_age_days=rules.max_order_age_days,
                enabled=rules.enabled,
            )
        if change.transit_days is not None and change.transit_days != before.transit_days:
            journey_settings.update_transit_days(session, person.actor, change.transit_days)
        for edit, step in _found_steps(change, before):
            edited = _edited(edit, step)
            if edited != _as_change(step):  # an unchanged step is neither written nor audited
                journey_settings.update_step(session, person.actor, step.id, edited)
        return _current(session)


def preview_step(merchant_id: uuid.UUID, step_id: uuid.UUID) -> views.Preview | None:
    """The step rendered for the most recent delivered order (None when there is none yet)."""
    with session_scope(merchant_id) as session:
        return views.preview_step(session, step_id)


def planned_messages(merchant_id: uuid.UUID) -> list[outbox_views.PlannedMessage]:
    with session_scope(merchant_id) as session:
        return outbox_views.planned_messages(session)


def _current(session: Session) -> JourneySetup:
    journey = journey_settings.journey_for(session)
    merchant = session.get_one(Merchant, current_merchant_id(session))
    return JourneySetup(
        enabled=journey.enabled,
        window_start=journey.window_start,
        window_end=journey.window_end,
        timezone=merchant.timezone,
        max_order_age_days=journey.max_order_age_days,
        transit_days=transit_days(session),
        steps=tuple(_step(step) for step in journey_settings.journey_steps(session, journey)),
    )


def _step(step: JourneyStep) -> StepSetup:
    return StepSetup(
        id=step.id,
        position=step.position,
        offset_days=step.offset_days,
        purpose=step.purpose,
        enabled=step.enabled,
        link=step.link or "",
        templates=journey_settings.step_templates(step),
    )


def _pick(new: T | None, old: T) -> T:
    return old if new is None else new


def _rules(change: JourneyChange, before: JourneySetup) -> _Rules:
    return _Rules(
        enabled=_pick(change.enabled, before.enabled),
        window_start=_pick(change.window_start, before.window_start),
        window_end=_pick(change.window_end, before.window_end),
        max_order_age_days=_pick(change.max_order_age_days, before.max_order_age_days),
    )


def _as_change(step: StepSetup) -> StepChange:
    return StepChange(step.offset_days, step.enabled, step.purpose, step.link, step.templates)


def _edited(edit: StepEdit, step: StepSetup) -> StepChange:
    return StepChange(
        offset_days=_pick(edit.offset_days, step.offset_days),
        enabled=_pick(edit.enabled, step.enabled),
        purpose=_pick(edit.purpose, step.purpose),
        link=_pick(edit.link, step.link).strip(),  # stored stripped: compares equal unchanged
        templates=_pick(edit.templates, step.templates),
    )


def _found_steps(change: JourneyChange, before: JourneySetup) -> list[tuple[StepEdit, StepSetup]]:
    return [(edit, step) for edit in change.steps if (step := before.step(edit.id)) is not None]


def _problems(change: JourneyChange, before: JourneySetup, rules: _Rules) -> list[Problem]:
    problems: list[Problem] = []
    if change.timezone is not None and change.timezone != before.timezone:
        message = "The timezone is the store's: change it in the store settings."
        problems.append(problem("timezone", message))
    for found in journey_settings.window_problems(
        rules.window_start, rules.window_end, rules.max_order_age_days
    ):
        # Start before end is one rule about two fields: name the one that was sent.
        if found["field"] == "window_start" and change.window_start is None:
            found = problem("window_end", found["message"])
        problems.append(found)
    if change.transit_days is not None:
        problems.extend(journey_settings.transit_problems(change.transit_days))
    problems.extend(_step_problems(change.steps, before))
    return problems


def _step_problems(edits: tuple[StepEdit, ...], before: JourneySetup) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[uuid.UUID] = set()
    for index, edit in enumerate(edits):
        field = f"steps.{index}"
        step = before.step(edit.id)
        # Another merchant's step is invisible here (row-level security): it is "no such step".
        if step is None or edit.id in seen:
            message = "No such step in this journey." if step is None else "A step listed twice."
            problems.append(problem(f"{field}.id", message))
            continue
        seen.add(edit.id)
        if edit.position is not None and edit.position != step.position:
            message = f"Steps keep their order: this is step {step.position}."
            problems.append(problem(f"{field}.position", message))
        for found in journey_settings.step_problems(_edited(edit, step)):
            problems.append(problem(f"{field}.{found['field']}", found["message"]))
    return problems
