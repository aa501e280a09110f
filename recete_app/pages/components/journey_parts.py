"""Settings → Journeys building blocks: one journey step as an editable card with its preview."""

from __future__ import annotations

import reflex as rx

from recete_app.backend.journeys.defaults import PURPOSES
from recete_app.backend.messaging.templates import CATEGORIES, VARIABLES
from recete_app.state.journeys import PURPOSE_LABELS, JourneysState, StepForm, TemplateForm

VARIABLE_HINT = (
    "Placeholders {{1}}, {{2}} … in the body are filled from the variables in the same order. "
    "Variables: " + ", ".join(VARIABLES) + ". Leave a language empty to not offer it."
)


def field(label: str, control: rx.Component, hint: str = "") -> rx.Component:
    children = [rx.text(label, size="2", weight="medium"), control]
    if hint:
        children.append(rx.text(hint, size="1", color_scheme="gray"))
    return rx.vstack(*children, spacing="1", width="100%")


def _template_fields(template: TemplateForm) -> rx.Component:
    language = template.language
    return rx.vstack(
        rx.hstack(
            rx.icon("languages", size=16, color=rx.color("gray", 10)),
            rx.text(template.language_label, weight="bold", size="2"),
            align="center",
            spacing="2",
        ),
        rx.grid(
            field(
                "Template name",
                rx.input(name=f"{language}_name", default_value=template.name, width="100%"),
            ),
            field(
                "Code",
                rx.input(
                    name=f"{language}_code", default_value=template.language_code, width="100%"
                ),
            ),
            field(
                "Category",
                rx.select(
                    list(CATEGORIES),
                    name=f"{language}_category",
                    default_value=template.category,
                    width="100%",
                ),
            ),
            grid_template_columns="2fr 1fr 1.3fr",
            spacing="2",
            width="100%",
        ),
        field(
            "Body",
            rx.text_area(
                name=f"{language}_body", default_value=template.body, rows="5", width="100%"
            ),
        ),
        field(
            "Variables",
            rx.input(
                name=f"{language}_variables",
                default_value=template.variables,
                placeholder="first_name, product_name",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
        padding="12px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        class_name="step-template",
    )


def _preview(step: StepForm, prefix: str) -> rx.Component:
    return rx.cond(
        step.preview_ok,
        rx.vstack(
            rx.text(step.preview_for, size="1", color_scheme="gray"),
            rx.box(
                rx.text(step.preview, size="2", white_space="pre-wrap"),
                background=rx.color("grass", 3),
                border=f"1px solid {rx.color('grass', 6)}",
                padding="10px 14px",
                border_radius="12px 12px 12px 2px",
                max_width="560px",
            ),
            spacing="1",
            id=f"{prefix}-preview",
            class_name="step-preview",
        ),
        rx.callout(
            rx.text(step.preview, rx.text.span(" ", step.preview_for, size="1")),
            icon="info",
            color_scheme="amber",
            id=f"{prefix}-preview",
            class_name="step-preview",
        ),
    )


def step_card(step: StepForm) -> rx.Component:
    prefix = f"step-{step.position}"
    form = rx.form(
        rx.vstack(
            rx.el.input(type="hidden", name="step_id", value=step.id),
            rx.hstack(
                rx.badge(f"Step {step.position}", size="2", radius="full"),
                rx.heading(step.purpose_label, size="3"),
                rx.spacer(),
                rx.text("Send this step", size="2", color_scheme="gray"),
                rx.switch(name="enabled", default_checked=step.enabled, id=f"{prefix}-enabled"),
                align="center",
                width="100%",
            ),
            rx.grid(
                field(
                    "Days after delivery",
                    rx.input(
                        type="number",
                        name="offset_days",
                        default_value=step.offset_days.to_string(),
                        min=0,
                        max=365,
                        width="100%",
                        id=f"{prefix}-days",
                    ),
                ),
                field(
                    "Purpose",
                    rx.select.root(
                        rx.select.trigger(width="100%"),
                        rx.select.content(
                            *[rx.select.item(PURPOSE_LABELS.get(p, p), value=p) for p in PURPOSES]
                        ),
                        name="purpose",
                        default_value=step.purpose,
                    ),
                ),
                field(
                    "Link (reorder or review page, for {{link}})",
                    rx.input(
                        name="link",
                        default_value=step.link,
                        placeholder="https://your-store.com/pages/reorder",
                        width="100%",
                        id=f"{prefix}-link",
                    ),
                ),
                grid_template_columns="1fr 1fr 2fr",
                spacing="3",
                width="100%",
            ),
            rx.grid(
                rx.foreach(step.templates, _template_fields),
                columns="2",
                spacing="3",
                width="100%",
            ),
            rx.text(VARIABLE_HINT, size="1", color_scheme="gray"),
            rx.cond(
                step.error != "",
                rx.callout(
                    step.error, icon="triangle-alert", color_scheme="red", id=f"{prefix}-error"
                ),
            ),
            rx.cond(
                step.notice != "",
                rx.callout(
                    step.notice, icon="circle-check", color_scheme="green", id=f"{prefix}-notice"
                ),
            ),
            rx.hstack(
                rx.button("Save", type="submit", id=f"save-{prefix}"),
                rx.button(
                    rx.icon("eye", size=16),
                    "Preview",
                    type="button",
                    variant="soft",
                    on_click=JourneysState.preview(step.id),
                    id=f"preview-{prefix}",
                ),
                rx.text(
                    "Preview shows the saved step for your most recent delivered order.",
                    size="1",
                    color_scheme="gray",
                ),
                align="center",
                spacing="3",
            ),
            rx.cond(step.preview != "", _preview(step, prefix)),
            spacing="3",
            width="100%",
        ),
        on_submit=JourneysState.save_step,
        reset_on_submit=False,
        key=f"{step.id}-{step.revision}",
        width="100%",
    )
    return rx.card(form, width="100%", class_name="journey-step")
