"""Settings → Journeys: the journey's sending rules, each step with its templates, a preview of
a step for a real order, and the planned messages. Reads and changes go through
`services/journey_setup`, the same service as GET/PUT /api/journeys."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import uuid
from datetime import UTC, time
from typing import Any

import reflex as rx

from recete_app.backend.errors import RecetError
from recete_app.backend.messaging.outbox import views as outbox_views
from recete_app.backend.messaging.outbox.schedule import TEXT_REPLY
from recete_app.backend.messaging.templates import TemplateSpec
from recete_app.backend.services import journey_setup
from recete_app.backend.services.journey_setup import JourneySetup, StepSetup
from recete_app.state import routes
from recete_app.state.session import MerchantPage, current_principal

# The languages a step's templates are edited in, in display order.
LANGUAGES = ("en", "tr")
LANGUAGE_NAMES = {"en": "English", "tr": "Turkish"}
PURPOSE_LABELS = {"usage_tips": "Usage tips", "check_in": "Check-in", "custom": "Custom"}
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_FALSE = frozenset({"", "0", "false", "off", "no"})


@dataclasses.dataclass
class TemplateForm:
    language: str = ""
    language_label: str = ""
    name: str = ""
    language_code: str = ""
    category: str = "utility"
    body: str = ""
    variables: str = ""  # comma-separated names from VARIABLES


@dataclasses.dataclass
class StepForm:
    id: str = ""
    position: int = 0
    offset_days: int = 0
    purpose: str = ""
    purpose_label: str = ""
    enabled: bool = True
    link: str = ""
    templates: list[TemplateForm] = dataclasses.field(default_factory=list)
    revision: int = 0  # bumped on save: the form shows the stored values again
    error: str = ""
    notice: str = ""
    preview: str = ""
    preview_for: str = ""
    preview_ok: bool = True


@dataclasses.dataclass
class PlannedRow:
    id: str = ""
    customer: str = ""
    order: str = ""
    step: str = ""
    due_at: str = ""
    status: str = ""
    note: str = ""


def _templates(specs: dict[str, TemplateSpec]) -> list[TemplateForm]:
    languages = list(LANGUAGES) + [lang for lang in specs if lang not in LANGUAGES]
    forms = []
    for language in languages:
        spec = specs.get(language)
        label = f"{LANGUAGE_NAMES.get(language, language)} ({language})"
        if spec is None:
            forms.append(TemplateForm(language, label, language_code=language))
        else:
            forms.append(
                TemplateForm(
                    language,
                    label,
                    spec.name,
                    spec.language_code,
                    spec.category,
                    spec.body,
                    ", ".join(spec.variables),
                )
            )
    return forms


def _step_form(step: StepSetup, revision: int = 0) -> StepForm:
    return StepForm(
        id=str(step.id),
        position=step.position,
        offset_days=step.offset_days,
        purpose=step.purpose,
        purpose_label=PURPOSE_LABELS.get(step.purpose, step.purpose),
        enabled=step.enabled,
        link=step.link,
        templates=_templates(step.templates),
        revision=revision,
    )


def _planned_row(message: outbox_views.PlannedMessage) -> PlannedRow:
    if message.step_position is not None:
        step = f"Step {message.step_position}"
    else:
        step = "Reply" if message.kind == TEXT_REPLY else message.kind
    return PlannedRow(
        str(message.id),
        message.customer_name or "—",
        message.order_name or "—",
        step,
        message.due_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        message.status,
        message.note,
    )


def _clock(value: Any, label: str) -> time:
    match = _CLOCK.match(str(value or "").strip())
    if match is None:
        raise ValueError(f"{label}: use HH:MM, e.g. 09:00.")
    return time(int(match.group(1)), int(match.group(2)))


def _whole(value: Any, label: str) -> int:
    text = str(value or "").strip()
    if not re.fullmatch(r"-?\d{1,4}", text):
        raise ValueError(f"{label} must be a whole number.")
    return int(text)


def _checked(value: Any) -> bool:
    return value is not None and str(value).strip().lower() not in _FALSE


def _change(form: dict[str, Any], step: StepForm) -> journey_setup.StepEdit:
    codes = {t.language: t.language_code for t in step.templates}
    templates: dict[str, TemplateSpec] = {}
    for language in codes:
        name = str(form.get(f"{language}_name", "")).strip()
        body = str(form.get(f"{language}_body", "")).strip()
        if not name and not body:
            continue  # a language left empty is not offered for this step
        variables = str(form.get(f"{language}_variables", ""))
        templates[language] = TemplateSpec(
            name=name,
            language_code=str(form.get(f"{language}_code", "")).strip() or codes[language],
            category=str(form.get(f"{language}_category", "utility")),
            body=body,
            variables=tuple(v.strip() for v in variables.split(",") if v.strip()),
        )
    return journey_setup.StepEdit(
        id=uuid.UUID(step.id),
        offset_days=_whole(form.get("offset_days"), "Days after delivery"),
        enabled=_checked(form.get("enabled")),
        purpose=str(form.get("purpose") or step.purpose),
        link=str(form.get("link", "")),
        templates=templates,
    )


def _read_page(merchant_id: uuid.UUID) -> tuple[JourneySetup, list[PlannedRow]]:
    journey = journey_setup.read_journey(merchant_id)
    planned = journey_setup.planned_messages(merchant_id)
    return journey, [_planned_row(m) for m in planned]


class JourneysState(MerchantPage, rx.State):
    loaded: bool = False
    version: int = 0
    enabled: bool = True
    window_start: str = "09:00"
    window_end: str = "20:00"
    max_order_age_days: int = 60
    transit_days: int = 3
    steps: list[StepForm] = []
    planned: list[PlannedRow] = []

    async def _reread(self, merchant_id: uuid.UUID) -> None:
        self._show(*await asyncio.to_thread(_read_page, merchant_id))

    def _show(self, journey: JourneySetup, planned: list[PlannedRow]) -> None:
        self.enabled = journey.enabled
        self.window_start = journey.window_start.strftime("%H:%M")
        self.window_end = journey.window_end.strftime("%H:%M")
        self.max_order_age_days = journey.max_order_age_days
        self.transit_days = journey.transit_days
        self.steps = [_step_form(step) for step in journey.steps]
        self.planned = planned
        self.version += 1  # the forms are keyed by it: they show the stored values again
        self.loaded = True

    @rx.event
    async def save_journey(self, form: dict[str, Any]) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.notice = self.error = ""
        try:
            change = journey_setup.JourneyChange(
                enabled=_checked(form.get("enabled")),
                window_start=_clock(form.get("window_start"), "Sending starts at"),
                window_end=_clock(form.get("window_end"), "Sending ends at"),
                max_order_age_days=_whole(form.get("max_order_age_days"), "Maximum order age"),
                transit_days=_whole(form.get("transit_days"), "Typical transit days"),
            )
            await asyncio.to_thread(journey_setup.update_journey, principal, change)
        except ValueError as exc:
            self.error = str(exc)
            return None
        except RecetError as exc:
            self.error = exc.message
            return None
        await self._reread(principal.merchant_id)
        self.notice = "Saved. New plans use these settings."
        return None

    @rx.event
    async def save_step(self, form: dict[str, Any]) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        step_id = str(form.get("step_id", ""))
        current = next((s for s in self.steps if s.id == step_id), None)
        if current is None:
            self.error = "That step no longer exists: reload the page."
            return None
        try:
            change = journey_setup.JourneyChange(steps=(_change(form, current),))
            journey = await asyncio.to_thread(journey_setup.update_journey, principal, change)
        except ValueError as exc:
            self._put(dataclasses.replace(current, error=str(exc), notice=""))
            return None
        except RecetError as exc:
            self._put(dataclasses.replace(current, error=exc.message, notice=""))
            return None
        stored = journey.step(uuid.UUID(step_id))
        if stored is not None:
            saved = _step_form(stored, current.revision + 1)
            saved.notice = "Saved. Orders delivered from now on are planned with it."
            self._put(saved)
        return None

    @rx.event
    async def preview(self, step_id: str) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        current = next((s for s in self.steps if s.id == step_id), None)
        if current is None:
            return None
        shown = await asyncio.to_thread(
            journey_setup.preview_step, principal.merchant_id, uuid.UUID(step_id)
        )
        if shown is None:
            self._put(
                dataclasses.replace(
                    current,
                    preview="No delivered order yet: the preview uses your most recent "
                    "delivered order.",
                    preview_for="",
                    preview_ok=False,
                )
            )
            return None
        who = f" to {shown.customer_name}" if shown.customer_name else ""
        template = f" · template {shown.template}" if shown.template else ""
        self._put(
            dataclasses.replace(
                current,
                preview=shown.text,
                preview_for=f"For order {shown.order_name}{who}{template}",
                preview_ok=shown.ok,
            )
        )
        return None

    def _put(self, step: StepForm) -> None:
        self.steps = [step if s.id == step.id else s for s in self.steps]

    @rx.event
    async def refresh_planned(self) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        planned = await asyncio.to_thread(journey_setup.planned_messages, principal.merchant_id)
        self.planned = [_planned_row(m) for m in planned]
        return None
