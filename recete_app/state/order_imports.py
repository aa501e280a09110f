"""Integrations page, CSV section: upload an order file, watch its background import."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import reflex as rx

from recete_app.backend import background_jobs
from recete_app.backend.commerce import order_imports
from recete_app.backend.config import get_settings
from recete_app.backend.db import session_scope
from recete_app.backend.errors import RecetError
from recete_app.backend.models import OrderImport
from recete_app.state import routes
from recete_app.state.session import current_principal, principal_of, session_token

UPLOAD_ID = "orders_csv"
POLL_SECONDS = 1.0
ACTIVE = background_jobs.ACTIVE


@dataclasses.dataclass
class ProblemRow:
    row: str = ""
    order: str = ""  # the order left out because of this row
    field: str = ""
    problem: str = ""


@dataclasses.dataclass
class ImportRow:
    id: str = ""
    filename: str = ""
    status: str = ""
    progress: str = ""
    error: str = ""
    started: str = ""


def _import_row(job: OrderImport) -> ImportRow:
    progress = (
        f"{job.orders_imported} order(s) imported, {job.orders_skipped} skipped, "
        f"{job.rows_read} row(s) read"
    )
    if job.problem_count:
        progress += f", {job.problem_count} problem(s)"
    return ImportRow(
        str(job.id),
        job.filename,
        job.status,
        progress + ".",
        job.error or "",
        job.created_at.strftime("%Y-%m-%d %H:%M"),
    )


def _problem_row(problem: dict[str, Any]) -> ProblemRow:
    return ProblemRow(
        str(problem.get("row", "")),
        str(problem.get("order", "")),
        str(problem.get("field", "")),
        str(problem.get("problem", "")),
    )


@dataclasses.dataclass(frozen=True)
class ImportsFacts:
    imports: list[ImportRow]
    problems_of: str  # the file the problems are from: the latest finished import
    problems: list[ProblemRow]


def _read_imports(merchant_id: uuid.UUID) -> ImportsFacts:
    with session_scope(merchant_id) as session:
        jobs = order_imports.recent_imports(session)
    rows = [_import_row(job) for job in jobs]
    finished = next((j for j in jobs if j.status == background_jobs.DONE), None)
    if finished is None:
        return ImportsFacts(rows, "", [])
    return ImportsFacts(rows, finished.filename, [_problem_row(p) for p in finished.problems])


class OrderImportState(rx.State):
    imports: list[ImportRow] = []
    problems: list[ProblemRow] = []
    problems_of: str = ""
    error: str = ""
    watching: bool = False

    @rx.event
    async def load(self) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        return await self._reread(principal.merchant_id)

    @rx.event
    async def upload(self, files: list[rx.UploadFile]) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.error = ""
        if not files:
            self.error = "Choose a CSV file first."
            return None
        upload = files[0]
        try:
            # Copies the whole file into the database: off the event loop.
            await asyncio.to_thread(
                order_imports.start_import,
                principal.merchant_id,
                principal.actor,
                upload.name or "orders.csv",
                upload.file,
                get_settings().max_upload_bytes,
            )
        except RecetError as exc:
            self.error = exc.message
            return None
        # The page clears the chosen file itself (integration_data.py): sent from here,
        # Reflex would run that through eval, which the Content-Security-Policy refuses.
        return await self._reread(principal.merchant_id)

    async def _reread(self, merchant_id: uuid.UUID) -> Any:
        """Read the imports in a worker thread and show them; returns the watch if one runs."""
        return self._show(await asyncio.to_thread(_read_imports, merchant_id))

    def _show(self, facts: ImportsFacts) -> Any:
        self.imports, self.problems = facts.imports, facts.problems
        self.problems_of = facts.problems_of
        if any(row.status in ACTIVE for row in facts.imports) and not self.watching:
            return OrderImportState.watch
        return None

    @rx.event(background=True)
    async def watch(self) -> None:
        """Refresh once a second while an import is queued or running. The database is read
        between the `async with self` blocks: inside one, the tab's other events would wait."""
        async with self:
            if self.watching:
                return
            self.watching = True
        try:
            while True:
                await asyncio.sleep(POLL_SECONDS)
                async with self:
                    token = await session_token(self)
                principal = await principal_of(token)
                if principal is None:
                    return
                facts = await asyncio.to_thread(_read_imports, principal.merchant_id)
                async with self:
                    self._show(facts)
                if not any(row.status in ACTIVE for row in facts.imports):
                    return
        finally:
            async with self:
                self.watching = False
