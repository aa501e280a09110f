"""Products page: the catalogue with its knowledge, one product's sections and chunks, the
merchant's own usage/FAQ text, re-scrape and delete, and a search over the knowledge."""

from __future__ import annotations

import asyncio
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


@dataclasses.dataclass(frozen=True)
class OpenProduct:
    """One product as its panel shows it, read in a worker thread."""

    id: str
    title: str
    url: str
    source: str
    sections: list[SectionRow]
    chunks: list[ChunkRow]
    language: str  # the language whose usage/FAQ text the form edits
    usage_text: str
    faq_text: str


def _read_products(merchant_id: uuid.UUID, filter_text: str) -> list[ProductRow]:
    with session_scope(merchant_id) as session:
        rows = product_views.list_products(session, filter_text)
    return [
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


def _read_product(merchant_id: uuid.UUID, product_id: uuid.UUID, language: str) -> OpenProduct:
    """The product's knowledge; the language being edited stays if the product has it."""
    with session_scope(merchant_id) as session:
        detail = product_views.product_detail(session, product_id)
        product = detail.product
        languages = [s.language for s in detail.sections] or [detect_language(product.title)]
        language = language if language in languages else languages[0]
        return OpenProduct(
            str(product.id),
            product.title,
            product.url or "",
            product.source,
            [SectionRow(s.section, s.language, s.origin, s.body) for s in detail.sections],
            [ChunkRow(product.title, c.section, c.language, c.text) for c in detail.chunks],
            language,
            product_views.merchant_text(detail, "how_to_use", language),
            product_views.merchant_text(detail, "faq", language),
        )


def _save_answers(
    merchant_id: uuid.UUID, product_id: uuid.UUID, language: str, usage: str, faq: str
) -> None:
    """Stores the text and indexes it again (the embedder may be an HTTP service)."""
    with session_scope(merchant_id) as session:
        product_views.save_merchant_answers(
            session, product_id, language, usage, faq, configured_embedder()
        )


def _delete(merchant_id: uuid.UUID, product_id: uuid.UUID) -> str:
    with session_scope(merchant_id) as session:
        return product_views.delete_product(session, product_id)


def _search(merchant_id: uuid.UUID, question: str) -> list[ChunkRow]:
    with session_scope(merchant_id) as session:
        hits = search(session, question, configured_embedder(), k=5)
    return [ChunkRow(h.product, h.section, h.language, h.text, f"{h.score:.4f}") for h in hits]


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

    async def _reread(self, merchant_id: uuid.UUID) -> None:
        self.products = await asyncio.to_thread(_read_products, merchant_id, self.filter_text)

    @rx.event
    async def set_filter(self, value: str) -> Any:
        self.filter_text = value[:200]
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        await self._reread(principal.merchant_id)
        return None

    @rx.event
    async def open_product(self, product_id: str) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.notice = self.error = ""
        try:
            await self._reopen(principal.merchant_id, uuid.UUID(product_id))
        except (RecetError, ValueError):
            self.error = "That product no longer exists."
            self.selected_id = ""
        return None

    async def _reopen(self, merchant_id: uuid.UUID, product_id: uuid.UUID) -> None:
        language = self.edit_language
        self._show(await asyncio.to_thread(_read_product, merchant_id, product_id, language))

    def _show(self, product: OpenProduct) -> None:
        self.selected_id = product.id
        self.selected_title, self.selected_url = product.title, product.url
        self.selected_source = product.source
        self.sections, self.chunks = product.sections, product.chunks
        self.edit_language = product.language
        self.usage_text, self.faq_text = product.usage_text, product.faq_text

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
        usage, faq = str(form.get("usage", "")), str(form.get("faq", ""))
        try:
            await asyncio.to_thread(
                _save_answers, principal.merchant_id, product_id, language, usage, faq
            )
        except RecetError as exc:
            self.error = exc.message
            return None
        self.edit_language = language
        await self._reopen(principal.merchant_id, product_id)
        await self._reread(principal.merchant_id)
        self.notice, self.error = "Saved. The assistant answers from your text now.", ""
        return None

    @rx.event
    async def delete_product(self) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        product_id = uuid.UUID(self.selected_id)
        title = await asyncio.to_thread(_delete, principal.merchant_id, product_id)
        self.selected_id = ""
        await self._reread(principal.merchant_id)
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
        self.answers = await asyncio.to_thread(_search, principal.merchant_id, self.question)
        return None
