"""The signed-in frame: sidebar, header with the store's name, and the page body."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from recete_app.state import routes
from recete_app.state.auth import AuthState


def _nav_link(route: str, label: str, icon: str, active: bool) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label, size="3"), align="center", spacing="3"),
        href=route,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        padding_x="12px",
        padding_y="8px",
        border_radius="8px",
        width="100%",
        _hover={"background": rx.color("accent", 3)},
        id=f"nav-{label.lower()}",
        background=rx.color("accent", 4) if active else "transparent",
        aria_current="page" if active else None,
    )


def sidebar(current: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("heart-handshake", size=22, color=rx.color("accent", 10)),
            rx.heading("Recete", size="5"),
            align="center",
            padding="12px",
        ),
        *[
            _nav_link(route, label, icon, route == current)
            for route, label, icon in routes.NAVIGATION
        ],
        width="220px",
        min_width="220px",
        height="100vh",
        position="sticky",
        top="0",
        padding="12px",
        spacing="1",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
    )


def header(title: str) -> rx.Component:
    return rx.hstack(
        rx.heading(title, size="6"),
        rx.spacer(),
        rx.vstack(
            rx.text(AuthState.store_name, weight="bold", id="store-name"),
            rx.text(AuthState.email, size="1", color_scheme="gray"),
            spacing="0",
            align="end",
        ),
        rx.button("Log out", on_click=AuthState.log_out, variant="soft", id="logout"),
        align="center",
        width="100%",
        padding_bottom="16px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def dashboard_page(
    title: str, route: str
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Wrap a page body in the signed-in frame; nothing renders until the session is checked."""

    def wrap(body: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def page() -> rx.Component:
            return rx.cond(
                AuthState.signed_in,
                rx.hstack(
                    sidebar(route),
                    rx.vstack(header(title), body(), padding="24px", width="100%", spacing="5"),
                    spacing="0",
                    align="start",
                    width="100%",
                ),
                rx.center(rx.spinner(size="3"), height="100vh"),
            )

        page.__name__ = body.__name__
        return page

    return wrap


def empty_state(
    icon: str, title: str, text: str, action: rx.Component | None = None
) -> rx.Component:
    children: list[rx.Component] = [
        rx.icon(icon, size=40, color=rx.color("gray", 9)),
        rx.heading(title, size="4"),
        rx.text(text, color_scheme="gray", text_align="center", max_width="460px"),
    ]
    if action is not None:
        children.append(action)
    return rx.center(
        rx.vstack(*children, align="center", spacing="3"),
        width="100%",
        padding="64px",
        border=f"1px dashed {rx.color('gray', 6)}",
        border_radius="12px",
        class_name="empty-state",
    )
