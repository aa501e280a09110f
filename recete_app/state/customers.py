"""Customers: find a customer (name, phone or part of one), read their profile and timeline,
export everything held about them, erase them, and record their consent by hand.

A thin adapter over `services/customer_privacy` (the REST API's and the CLI's too): every
action is that service's, run in a worker thread, and audited there with the signed-in person.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import reflex as rx

from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.background_jobs import ACTIVE
from recete_app.backend.errors import RecetError
from recete_app.backend.services import customer_exports, customer_privacy
from recete_app.state import routes
from recete_app.state.customer_rows import (
    CustomerProfile,
    CustomerRow,
    ExportRow,
    consent_label,
    consent_problem,
    erase_confirmed,
    export_now,
    read_customer,
    read_exports,
    read_rows,
)
from recete_app.state.customer_timeline import TimelineEntry
from recete_app.state.session import MerchantPage, current_principal, principal_of, session_token

__all__ = ["CustomerProfile", "CustomerRow", "CustomersState", "ExportRow", "TimelineEntry"]
GONE = "That customer no longer exists."
NOT_CONFIRMED = "To erase this customer, type their phone number (or the word ERASE) exactly."
QUEUED = (
    "This customer's history is long, so the export is being prepared in the background. "
    "It appears under Exports, ready to download, in a moment."
)
POLL_SECONDS = 1.5


class CustomersState(MerchantPage, rx.State):
    search: str = ""
    rows: list[CustomerRow] = []
    next_cursor: str = ""  # "": no more customers to show
    selected: CustomerProfile = CustomerProfile()
    timeline: list[TimelineEntry] = []
    erase_open: bool = False
    erase_typed: str = ""
    exports: list[ExportRow] = []  # the open customer's prepared (large) exports
    watching_exports: bool = False

    @rx.var
    def erase_ready(self) -> bool:
        """Enables the dialog's Erase button; `erase` checks the same again on the server."""
        return erase_confirmed(self.erase_typed, self.selected.phone)

    async def _opened(self, principal: Principal) -> Any:
        self.erase_open, self.erase_typed = False, ""
        return await super()._opened(principal)

    async def _reread(self, merchant_id: uuid.UUID) -> None:
        """The first page of the list, and the open customer again (they may be gone)."""
        page = await asyncio.to_thread(read_rows, merchant_id, self.search, None)
        self.rows, self.next_cursor = page.rows, page.next_cursor
        if self.selected.id and not await self._reopen(merchant_id, self.selected.id):
            self.error = GONE

    async def _reopen(self, merchant_id: uuid.UUID, customer_id: str) -> bool:
        try:
            opened = await asyncio.to_thread(read_customer, merchant_id, customer_id)
        except RecetError:  # erased meanwhile, or not this merchant's
            self._close()
            return False
        self.selected, self.timeline = opened.profile, opened.timeline
        self.exports = opened.exports
        return True

    def _close(self) -> None:
        self.selected, self.timeline, self.exports = CustomerProfile(), [], []
        self.erase_open, self.erase_typed = False, ""

    async def _person(self) -> Principal | None:
        return await current_principal(self)

    @rx.event
    async def set_search(self, value: str) -> Any:
        self.search = value.strip()[:100]
        person = await self._person()
        if person is None:
            return rx.redirect(routes.LOGIN)
        await self._reread(person.merchant_id)
        return None

    @rx.event
    async def more(self) -> Any:
        """The next page after the last row shown, added below it."""
        person = await self._person()
        if person is None:
            return rx.redirect(routes.LOGIN)
        if not self.next_cursor:
            return None
        page = await asyncio.to_thread(read_rows, person.merchant_id, self.search, self.next_cursor)
        self.rows, self.next_cursor = [*self.rows, *page.rows], page.next_cursor
        return None

    @rx.event
    async def open_customer(self, customer_id: str) -> Any:
        person = await self._person()
        if person is None:
            return rx.redirect(routes.LOGIN)
        self.notice = self.error = ""
        if not await self._reopen(person.merchant_id, customer_id):
            self.error = GONE
        elif any(row.status in ACTIVE for row in self.exports):
            return CustomersState.watch_exports
        return None

    @rx.event
    def close_customer(self) -> None:
        self._close()
        self.notice = self.error = ""

    @rx.event
    async def export(self) -> Any:
        """The JSON document the service makes (and audits), downloaded by the browser; a large
        one is prepared by a worker and listed under Exports, watched until it is ready."""
        person = await self._person()
        if person is None:
            return rx.redirect(routes.LOGIN)
        self.notice = self.error = ""
        customer_id = self.selected.id
        try:
            answer = await asyncio.to_thread(export_now, person, customer_id)
        except RecetError as exc:
            self.error = exc.message
            return None
        if answer.queued:
            self.notice = QUEUED
            self.exports = await asyncio.to_thread(read_exports, person.merchant_id, customer_id)
            return CustomersState.watch_exports
        self.notice = "Exported. The export is recorded in the audit log."
        return _download(customer_id, answer.text)

    @rx.event
    async def download_export(self, export_id: str) -> Any:
        """A prepared export's document; each download is audited by the service."""
        person = await self._person()
        if person is None:
            return rx.redirect(routes.LOGIN)
        self.notice = self.error = ""
        try:
            customer_id, text = await asyncio.to_thread(
                customer_exports.download_export, person, export_id
            )
        except RecetError as exc:
            self.error = exc.message
            return None
        return _download(str(customer_id), text)

    @rx.event(background=True)
    async def watch_exports(self) -> None:
        """Refresh the open customer's exports while one is being made. The database is read
        between the `async with self` blocks: inside one, the tab's other events would wait."""
        async with self:
            if self.watching_exports:
                return
            self.watching_exports = True
        try:
            while True:
                await asyncio.sleep(POLL_SECONDS)
                async with self:
                    token, customer_id = await session_token(self), self.selected.id
                principal = await principal_of(token)
                if principal is None or not customer_id:
                    return
                try:
                    rows = await asyncio.to_thread(read_exports, principal.merchant_id, customer_id)
                except RecetError:  # erased meanwhile
                    return
                async with self:
                    if self.selected.id == customer_id:
                        self.exports = rows
                if all(row.status not in ACTIVE for row in rows):
                    return
        finally:
            async with self:
                self.watching_exports = False

    @rx.event
    def open_erase(self) -> None:
        self.erase_typed, self.error, self.notice = "", "", ""
        self.erase_open = True

    @rx.event
    def erase_dialog_changed(self, is_open: bool) -> None:
        self.erase_open = is_open
        if not is_open:
            self.erase_typed = ""

    @rx.event
    def set_erase_typed(self, value: str) -> None:
        self.erase_typed = value[:100]

    @rx.event
    async def erase(self, form: dict[str, Any]) -> Any:
        """Irreversible, so the typed confirmation is checked here, whatever the page allowed."""
        person = await self._person()
        if person is None:
            return rx.redirect(routes.LOGIN)
        self.notice = self.error = ""
        typed = str(form.get("confirmation", ""))
        if not self.selected.id or not erase_confirmed(typed, self.selected.phone):
            self.error = NOT_CONFIRMED
            return None
        name = self.selected.name
        try:
            await asyncio.to_thread(customer_privacy.erase_customer, person, self.selected.id)
        except RecetError as exc:
            self.error = exc.message
            return None
        self._close()
        await self._reread(person.merchant_id)
        self.notice = (
            f"Erased {name}: their messages, conversations and consent log are gone, and no "
            "message will be sent to them. Their orders stay in your figures, anonymous."
        )
        return None

    @rx.event
    async def record_consent(self, form: dict[str, Any]) -> Any:
        """An opt-in or opt-out a person records by hand, with the reason they give."""
        person = await self._person()
        if person is None:
            return rx.redirect(routes.LOGIN)
        self.notice = self.error = ""
        state, reason = str(form.get("state") or ""), str(form.get("reason") or "")
        self.error = consent_problem(state, reason)
        if self.error:
            return None
        try:
            await asyncio.to_thread(
                customer_privacy.set_consent, person, self.selected.id, state, reason
            )
        except RecetError as exc:
            self.error = exc.message
            return None
        if not await self._reopen(person.merchant_id, self.selected.id):
            self.error = GONE
            return None
        self._show_consent_in_list()
        self.notice = self._consent_notice(state)
        return rx.set_value("consent-reason", "")

    def _show_consent_in_list(self) -> None:
        shown = self.selected
        self.rows = [
            dataclasses.replace(row, consent=shown.consent, consent_label=shown.consent_label)
            if row.id == shown.id
            else row
            for row in self.rows
        ]

    def _consent_notice(self, asked: str) -> str:
        if self.selected.consent == asked:
            return f"Recorded: {consent_label(asked).lower()}."
        # "Newer wins": a decision stamped later (e.g. the customer's own STOP) still stands.
        return f"Recorded, but a newer decision stands: {self.selected.consent_label.lower()}."


def _download(customer_id: str, text: str) -> Any:
    return rx.download(
        data=text, filename=f"customer-{customer_id}.json", mime_type="application/json"
    )
