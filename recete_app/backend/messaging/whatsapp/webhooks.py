"""Receiving WhatsApp webhooks: the subscription check (GET) and deliveries (POST).

A POST names its business number inside the body (`metadata.phone_number_id`): the number's
app secret checks the signature over the raw bytes before anything is stored. Meta sends no
delivery id and redelivers the same bytes, so the body's digest is the dedupe key.
"""

from __future__ import annotations

import hashlib
import json

from sqlmodel import select

from recete_app.backend.commerce.deliveries import VerifiedDelivery, record_delivery
from recete_app.backend.commerce.inbox import Accepted
from recete_app.backend.commerce.integrations import verify_token_index
from recete_app.backend.commerce.routing import route_by_store
from recete_app.backend.commerce.signatures import valid_hex_signature
from recete_app.backend.db import session_scope
from recete_app.backend.errors import Forbidden, RecetError, Unauthorized
from recete_app.backend.messaging.whatsapp.payloads import phone_number_ids
from recete_app.backend.models import Integration

PROVIDER = "whatsapp"
TOPIC = "messages"


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
    try:
        body = json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RecetError("The request body is not valid JSON.", code="malformed_json") from None
    numbers = phone_number_ids(body)
    route = route_by_store(PROVIDER, numbers[0]) if numbers else None
    if route is None:
        raise Unauthorized("Unknown WhatsApp number.", code="unknown_phone_number")
    if not valid_hex_signature(route.secrets.get("app_secret", ""), raw_body, signature):
        raise Unauthorized("Invalid webhook signature.", code="invalid_signature")
    digest = hashlib.sha256(raw_body).hexdigest()
    verified = VerifiedDelivery(route, PROVIDER, f"sha256:{digest}", TOPIC, raw_body, {})
    return record_delivery(verified, (TOPIC,), ())
