"""Erasing a person from the stored webhook bodies that mention them.

A webhook body keeps what the store or Meta sent: an order's phone, email and address, a
customer's message. Erasing the customer rows left all of that in `external_events`, so an
erasure also blanks every stored body of the merchant that names the person. The bodies are
encrypted, so they are read one page at a time and searched here rather than in SQL.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend.intake.events import (
    FAILED,
    IGNORED,
    PENDING,
    event_payload_text,
    sealed_body,
)
from recete_app.backend.models import ExternalEvent
from recete_app.backend.phones import InvalidPhoneError, normalize_phone

ERASED_BODY = '{"erased": true}'
PAGE = 200
# A run that could be a phone number as a store or Meta writes it: "+90 532 111 22 33",
# "(0532) 111-2233", "905321112233".
_PHONE_LIKE = re.compile(r"\+?\d[\d ().\-]{6,22}\d")


@dataclass(frozen=True)
class Person:
    """What names a person in a body: E.164 phones, emails, the stores' ids for them."""

    phones: frozenset[str]
    emails: frozenset[str]
    external_ids: frozenset[str]

    def is_named_in(self, body: str) -> bool:
        lowered = body.lower()
        if any(email in lowered for email in self.emails):
            return True
        if any(re.search(rf"(?<!\d){re.escape(i)}(?!\d)", body) for i in self.external_ids):
            return True
        return bool(self.phones) and any(
            _as_e164(run) in self.phones for run in _PHONE_LIKE.findall(body)
        )


def _as_e164(run: str) -> str | None:
    digits = re.sub(r"[ ().\-]", "", run)
    try:
        return normalize_phone(digits if digits.startswith("+") else f"+{digits}")
    except InvalidPhoneError:
        return None


def erase_from_events(
    session: Session, people: Iterable[Person], *, integration_id: uuid.UUID | None = None
) -> int:
    """Blank the merchant's stored bodies (or one integration's) that name any of `people`;
    returns how many. Events still waiting to be processed are given up with their bodies (this
    request's own among them): applied after the erasure, an order update would bring the
    person back."""
    people = [p for p in people if p.phones or p.emails or p.external_ids]
    if not people:
        return 0
    erased, after = 0, None
    while True:
        # A body blanked already (by retention, after a month) names no one: not read again.
        query = select(ExternalEvent).where(col(ExternalEvent.body_erased_at).is_(None))
        if integration_id is not None:
            query = query.where(col(ExternalEvent.integration_id) == integration_id)
        if after is not None:
            query = query.where(col(ExternalEvent.id) > after)
        page = session.exec(query.order_by(col(ExternalEvent.id)).limit(PAGE)).all()
        for event in page:
            body = event_payload_text(event)
            if any(person.is_named_in(body) for person in people):
                erase_body(event)
                erased += 1
        if len(page) < PAGE:
            return erased
        after = page[-1].id


def erased_body() -> dict[str, Any]:
    """The columns of a blanked webhook body (every path that blanks one writes these)."""
    return {"raw_body": sealed_body(ERASED_BODY), "body_erased_at": datetime.now(UTC)}


def erase_body(event: ExternalEvent) -> None:
    for column, value in erased_body().items():
        setattr(event, column, value)
    if event.status in (PENDING, FAILED):  # nothing left to apply or retry
        event.status, event.error = IGNORED, "The body was erased by a privacy request."
        event.processed_at = datetime.now(UTC)


def erase_integration_events(session: Session, integration_id: uuid.UUID) -> int:
    """Every stored body this integration sent (a shop's erasure), in one statement: a shop
    has sent many. What was still waiting is never processed now."""
    table = ExternalEvent.__table__  # type: ignore[attr-defined]
    waiting = table.c.status.in_((PENDING, FAILED))
    result = session.execute(
        sa.update(table)
        .where(table.c.integration_id == integration_id)
        .values(
            **erased_body(),
            error=sa.case((waiting, "The shop's data was erased."), else_=table.c.error),
            status=sa.case((waiting, IGNORED), else_=table.c.status),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
