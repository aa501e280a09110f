"""The Products page's sections: adding pages with progress, one product's knowledge, asking."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.integration_parts import section
from recete_app.state.products import ChunkRow, ProductsState, SectionRow
from recete_app.state.scrape_jobs import JobRow, PageResult, ScrapeJobState


def _page_result(page: PageResult) -> rx.Component:
    return rx.hstack(
        rx.cond(
            page.ok,
            rx.icon("circle-check", size=16, color=rx.color("green", 10)),
            rx.icon("circle-x", size=16, color=rx.color("red", 10)),
        ),
        rx.text(rx.cond(page.title != "", page.title, page.url), size="2", weight="medium"),
        rx.cond(page.message != "", rx.text(page.message, size="2", color_scheme="red")),
        align="center",
        spacing="2",
        class_name="scrape-page",
    )


def _job(job: JobRow) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.badge(job.status, class_name="scrape-status"),
                rx.text(job.progress, size="2", class_name="scrape-progress"),
                rx.text(job.started, size="1", color_scheme="gray"),
                align="center",
                spacing="3",
            ),
            rx.cond(job.error != "", rx.text(job.error, color_scheme="red", size="2")),
            rx.foreach(job.pages, _page_result),
            spacing="1",
        ),
        padding="8px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        width="100%",
        class_name="scrape-job",
    )


def add_products() -> rx.Component:
    return section(
        "Add products",
        rx.text(
            "Paste product page addresses (one per line), a collection page, or your store's "
            "sitemap.xml. Pages are read in the background; your own edits always win.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.vstack(
                rx.text_area(
                    name="urls",
                    id="scrape-urls",
                    placeholder="https://your-store.com/products/vitamin-c-serum",
                    rows="3",
                    width="100%",
                ),
                rx.button("Read pages", type="submit", id="scrape-submit"),
                width="100%",
            ),
            on_submit=ScrapeJobState.add,
            reset_on_submit=False,
            width="100%",
        ),
        rx.cond(
            ScrapeJobState.error != "",
            rx.callout(ScrapeJobState.error, icon="triangle-alert", color_scheme="red"),
        ),
        rx.cond(
            ScrapeJobState.notice != "",
            rx.callout(ScrapeJobState.notice, icon="info", id="scrape-notice"),
        ),
        rx.foreach(ScrapeJobState.jobs, _job),
    )


def _section_row(row: SectionRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.section, weight="medium")),
        rx.table.cell(row.language),
        rx.table.cell(rx.badge(row.origin)),
        rx.table.cell(rx.text(row.body, size="1", white_space="pre-wrap")),
    )


def _chunk(chunk: ChunkRow) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.badge(chunk.section),
            rx.text(chunk.language, size="1", color_scheme="gray"),
            rx.cond(chunk.score != "", rx.text(chunk.score, size="1", color_scheme="gray")),
            rx.text(chunk.product, size="1", weight="medium"),
            spacing="2",
            align="center",
        ),
        rx.text(chunk.text, size="1", white_space="pre-wrap"),
        padding="6px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="chunk",
    )


def _edit_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.text("Your text, in", size="2", weight="medium"),
                rx.select(["en", "tr"], name="language", default_value=ProductsState.edit_language),
                align="center",
            ),
            rx.text("How to use", size="2", weight="medium"),
            rx.text_area(
                name="usage",
                default_value=ProductsState.usage_text,
                rows="4",
                width="100%",
                id="edit-usage",
                key=ProductsState.selected_id + ProductsState.edit_language + "u",
            ),
            rx.text("FAQ (Q: … / A: … lines)", size="2", weight="medium"),
            rx.text_area(
                name="faq",
                default_value=ProductsState.faq_text,
                rows="4",
                width="100%",
                id="edit-faq",
                key=ProductsState.selected_id + ProductsState.edit_language + "f",
            ),
            rx.button("Save", type="submit", id="save-answers"),
            width="100%",
        ),
        on_submit=ProductsState.save_answers,
        reset_on_submit=False,
        width="100%",
    )


def product_detail() -> rx.Component:
    return section(
        ProductsState.selected_title,
        rx.hstack(
            rx.badge(ProductsState.selected_source),
            rx.cond(
                ProductsState.selected_url != "",
                rx.link(ProductsState.selected_url, href=ProductsState.selected_url, size="2"),
            ),
            rx.spacer(),
            rx.button(
                "Read page again",
                on_click=ScrapeJobState.read_again(ProductsState.selected_id),
                variant="soft",
                id="rescrape",
            ),
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(
                    rx.button("Delete", color_scheme="red", variant="soft", id="delete-product")
                ),
                rx.alert_dialog.content(
                    rx.alert_dialog.title("Delete this product?"),
                    rx.alert_dialog.description(
                        "Its sections and knowledge go too. The store may import it again."
                    ),
                    rx.hstack(
                        rx.alert_dialog.cancel(rx.button("Cancel", variant="soft")),
                        rx.alert_dialog.action(
                            rx.button(
                                "Delete",
                                color_scheme="red",
                                on_click=ProductsState.delete_product,
                                id="confirm-delete",
                            )
                        ),
                        justify="end",
                        spacing="3",
                    ),
                ),
            ),
            rx.button("Close", on_click=ProductsState.close_product, variant="ghost"),
            width="100%",
            align="center",
        ),
        _edit_form(),
        rx.heading("Sections", size="3"),
        rx.table.root(
            rx.table.body(rx.foreach(ProductsState.sections, _section_row)),
            size="1",
            width="100%",
        ),
        rx.heading("Chunks the assistant searches", size="3"),
        rx.vstack(rx.foreach(ProductsState.chunks, _chunk), spacing="0", width="100%"),
    )


def ask_knowledge() -> rx.Component:
    return section(
        "Ask your knowledge",
        rx.text(
            "Type a question the way a customer would; these are the passages the assistant "
            "would answer from.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    name="question",
                    placeholder="how many times a day do i use the serum",
                    width="100%",
                    id="ask-question",
                ),
                rx.button("Search", type="submit", id="ask-submit"),
                width="100%",
            ),
            on_submit=ProductsState.ask,
            reset_on_submit=False,
            width="100%",
        ),
        rx.vstack(
            rx.foreach(ProductsState.answers, _chunk), spacing="0", width="100%", id="answers"
        ),
    )
