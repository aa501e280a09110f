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
from recete_app.state.session import current_principal, principal_of, session_token

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


def _read_jobs(merchant_id: uuid.UUID) -> list[JobRow]:
    with session_scope(merchant_id) as session:
        return [_job_row(job) for job in scrape_jobs.recent_jobs(session)]


def _active(jobs: list[JobRow]) -> bool:
    return any(job.status in background_jobs.ACTIVE for job in jobs)


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
        return await self._reread(principal.merchant_id)

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
        return [rx.set_value("scrape-urls", ""), await self._reread(principal.merchant_id)]

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
        return await self._reread(principal.merchant_id)

    async def _reread(self, merchant_id: uuid.UUID) -> Any:
        """Read the jobs in a worker thread and show them; returns the watch if one runs."""
        return self._show(await asyncio.to_thread(_read_jobs, merchant_id))

    def _show(self, jobs: list[JobRow]) -> Any:
        self.jobs = jobs
        if _active(jobs) and not self.watching:
            return ScrapeJobState.watch
        return None

    @rx.event(background=True)
    async def watch(self) -> Any:
        """Refresh once a second while a job is queued or running, then the product list. The
        database is read between the `async with self` blocks: inside one, the tab's other
        events would wait."""
        from recete_app.state.products import ProductsState

        async with self:
            if self.watching:
                return None
            self.watching = True
        try:
            while True:
                await asyncio.sleep(POLL_SECONDS)
                async with self:
                    token = await session_token(self)
                principal = await principal_of(token)
                if principal is None:
                    return None
                jobs = await asyncio.to_thread(_read_jobs, principal.merchant_id)
                async with self:
                    self._show(jobs)
                if not _active(jobs):
                    return ProductsState.load
        finally:
            async with self:
                self.watching = False
