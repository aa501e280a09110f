"""Receiving WhatsApp webhooks: the subscription check (GET) and deliveries (POST).

A POST names its business number inside the body (`metadata.phone_number_id`): the number's
app secret checks the signature over the raw bytes before anything is stored. The number is
found in the raw bytes, not by parsing: parsing an unsigned body let anyone make the parser
work (deep nesting, huge numbers were a 500). Meta sends no delivery id and redelivers the same
bytes, so the body's digest is the dedupe key.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlmodel import select

from recete_app.backend.db import session_scope
from recete_app.backend.errors import Forbidden, Unauthorized
from recete_app.backend.intake.deliveries import VerifiedDelivery, record_delivery
from recete_app.backend.intake.events import Accepted
from recete_app.backend.intake.routing import Route, route_by_store
from recete_app.backend.intake.signatures import valid_hex_signature
from recete_app.backend.integrations import verify_token_index
from recete_app.backend.messaging.whatsapp.payloads import phone_number_ids
from recete_app.backend.models import Integration

PROVIDER = "whatsapp"
TOPIC = "messages"
# `"phone_number_id": "123..."` as Meta writes it; a quote escaped inside a string never matches.
_NUMBER_ID = re.compile(rb'"phone_number_id"\s*:\s*"(\d{1,32})"')
MAX_CANDIDATES = 5


def answer_challenge(mode: str | None, token: str | None, challenge: str | None) -> str:
    """Meta's subscription check: the verify token must be one a merchant set."""
    if mode != "subscribe" or not token or challenge is None:
        raise Forbidden("Not a subscription request.", code="invalid_verification")
    lookup = {"verify_token_index": verify_token_index(token)}
    with session_scope(lookups=lookup) as session:
        found = session.exec(select(Integration.id)).first()
    if found is None:
        raise Forbidden("Unknown verify token.", code="invalid_verify_token")
    return challenge


def accept(raw_body: bytes, signature: str | None) -> Accepted:
    route, number = _signed_route(raw_body, signature)
    digest = hashlib.sha256(raw_body).hexdigest()
    verified = VerifiedDelivery(route, PROVIDER, f"sha256:{digest}", TOPIC, raw_body, {})
    return record_delivery(verified, (TOPIC,), (), lambda _topic, body: _misfit(body, number))


def _signed_route(raw_body: bytes, signature: str | None) -> tuple[Route, str]:
    """The number whose app secret signed these bytes, looked up before any parsing."""
    candidates = list(dict.fromkeys(_NUMBER_ID.findall(raw_body)))[:MAX_CANDIDATES]
    routes = [(route_by_store(PROVIDER, n.decode()), n.decode()) for n in candidates]
    known = [(route, number) for route, number in routes if route is not None]
    if not known:
        raise Unauthorized("Unknown WhatsApp number.", code="unknown_phone_number")
    for route, number in known:
        if valid_hex_signature(route.secrets.get("app_secret", ""), raw_body, signature):
            return route, number
    raise Unauthorized("Invalid webhook signature.", code="invalid_signature")


def _misfit(body: dict[str, Any], number: str) -> str | None:
    numbers = phone_number_ids(body)
    if number not in numbers:
        return f"The number {number} is not one this delivery is for."
    return None
