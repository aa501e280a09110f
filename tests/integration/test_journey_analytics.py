"""A hand-built store driven through the real paths (the sender against a fake Graph API,
signed WhatsApp webhooks, the tracked link) and rolled up: every figure is counted by hand.

Customers, each with one order delivered three days ago (day-3 usage tip) unless said:
- Ayşe: her read arrives before its "delivered"; she replies; WhatsApp prices it (utility).
- Burak: the first send is throttled (130429) and retried; the retry goes out.
- Cem: the send is refused for good (132001): failed, never sent.
- Deniz: the day-14 check-in only; WhatsApp's preview fetcher opens the link, then Deniz twice;
  WhatsApp prices it (marketing).
- Ece: writes STOP after her message: an opt-out, not a reply.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from recete_app.backend.analytics.attribution import attributions_of
from recete_app.backend.analytics.pricing import parse_card
from recete_app.backend.analytics.rollup import roll_up
from recete_app.backend.commerce.events import CustomerInfo, LineItem, OrderEvent
from recete_app.backend.commerce.orders import apply_order_event
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.models import (
    JourneyDay,
    Message,
    Order,
    ScheduledMessage,
    TrackedLink,
)
from tests.fakes.graph_api import FakeGraphApi
from tests.integration.commerce_fixtures import process_pending
from tests.integration.journey_fixtures import (
    PHONE_NUMBER_ID,
    connect_whatsapp,
    deliver,
    dispatch_and_send,
    new_merchant,
    send_around_the_clock,
)
from tests.integration.whatsapp_bodies import inbound_text, post_signed, status_update
from tests.support import owner_sql

ZONE = "Europe/Istanbul"
CARD = parse_card(
    {
        "rates": {"90": {"marketing": "0.0109", "utility": "0.0053", "authentication": "0.0053"}},
        "other": {"marketing": "0.0604", "utility": "0.0077", "authentication": "0.0077"},
    }
)
STORE_LINK = "https://lalekozmetik.example/products/gul-suyu?ref=wa&utm_source=old"
PREVIEW_AGENT = "WhatsApp/2.23.20.0 A"
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36"
)


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


def due_now(order_id: uuid.UUID, position: int) -> None:
    owner_sql(
        "UPDATE scheduled_messages s SET due_at = now() - interval '1 second'"
        " FROM journey_steps j WHERE s.step_id = j.id AND j.position = :p AND s.order_id = :o",
        p=position,
        o=order_id,
    )


def drop_step(order_id: uuid.UUID, position: int) -> None:
    owner_sql(
        "UPDATE scheduled_messages s SET status = 'cancelled'"
        " FROM journey_steps j WHERE s.step_id = j.id AND j.position = :p AND s.order_id = :o",
        p=position,
        o=order_id,
    )


def sent_message(merchant_id: uuid.UUID, order_id: uuid.UUID) -> Message:
    with session_scope(merchant_id) as session:
        row = session.exec(
            select(ScheduledMessage).where(
                ScheduledMessage.order_id == order_id, ScheduledMessage.status == "sent"
            )
        ).one()
        return session.get_one(Message, row.message_id)


def days(merchant_id: uuid.UUID) -> dict[tuple[date, str], JourneyDay]:
    with session_scope(merchant_id) as session:
        return {(d.day, d.step): d for d in session.exec(select(JourneyDay)).all()}


def order_for(merchant_id: uuid.UUID, name: str, phone: str, *, days_ago: int = 3) -> uuid.UUID:
    return deliver(
        merchant_id,
        datetime.now(UTC) - timedelta(days=days_ago),
        order=f"10{phone[-2:]}",
        customer=f"c-{name}",
        first_name=name,
        phone=phone,
    )


def reorder(
    merchant_id: uuid.UUID, name: str, phone: str, placed: datetime, total: str, currency: str
) -> None:
    event = OrderEvent(
        source="api",
        external_id=f"R-{name}",
        updated_at=placed,
        name=f"#R-{name}",
        placed_at=placed,
        currency=currency,
        total_price=Decimal(total),
        customer=CustomerInfo(external_id=f"c-{name}", first_name=name, phone=phone),
        line_items=(LineItem("li-1", title="Gül Suyu Tonik", quantity=1),),
    )
    with session_scope(merchant_id) as session:
        apply_order_event(session, event)


def istanbul_store(graph: FakeGraphApi) -> uuid.UUID:
    """A store in Istanbul (UTC+3) sending at any hour through the fake Graph API."""
    merchant_id = new_merchant()
    owner_sql("UPDATE merchants SET timezone = :z WHERE id = :m", z=ZONE, m=merchant_id)
    send_around_the_clock(merchant_id)
    connect_whatsapp(merchant_id, graph.token)
    return merchant_id


def test_a_hand_built_store_rolls_up_to_the_figures_counted_by_hand(
    graph: FakeGraphApi, client: TestClient
) -> None:
    merchant_id = istanbul_store(graph)
    owner_sql("UPDATE journey_steps SET link = :l WHERE position = 2", l=STORE_LINK)

    ayse = order_for(merchant_id, "Ayşe", "+905321110001")
    due_now(ayse, 1)
    assert dispatch_and_send() == ["sent"]
    burak = order_for(merchant_id, "Burak", "+905321110002")
    due_now(burak, 1)
    graph.fail_next(PHONE_NUMBER_ID, code=130429, http_status=429)
    assert dispatch_and_send() == ["retrying"]
    due_now(burak, 1)
    assert dispatch_and_send() == ["sent"]
    cem = order_for(merchant_id, "Cem", "+905321110003")
    due_now(cem, 1)
    graph.fail_next(PHONE_NUMBER_ID, code=132001)
    assert dispatch_and_send() == ["failed"]
    deniz = order_for(merchant_id, "Deniz", "+905321110004")
    drop_step(deniz, 1)
    due_now(deniz, 2)
    assert dispatch_and_send() == ["sent"]
    ece = order_for(merchant_id, "Ece", "+905321110005")
    due_now(ece, 1)
    assert dispatch_and_send() == ["sent"]

    now = datetime.now(UTC)
    a, b, d, e = (sent_message(merchant_id, o) for o in (ayse, burak, deniz, ece))
    utility = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}
    marketing = {**utility, "category": "marketing"}
    post_signed(client, status_update(a, "read", now, pricing=utility))
    post_signed(client, status_update(a, "delivered", now))  # late: changes nothing
    post_signed(client, status_update(b, "delivered", now))
    post_signed(client, status_update(d, "delivered", now, pricing=marketing))
    post_signed(client, status_update(e, "delivered", now))
    post_signed(client, inbound_text("905321110001", "How often should I use it?", now))
    post_signed(client, inbound_text("905321110005", "STOP", now))
    assert set(process_pending(merchant_id)) == {"processed"}

    # Deniz's link: the template carried the tracked URL, not the store's.
    [token] = re.findall(r"/r/([A-Za-z0-9_-]{16,64})", d.body)
    for agent in (PREVIEW_AGENT, PHONE_AGENT, PHONE_AGENT):
        answer = client.get(f"/r/{token}", headers={"user-agent": agent}, follow_redirects=False)
        assert answer.status_code == 302
    assert answer.headers["location"] == (
        "https://lalekozmetik.example/products/gul-suyu?ref=wa&utm_source=recete"
        "&utm_medium=whatsapp&utm_campaign=day14_check_in"
    )
    assert STORE_LINK not in d.body
    with session_scope(merchant_id) as session:
        link = session.exec(select(TrackedLink)).one()
    assert link.clicks == 2 and link.first_clicked_at is not None

    # Reorders: Ayşe read hers (read window, 1 day), Deniz clicked (click window, 5 days; paid
    # in euros); Burak's read was two days before his reorder, outside the read window.
    post_signed(client, status_update(b, "read", now - timedelta(days=2)))
    assert process_pending(merchant_id) == ["processed"]
    reorder(merchant_id, "Ayşe", "+905321110001", now + timedelta(hours=2), "450.00", "TRY")
    reorder(merchant_id, "Deniz", "+905321110004", now + timedelta(days=3), "30.00", "EUR")
    reorder(merchant_id, "Burak", "+905321110002", now + timedelta(hours=1), "99.00", "TRY")
    with session_scope(merchant_id) as session:
        orders = session.exec(select(Order)).all()
        found = attributions_of(session, [o.id for o in orders])
        records = {o.name: found.get(o.id) for o in orders}
    assert {name for name, record in records.items() if record} == {"#R-Ayşe", "#R-Deniz"}
    ayse_record, deniz_record = records["#R-Ayşe"], records["#R-Deniz"]
    assert ayse_record is not None and deniz_record is not None
    assert (ayse_record["rule"], ayse_record["window_days"], ayse_record["step"]) == (
        "read",
        1,
        "day3_usage_tips",
    )
    assert (deniz_record["rule"], deniz_record["window_days"]) == ("click", 5)
    assert deniz_record["amount"] == "30.00" and deniz_record["currency"] == "EUR"

    assert roll_up(merchant_id, CARD) > 0
    today = datetime.now(ZoneInfo(ZONE)).date()
    figures = days(merchant_id)
    assert set(figures) == {(today, "day3_usage_tips"), (today, "day14_check_in")}
    tips, check_in = figures[(today, "day3_usage_tips")], figures[(today, "day14_check_in")]
    assert (tips.sent, tips.delivered, tips.read, tips.replied) == (3, 3, 2, 1)
    assert (tips.clicked, tips.failed, tips.opted_out) == (0, 1, 1)
    assert tips.failures == {"132001": {"count": 1, "title": tips.failures["132001"]["title"]}}
    assert "Template name does not exist" in tips.failures["132001"]["title"]
    assert (tips.billable, tips.cost_estimate) == (1, Decimal("0.0053"))
    assert (check_in.sent, check_in.delivered, check_in.read, check_in.clicked) == (1, 1, 0, 1)
    assert (check_in.billable, check_in.cost_estimate) == (1, Decimal("0.0109"))
    assert (tips.attributed_orders, tips.attributed_revenue) == (1, {"TRY": "450.00"})
    assert (check_in.attributed_orders, check_in.attributed_revenue) == (1, {"EUR": "30.00"})

    with session_scope(merchant_id) as session:
        priced = session.get_one(Message, a.id)
    assert (priced.billable, priced.pricing_category, priced.calling_code) == (
        True,
        "utility",
        "90",
    )

    # Rolled up again from scratch: the same figures.
    before = {key: _figures(day) for key, day in figures.items()}
    owner_sql(
        "UPDATE analytics_events SET rolled_up_at = NULL WHERE merchant_id = :m", m=merchant_id
    )
    roll_up(merchant_id, CARD, batch=2)
    assert {key: _figures(day) for key, day in days(merchant_id).items()} == before


def _figures(day: JourneyDay) -> dict[str, Any]:
    return day.model_dump(exclude={"rolled_up_at"})


def shift_send(merchant_id: uuid.UUID, message: Message, to: datetime) -> None:
    """As if the message had gone out at `to`: its row, its message and its facts."""
    owner_sql("UPDATE messages SET created_at = :t WHERE id = :i", t=to, i=message.id)
    owner_sql(
        "UPDATE scheduled_messages SET sent_at = :t WHERE message_id = :i", t=to, i=message.id
    )
    owner_sql(
        "UPDATE analytics_events SET subject_at = :t WHERE subject_id = "
        "(SELECT id FROM scheduled_messages WHERE message_id = :i)",
        t=to,
        i=message.id,
    )


def test_a_late_read_counts_on_the_day_its_message_went_out_in_the_stores_timezone(
    graph: FakeGraphApi, client: TestClient
) -> None:
    merchant_id = istanbul_store(graph)
    late, early = (
        order_for(merchant_id, n, p)
        for n, p in (("Ayşe", "+905321110001"), ("Burak", "+905321110002"))
    )
    for order in (late, early):
        due_now(order, 1)
    assert dispatch_and_send() == ["sent", "sent"]
    # 22:30 UTC is already the next day in Istanbul (UTC+3); 20:30 UTC is not.
    shift_send(
        merchant_id, sent_message(merchant_id, late), datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
    )
    shift_send(
        merchant_id, sent_message(merchant_id, early), datetime(2026, 11, 30, 20, 30, tzinfo=UTC)
    )
    roll_up(merchant_id, CARD)
    first = days(merchant_id)
    assert {key: (d.sent, d.read) for key, d in first.items()} == {
        (date(2026, 11, 30), "day3_usage_tips"): (1, 0),
        (date(2026, 12, 1), "day3_usage_tips"): (1, 0),
    }

    # The read arrives days later: it counts on the send's day, and no day of its own.
    post_signed(client, status_update(sent_message(merchant_id, late), "read", datetime.now(UTC)))
    assert process_pending(merchant_id) == ["processed"]
    roll_up(merchant_id, CARD)
    after = days(merchant_id)
    assert {key: (d.sent, d.delivered, d.read) for key, d in after.items()} == {
        (date(2026, 11, 30), "day3_usage_tips"): (1, 0, 0),
        (date(2026, 12, 1), "day3_usage_tips"): (1, 1, 1),
    }


def test_a_message_reported_failed_is_not_replied_to_nor_opted_out_of(
    graph: FakeGraphApi, client: TestClient
) -> None:
    merchant_id = istanbul_store(graph)
    order = order_for(merchant_id, "Ayşe", "+905321110001")
    due_now(order, 1)
    assert dispatch_and_send() == ["sent"]
    now = datetime.now(UTC)
    failure = [{"code": 131049, "title": "This message was not delivered"}]
    post_signed(client, status_update(sent_message_any(merchant_id), "failed", now, errors=failure))
    post_signed(client, inbound_text("905321110001", "Where is my order?", now))
    post_signed(client, inbound_text("905321110001", "STOP", now))
    assert set(process_pending(merchant_id)) == {"processed"}
    roll_up(merchant_id, CARD)
    [day] = days(merchant_id).values()
    assert (day.sent, day.delivered, day.failed, day.replied, day.opted_out) == (1, 0, 1, 0, 0)


def sent_message_any(merchant_id: uuid.UUID) -> Message:
    with session_scope(merchant_id) as session:
        return session.exec(select(Message).where(Message.direction == "outbound")).one()


def test_a_link_clicked_again_before_the_order_is_the_last_touch(
    graph: FakeGraphApi, client: TestClient
) -> None:
    """First clicked six days before the reorder (outside the 5-day window), clicked again the
    day before it: the latest click counts."""
    merchant_id = istanbul_store(graph)
    owner_sql("UPDATE journey_steps SET link = :l WHERE position = 2", l=STORE_LINK)
    order = order_for(merchant_id, "Deniz", "+905321110004")
    drop_step(order, 1)
    due_now(order, 2)
    assert dispatch_and_send() == ["sent"]
    [token] = re.findall(r"/r/([A-Za-z0-9_-]{16,64})", sent_message(merchant_id, order).body)
    for _ in range(2):
        client.get(f"/r/{token}", headers={"user-agent": PHONE_AGENT}, follow_redirects=False)
    now = datetime.now(UTC)
    owner_sql(
        "UPDATE tracked_links SET first_clicked_at = :first, last_clicked_at = :last",
        first=now - timedelta(days=6),
        last=now - timedelta(days=1),
    )
    owner_sql(
        "UPDATE scheduled_messages SET sent_at = :t WHERE status = 'sent'",
        t=now - timedelta(days=7),
    )
    reorder(merchant_id, "Deniz", "+905321110004", now, "30.00", "EUR")
    with session_scope(merchant_id) as session:
        [record] = attributions_of(
            session, [o.id for o in session.exec(select(Order)).all()]
        ).values()
    assert (record["rule"], record["touched_at"][:10]) == (
        "click",
        (now - timedelta(days=1)).isoformat()[:10],
    )
