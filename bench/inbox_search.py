"""Inbox search by part of a phone number, against decrypting every phone (the old way).

    source scripts/env.sh && python -m bench.inbox_search [--customers 20000] [--queries 40]

One merchant with N customers (random Turkish mobile numbers), each with a conversation, written
in bulk as the owner. Timed, each query in turn, the median over the queries:
- *digit grams*: `list_conversations(search=...)` as the inbox runs it, for the last four digits
  or six digits from the middle of a customer's number;
- *by name*: the same list searched by a customer's name (no phone work at all: the floor);
- *baseline*: the same inbox list with the old first step swapped in: every phone of a customer
  with a conversation decrypted and compared.
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import statistics
import string
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from unittest import mock

import sqlalchemy as sa
from sqlmodel import Session

from bench.database import fresh_database


def seed(customers: int) -> tuple[uuid.UUID, list[str], list[str]]:
    from recete_app.backend import db
    from recete_app.backend.accounts.signup import sign_up
    from recete_app.backend.models import Conversation, Customer
    from recete_app.backend.security.fields import stored_phone

    merchant_id = sign_up("Search Store", "search@example.com", "bench-password-1").merchant_id
    rng = random.Random(7)
    phones = sorted({f"+905{rng.randrange(10**9):09d}" for _ in range(customers)})
    now = datetime.now(UTC)
    people, talks, names = [], [], []
    for phone in phones:
        customer_id = uuid.uuid4()
        names.append(_name(rng))
        people.append(
            dict(
                id=customer_id,
                merchant_id=merchant_id,
                **stored_phone(phone),
                first_name=names[-1],
                last_name=_name(rng),
                consent_state="opted_in",
                created_at=now,
            )
        )
        talks.append(dict(id=uuid.uuid4(), merchant_id=merchant_id, customer_id=customer_id))
    with db.get_engine(owner=True).begin() as conn:
        conn.execute(sa.insert(Customer.__table__), people)  # type: ignore[attr-defined]
        conn.execute(
            sa.insert(Conversation.__table__).values(  # type: ignore[attr-defined]
                status="ai", urgent=False, channel="whatsapp", created_at=now, last_message_at=now
            ),
            talks,
        )
        conn.execute(sa.text("ANALYZE customers; ANALYZE conversations"))
    return merchant_id, phones, names


def _name(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=7)).title()  # no digits in names


def decrypt_every_phone(session: Session, typed: str, _run: str) -> list[uuid.UUID]:
    """The old first step of a search by part of a number (before migration 0013)."""
    from sqlmodel import col

    from recete_app.backend.models import Conversation, Customer
    from recete_app.backend.security.crypto import decrypt_field
    from recete_app.backend.security.fields import PHONE

    rows = session.execute(
        sa.select(col(Customer.id), col(Customer.phone_encrypted))
        .where(col(Customer.phone_encrypted).is_not(None))
        .where(sa.exists().where(col(Conversation.customer_id) == Customer.id))
    ).all()
    return [cid for cid, phone in rows if typed in decrypt_field(phone, PHONE)]


def median_ms(queries: list[str], run: Callable[[str], int]) -> tuple[float, float]:
    """(median milliseconds, mean rows found) over the queries."""
    times, found = [], []
    for query in queries:
        started = time.perf_counter()
        found.append(run(query))
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), statistics.fmean(found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    data, server, _url = fresh_database("recete-bench-inbox-")
    try:
        run(args.customers, args.queries)
    finally:
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


def run(customers: int, queries: int) -> None:
    from recete_app.backend.db import session_scope
    from recete_app.backend.messaging import inbox, inbox_search

    merchant_id, phones, names = seed(customers)
    rng = random.Random(11)
    picked = rng.sample(phones, queries)
    last_four = [phone[-4:] for phone in picked]
    middle = [f"{phone[4:7]} {phone[7:10]}" for phone in picked]
    some_names = rng.sample(names, queries)

    def listing(query: str) -> int:
        with session_scope(merchant_id) as session:
            return len(inbox.list_conversations(session, search=query, limit=50))

    def baseline(query: str) -> int:
        with mock.patch.object(inbox_search, "_customers_whose_phone_has", decrypt_every_phone):
            return listing(query)

    listing(last_four[0])  # warm the pool and the caches alike for every leg
    baseline(last_four[0])
    rows = [
        (
            "baseline: inbox list, last 4 digits, every phone decrypted",
            *median_ms(last_four, baseline),
        ),
        ("digit grams: inbox list, last 4 digits", *median_ms(last_four, listing)),
        ("digit grams: inbox list, 6 middle digits", *median_ms(middle, listing)),
        ("by name (no phone work)", *median_ms(some_names, listing)),
    ]
    print(
        f"### {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {customers:,} customers with"
        f" a conversation, {queries} queries each\n"
    )
    print("| search | median ms | rows found (mean) |\n|---|---|---|")
    for name, ms, found in rows:
        print(f"| {name} | {ms:.1f} | {found:.1f} |")
    print(f"\nBaseline / digit grams (last 4): {rows[0][1] / rows[1][1]:.1f}x")


if __name__ == "__main__":
    main()
