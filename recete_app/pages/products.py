"""Products: what the assistant knows. Add products from their pages, see each product's
sections and chunks, write your own usage and FAQ text, re-read or delete, test a question."""

from __future__ import annotations

import reflex as rx

from recete_app.pages.components.integration_parts import section
from recete_app.pages.components.product_parts import (
    add_products,
    ask_knowledge,
    product_detail,
)
from recete_app.pages.layout import dashboard_page
from recete_app.state import routes
from recete_app.state.products import ProductRow, ProductsState


def _row(product: ProductRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(
                product.title,
                on_click=ProductsState.open_product(product.id),
                cursor="pointer",
                class_name="product-link",
            )
        ),
        rx.table.cell(rx.badge(product.source)),
        rx.table.cell(product.chunk_count),
        rx.table.cell(product.last_scraped),
        rx.table.cell(
            rx.cond(
                product.error != "",
                rx.text(product.error, color_scheme="red", size="1"),
                rx.text("—", color_scheme="gray"),
            )
        ),
        class_name="product-row",
    )


def catalogue() -> rx.Component:
    table = rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(label)
                    for label in ("Product", "Source", "Chunks", "Last read", "Errors")
                ]
            )
        ),
        rx.table.body(rx.foreach(ProductsState.products, _row)),
        size="1",
        width="100%",
        id="products-table",
    )
    return section(
        "Catalogue",
        rx.input(
            placeholder="Filter by name or address",
            value=ProductsState.filter_text,
            on_change=ProductsState.set_filter.debounce(300),
            width="100%",
            id="product-filter",
        ),
        rx.cond(
            ProductsState.products.length() > 0,
            table,
            rx.text(
                "No products yet. Add product pages above, or connect your store on the "
                "Integrations page to import its catalogue.",
                color_scheme="gray",
            ),
        ),
    )


@dashboard_page("Products", routes.PRODUCTS)
def products_page() -> rx.Component:
    return rx.vstack(
        rx.cond(
            ProductsState.notice != "",
            rx.callout(ProductsState.notice, icon="check", color_scheme="green", id="notice"),
        ),
        rx.cond(
            ProductsState.error != "",
            rx.callout(ProductsState.error, icon="triangle-alert", color_scheme="red"),
        ),
        add_products(),
        rx.cond(ProductsState.selected_id != "", product_detail()),
        catalogue(),
        ask_knowledge(),
        spacing="4",
        width="100%",
    )
