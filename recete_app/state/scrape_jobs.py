"""Products page, "Add products": paste URLs, watch the background scrape job read them."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import reflex as rx

from recete_app.backend import background_jobs
from recete_app.backend.db import session_scope
from recete_app.backend.errors import RecetError
from recete_app.backend.knowledge import scrape_jobs
from recete_app.backend.models import ScrapeJob
from recete_app.backend.services import catalogue
from recete_app.state import routes
from recete_app.state.session import current_principal

POLL_SECONDS = 1.0


@dataclasses.dataclass
class PageResult:
    url: str = ""
    ok: bool = False
    title: str = ""
    message: str = ""


@dataclasses.dataclass
class JobRow:
    id: str = ""
    status: str = ""
    progress: str = ""
    started: str = ""
    error: str = ""
    pages: list[PageResult] = dataclasses.field(default_factory=list)


def _job_row(job: ScrapeJob) -> JobRow:
    progress = f"{job.pages_done} read, {job.pages_failed} failed"
    pages = [
        PageResult(
            str(r.get("url", "")),
            bool(r.get("ok")),
            str(r.get("title") or ""),
            str(r.get("message") or ""),
        )
        for r in job.results
    ]
    return JobRow(
        str(job.id),
        job.status,
        progress,
        job.created_at.strftime("%Y-%m-%d %H:%M"),
        job.error or "",
        pages,
    )


class ScrapeJobState(rx.State):
    jobs: list[JobRow] = []
    error: str = ""
    notice: str = ""
    watching: bool = False

    @rx.event
    async def load(self) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        return self._refresh(principal.merchant_id)

    @rx.event
    async def add(self, form: dict[str, Any]) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        urls = str(form.get("urls", "")).split()
        self.error = self.notice = ""
        try:
            await asyncio.to_thread(catalogue.add_products, principal, urls)
        except RecetError as exc:
            self.error = exc.message
            return None
        return [rx.set_value("scrape-urls", ""), self._refresh(principal.merchant_id)]

    @rx.event
    async def read_again(self, product_id: str) -> Any:
        """A product's own page, read again (the Products page's "Read page again")."""
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.error = self.notice = ""
        try:
            product = uuid.UUID(product_id)
        except ValueError:  # only the id's parsing: a stray ValueError must not read as this
            self.error = "No such product."
            return None
        try:
            await asyncio.to_thread(catalogue.read_again, principal, product)
        except RecetError as exc:
            self.error = exc.message
            return None
        self.notice = "Reading the page again; its progress shows below."
        return self._refresh(principal.merchant_id)

    def _refresh(self, merchant_id: uuid.UUID) -> Any:
        with session_scope(merchant_id) as session:
            self.jobs = [_job_row(job) for job in scrape_jobs.recent_jobs(session)]
        if any(job.status in background_jobs.ACTIVE for job in self.jobs) and not self.watching:
            return ScrapeJobState.watch
        return None

    @rx.event(background=True)
    async def watch(self) -> Any:
        """Refresh once a second while a job is queued or running, then the product list."""
        from recete_app.state.products import ProductsState

        async with self:
            if self.watching:
                return None
            self.watching = True
        try:
            while True:
                await asyncio.sleep(POLL_SECONDS)
                async with self:
                    principal = await current_principal(self)
                    if principal is None:
                        return None
                    self._refresh(principal.merchant_id)
                    if not any(j.status in background_jobs.ACTIVE for j in self.jobs):
                        return ProductsState.load
        finally:
            async with self:
                self.watching = False
