"""Cursor pages for lists that grow (products, customers): newest first, keyed by (created_at,
id), so a page never repeats or skips a row that another request adds meanwhile. The cursor is
opaque to clients: `next_cursor` from one page is `cursor` for the next."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime

from recete_app.backend.errors import InvalidInput

After = tuple[datetime, uuid.UUID]  # the last row of the page before: (created_at, id)


def encode_cursor(after: After | None) -> str | None:
    if after is None:
        return None
    raw = json.dumps([after[0].isoformat(), str(after[1])]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> After | None:
    """The row a page starts after; InvalidInput (naming `cursor`) for one we did not give."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, row_id = json.loads(raw)
        after = (datetime.fromisoformat(created), uuid.UUID(row_id))
    except (binascii.Error, ValueError, TypeError, AttributeError):
        after = None
    if after is None or after[0].tzinfo is None:
        raise InvalidInput(
            "The cursor is not one this API gave out.",
            code="invalid_cursor",
            details=[{"field": "cursor", "message": "not a cursor from next_cursor"}],
        )
    return after


def check_limit(limit: int, most: int) -> None:
    if not 1 <= limit <= most:
        raise InvalidInput(
            f"limit must be 1 to {most}.",
            details=[{"field": "limit", "message": f"1 to {most}"}],
        )
