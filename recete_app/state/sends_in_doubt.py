"""Settings → Journeys → Sends in doubt: messages whose fate is unknown, for the merchant to
send again or leave."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC
from typing import Any

import reflex as rx

from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.db import session_scope
from recete_app.backend.errors import RecetError
from recete_app.backend.messaging.outbox import review
from recete_app.backend.messaging.outbox.schedule import TEXT_REPLY
from recete_app.state import routes
from recete_app.state.session import MerchantPage, current_principal


@dataclasses.dataclass
class DoubtRow:
    id: str = ""
    customer: str = ""
    what: str = ""  # "Step 1 · #1001" or "Reply"
    attempted_at: str = ""
    text: str = ""


def _row(doubt: review.SendInDoubt) -> DoubtRow:
    if doubt.step_position is not None:
        order = f" · {doubt.order_name}" if doubt.order_name else ""
        what = f"Step {doubt.step_position}{order}"
    else:
        what = "Reply" if doubt.kind == TEXT_REPLY else doubt.kind
    attempted = (
        doubt.attempted_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        if doubt.attempted_at
        else ""
    )
    return DoubtRow(str(doubt.id), doubt.customer_name or "—", what, attempted, doubt.text)


def _read_rows(merchant_id: uuid.UUID) -> list[DoubtRow]:
    with session_scope(merchant_id) as session:
        return [_row(doubt) for doubt in review.sends_in_doubt(session)]


def _settle_one(principal: Principal, row_id: str, *, send_again: bool) -> None:
    with session_scope(principal.merchant_id) as session:
        review.settle_in_doubt(session, principal.actor, uuid.UUID(row_id), send_again=send_again)


class SendsInDoubtState(MerchantPage, rx.State):
    rows: list[DoubtRow] = []

    async def _reread(self, merchant_id: uuid.UUID) -> None:
        self.rows = await asyncio.to_thread(_read_rows, merchant_id)

    @rx.event
    async def send_again(self, row_id: str) -> Any:
        return await self._settle(row_id, send_again=True)

    @rx.event
    async def leave(self, row_id: str) -> Any:
        return await self._settle(row_id, send_again=False)

    async def _settle(self, row_id: str, *, send_again: bool) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.notice = self.error = ""
        try:
            await asyncio.to_thread(_settle_one, principal, row_id, send_again=send_again)
        except RecetError as exc:
            self.error = exc.message
        else:
            self.notice = "Scheduled to go out again now." if send_again else "Left as it is."
        await self._reread(principal.merchant_id)
        return None
