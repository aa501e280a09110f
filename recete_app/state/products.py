"""Products page: the catalogue with its knowledge, one product's sections and chunks, the
merchant's own usage/FAQ text, re-scrape and delete, and a search over the knowledge."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import reflex as rx

from recete_app.backend.db import session_scope
from recete_app.backend.errors import RecetError
from recete_app.backend.knowledge import product_views
from recete_app.backend.knowledge.embeddings import configured_embedder
from recete_app.backend.knowledge.search import search
from recete_app.backend.text import detect_language
from recete_app.state import routes
from recete_app.state.session import MerchantPage, current_principal


@dataclasses.dataclass
class ProductRow:
    id: str = ""
    title: str = ""
    source: str = ""
    url: str = ""
    last_scraped: str = ""
    chunk_count: int = 0
    error: str = ""


@dataclasses.dataclass
class SectionRow:
    section: str = ""
    language: str = ""
    origin: str = ""
    body: str = ""


@dataclasses.dataclass
class ChunkRow:
    product: str = ""
    section: str = ""
    language: str = ""
    text: str = ""
    score: str = ""


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


class ProductsState(MerchantPage, rx.State):
    products: list[ProductRow] = []
    filter_text: str = ""
    selected_id: str = ""
    selected_title: str = ""
    selected_url: str = ""
    selected_source: str = ""
    sections: list[SectionRow] = []
    chunks: list[ChunkRow] = []
    edit_language: str = "en"
    usage_text: str = ""
    faq_text: str = ""
    question: str = ""
    answers: list[ChunkRow] = []

    def _refresh(self, merchant_id: uuid.UUID) -> None:
        with session_scope(merchant_id) as session:
            rows = product_views.list_products(session, self.filter_text)
        self.products = [
            ProductRow(
                str(p.id),
                p.title,
                p.source,
                p.url or "",
                _when(p.last_scraped_at),
                p.chunk_count,
                p.scrape_error or "",
            )
            for p in rows
        ]

    @rx.event
    async def set_filter(self, value: str) -> Any:
        self.filter_text = value[:200]
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self._refresh(principal.merchant_id)
        return None

    @rx.event
    async def open_product(self, product_id: str) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.notice = self.error = ""
        try:
            self._show(principal.merchant_id, uuid.UUID(product_id))
        except (RecetError, ValueError):
            self.error = "That product no longer exists."
            self.selected_id = ""
        return None

    def _show(self, merchant_id: uuid.UUID, product_id: uuid.UUID) -> None:
        with session_scope(merchant_id) as session:
            detail = product_views.product_detail(session, product_id)
            product = detail.product
            self.selected_id = str(product.id)
            self.selected_title, self.selected_url = product.title, product.url or ""
            self.selected_source = product.source
            self.sections = [
                SectionRow(s.section, s.language, s.origin, s.body) for s in detail.sections
            ]
            self.chunks = [
                ChunkRow(product.title, c.section, c.language, c.text) for c in detail.chunks
            ]
            languages = [s.language for s in detail.sections] or [detect_language(product.title)]
            self.edit_language = (
                self.edit_language if self.edit_language in languages else (languages[0])
            )
            self.usage_text = product_views.merchant_text(detail, "how_to_use", self.edit_language)
            self.faq_text = product_views.merchant_text(detail, "faq", self.edit_language)

    @rx.event
    def close_product(self) -> None:
        self.selected_id = ""
        self.notice = self.error = ""

    @rx.event
    async def save_answers(self, form: dict[str, Any]) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        product_id = uuid.UUID(self.selected_id)
        language = str(form.get("language") or self.edit_language)
        try:
            with session_scope(principal.merchant_id) as session:
                product_views.save_merchant_answers(
                    session,
                    product_id,
                    language,
                    str(form.get("usage", "")),
                    str(form.get("faq", "")),
                    configured_embedder(),
                )
        except RecetError as exc:
            self.error = exc.message
            return None
        self.edit_language = language
        self._show(principal.merchant_id, product_id)
        self._refresh(principal.merchant_id)
        self.notice, self.error = "Saved. The assistant answers from your text now.", ""
        return None

    @rx.event
    async def delete_product(self) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        with session_scope(principal.merchant_id) as session:
            title = product_views.delete_product(session, uuid.UUID(self.selected_id))
        self.selected_id = ""
        self._refresh(principal.merchant_id)
        self.notice = f"Deleted {title} and its knowledge."
        return None

    @rx.event
    async def ask(self, form: dict[str, Any]) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.question = str(form.get("question", "")).strip()[:500]
        if not self.question:
            self.answers = []
            return None
        with session_scope(principal.merchant_id) as session:
            hits = search(session, self.question, configured_embedder(), k=5)
        self.answers = [
            ChunkRow(h.product, h.section, h.language, h.text, f"{h.score:.4f}") for h in hits
        ]
        return None
