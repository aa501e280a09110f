"""Login and sign-up."""

from __future__ import annotations

import reflex as rx

from recete_app.state import routes
from recete_app.state.auth import AuthState


def _card(title: str, subtitle: str, form: rx.Component, footer: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("heart-handshake", size=26, color=rx.color("accent", 10)),
                    rx.heading("Recete", size="6"),
                    align="center",
                ),
                rx.heading(title, size="5"),
                rx.text(subtitle, color_scheme="gray", size="2"),
                rx.cond(
                    AuthState.error != "",
                    rx.callout(
                        AuthState.error,
                        icon="triangle-alert",
                        color_scheme="red",
                        width="100%",
                        id="auth-error",
                    ),
                ),
                form,
                footer,
                spacing="4",
                width="100%",
            ),
            width="400px",
            padding="28px",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
    )


def _field(label: str, name: str, kind: str = "text", placeholder: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium", html_for=name),
        rx.input(
            name=name,
            id=name,
            type=kind,
            placeholder=placeholder,
            required=True,
            width="100%",
            size="3",
        ),
        spacing="1",
        width="100%",
    )


def login() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _field("Email", "email", "email", "you@store.com"),
            _field("Password", "password", "password"),
            rx.button("Log in", type="submit", width="100%", size="3", id="login-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthState.log_in,
        reset_on_submit=False,
        width="100%",
    )
    footer = rx.text(
        "New to Recete? ",
        rx.link("Create an account", href=routes.SIGNUP, id="to-signup"),
        size="2",
    )
    return _card("Log in", "Welcome back.", form, footer)


def signup() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _field("Store name", "store_name", "text", "Glow Skincare"),
            _field("Email", "email", "email", "you@store.com"),
            _field("Password", "password", "password", "at least 10 characters"),
            rx.button("Create account", type="submit", width="100%", size="3", id="signup-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthState.sign_up,
        reset_on_submit=False,
        width="100%",
    )
    footer = rx.text(
        "Already have an account? ", rx.link("Log in", href=routes.LOGIN, id="to-login"), size="2"
    )
    return _card("Create your store", "Connect your store and WhatsApp in minutes.", form, footer)
