"""Simulator: write to the store as a customer (sandbox mode), read the thread, and send a
planned journey step now instead of on its day."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from recete_app.backend.db import session_scope
from recete_app.backend.errors import RecetError
from recete_app.backend.services import sandbox
from recete_app.state import routes
from recete_app.state.session import MerchantPage, current_principal

DEFAULT_PHONE = "+905321234567"
TALK_FROM_A_PHONE = " Message your WhatsApp number from a phone to talk to the assistant."
OUTCOMES = {
    "sent": "Sent: the step is in the thread.",
    "not_due": "Not sent: the step is not waiting any more.",
}


@dataclasses.dataclass
class BubbleRow:
    id: str = ""
    from_customer: bool = False
    author: str = ""
    text: str = ""
    status: str = ""
    at: str = ""


@dataclasses.dataclass
class PlannedStepRow:
    id: str = ""
    order: str = ""
    due_at: str = ""
    status: str = ""


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclasses.dataclass(frozen=True)
class SandboxThread:
    blocked: str  # why the simulator is off for this merchant, or ""
    messages: list[BubbleRow]
    planned: list[PlannedStepRow]


def _read_thread(merchant_id: uuid.UUID, phone: str) -> SandboxThread:
    with session_scope(merchant_id) as session:
        reason = sandbox.sandbox_unavailable(session)
        if reason is not None:
            return SandboxThread(reason + TALK_FROM_A_PHONE, [], [])
        messages = [
            BubbleRow(
                str(m.id),
                m.direction == "inbound",
                m.author,
                m.text,
                m.status,
                _utc(m.at),
            )
            for m in sandbox.thread(session, phone)
        ]
        planned = [
            PlannedStepRow(str(p.id), p.order_name, _utc(p.due_at), p.status)
            for p in sandbox.planned_steps(session, phone)
        ]
    return SandboxThread("", messages, planned)


class SimulatorState(MerchantPage, rx.State):
    phone: str = DEFAULT_PHONE
    messages: list[BubbleRow] = []
    planned: list[PlannedStepRow] = []
    blocked: str = ""

    async def _reread(self, merchant_id: uuid.UUID) -> None:
        facts = await asyncio.to_thread(_read_thread, merchant_id, self.phone)
        self.blocked, self.messages, self.planned = facts.blocked, facts.messages, facts.planned

    @rx.event
    async def open_thread(self, phone: str) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.phone = phone.strip()[:32]
        self.notice = self.error = ""
        await self._reread(principal.merchant_id)
        return None

    @rx.event
    async def send(self, form: dict[str, Any]) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.phone = str(form.get("phone") or self.phone).strip()[:32]
        self.notice = self.error = ""
        try:
            # The assistant answers in the same call (a model round trip): off the event loop.
            await asyncio.to_thread(
                sandbox.write_as_customer,
                principal.merchant_id,
                self.phone,
                str(form.get("text", "")),
            )
        except RecetError as exc:
            self.error = exc.message
        await self._reread(principal.merchant_id)
        return None

    @rx.event
    async def send_now(self, scheduled_id: str) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.notice = self.error = ""
        try:
            outcome = await asyncio.to_thread(
                sandbox.send_step_now, principal.merchant_id, uuid.UUID(scheduled_id)
            )
        except RecetError as exc:
            self.error = exc.message
        else:
            self.notice = OUTCOMES.get(
                outcome, f"Not sent ({outcome}): Settings → Planned messages says why."
            )
        await self._reread(principal.merchant_id)
        return None
