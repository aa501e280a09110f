"""/api/analytics: the figures of a range from the rollup, named as the page names them; the
CSV export is the same table; a bad range is a 422 naming the field; one store never sees
another's figures."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.accounts.api_keys import create_key
from recete_app.backend.accounts.scopes import ADMIN
from recete_app.backend.analytics.events import SendFact, record_facts
from recete_app.backend.analytics.rollup import roll_up
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.models import AnalyticsEventName as Name
from tests.integration.journey_fixtures import new_merchant


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


def key_for(merchant_id: uuid.UUID) -> dict[str, str]:
    with session_scope(merchant_id) as session:
        issued = create_key(session, "analytics test", scopes=[ADMIN])
    return {"X-Api-Key": issued.key}


def send(merchant_id: uuid.UUID, step: str, at: datetime, *names: Name, **props: object) -> None:
    subject = uuid.uuid4()
    with session_scope(merchant_id) as session:
        record_facts(
            session,
            [SendFact(n, subject, step, at, props if n == Name.PRICED else {}) for n in names],
        )


@pytest.fixture()
def store() -> uuid.UUID:
    merchant_id = new_merchant()
    nov = datetime(2026, 11, 10, 12, tzinfo=UTC)
    send(merchant_id, "day3_usage_tips", nov, Name.SENT, Name.DELIVERED, Name.READ, Name.REPLIED)
    send(merchant_id, "day3_usage_tips", nov, Name.SENT, Name.DELIVERED)
    send(
        merchant_id,
        "day14_check_in",
        datetime(2026, 11, 12, 9, tzinfo=UTC),
        Name.SENT,
        Name.DELIVERED,
        Name.CLICKED,
        Name.PRICED,
        billable=True,
        category="marketing",
        calling_code="90",
    )
    send(merchant_id, "day3_usage_tips", datetime(2026, 10, 20, 9, tzinfo=UTC), Name.SENT)
    roll_up(merchant_id)
    return merchant_id


def test_the_summary_names_the_figures_as_the_page_does_with_the_previous_period(
    client: TestClient, store: uuid.UUID
) -> None:
    answer = client.get(
        "/api/analytics/summary?from=2026-11-01&to=2026-11-30", headers=key_for(store)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["range"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert body["previous_range"] == {"from": "2026-10-02", "to": "2026-10-31"}
    assert body["timezone"] == "UTC"
    figures = body["figures"]
    assert (figures["sent"], figures["delivered"], figures["read"], figures["clicked"]) == (
        3,
        3,
        1,
        1,
    )
    assert figures["read_rate"] == round(1 / 3, 4) and figures["delivered_rate"] == 1.0
    assert Decimal(figures["cost_estimate"]) > 0
    assert body["previous_figures"]["sent"] == 1
    assert body["attribution"] == {"click_days": 5, "read_days": 1}
    assert "read ÷ delivered" in body["formulas"]["read_rate"]


def test_journeys_list_each_step_and_daily_gives_every_day(
    client: TestClient, store: uuid.UUID
) -> None:
    headers = key_for(store)
    steps = client.get(
        "/api/analytics/journeys?from=2026-11-01&to=2026-11-30", headers=headers
    ).json()
    assert [(s["step"], s["sent"]) for s in steps["steps"]] == [
        ("day3_usage_tips", 2),
        ("day14_check_in", 1),
    ]
    daily = client.get(
        "/api/analytics/daily?from=2026-11-09&to=2026-11-12&metric=sent", headers=headers
    ).json()
    assert [(p["day"], p["value"]) for p in daily["points"]] == [
        ("2026-11-09", 0),
        ("2026-11-10", 2),
        ("2026-11-11", 0),
        ("2026-11-12", 1),
    ]


def test_the_csv_export_is_the_journeys_table(client: TestClient, store: uuid.UUID) -> None:
    headers = key_for(store)
    answer = client.get(
        "/api/analytics/export.csv?from=2026-11-01&to=2026-11-30&table=journeys", headers=headers
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    table = client.get(
        "/api/analytics/journeys?from=2026-11-01&to=2026-11-30", headers=headers
    ).json()["steps"]
    assert [r["step"] for r in rows] == [s["step"] for s in table]
    for row, step in zip(rows, table, strict=True):
        for name in ("sent", "delivered", "read", "replied", "clicked", "failed"):
            assert int(row[name]) == step[name]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-11-30&to=2026-11-01", "from"),
        ("from=2025-01-01&to=2026-11-30", "to"),
        ("from=2026-13-01&to=2026-11-30", "from"),
        ("from=2026-11-01&to=yesterday", "to"),
        ("from=2026-11-01&to=2026-11-30&table=orders", "table"),
        # Dates whose previous period (or next day) Python cannot hold: a 422, not a 500.
        ("from=0001-01-01&to=0001-01-01", "from"),
        ("from=2100-12-31&to=9999-12-31", "to"),
    ],
)
def test_a_bad_range_is_a_422_naming_the_field(
    client: TestClient, store: uuid.UUID, query: str, field: str
) -> None:
    path = "export.csv" if "table" in query else "summary"
    for route in {path, "agent"} if "table" not in query else {path}:
        answer = client.get(f"/api/analytics/{route}?{query}", headers=key_for(store))
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["details"][0]["field"] == field


def test_another_store_sees_none_of_these_figures(client: TestClient, store: uuid.UUID) -> None:
    other = new_merchant("owner@another.example")
    body = client.get(
        "/api/analytics/summary?from=2026-11-01&to=2026-11-30", headers=key_for(other)
    ).json()
    assert body["figures"]["sent"] == 0 and body["figures"]["read_rate"] is None
    assert date.fromisoformat(body["range"]["to"]) == date(2026, 11, 30)
