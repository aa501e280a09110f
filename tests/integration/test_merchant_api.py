"""GET/PATCH /api/merchants/me: the store's settings over the REST API, changed through the
journey page's own functions, checked whole (every bad field named, nothing changed), audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from recete_app.backend.analytics.attribution import Windows, windows_of
from recete_app.backend.analytics.events import SendFact, record_facts
from recete_app.backend.analytics.rollup import roll_up
from recete_app.backend.commerce.orders import transit_days
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.journeys.settings import journey_for
from recete_app.backend.models import AnalyticsEventName, JourneyDay, Merchant
from tests.integration.api_helpers import Store, fields_named, key_headers, sign_up
from tests.support import owner_sql

ME = "/api/merchants/me"


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def store(client: TestClient) -> Store:
    return sign_up(client, "Glow Skin", "owner@glowskin.com")


def test_a_new_store_reads_its_defaults(client: TestClient, store: Store) -> None:
    response = client.get(ME, headers=store.auth)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "Glow Skin",
        "timezone": "UTC",
        "language": "en",
        "transit_days": 3,
        "window_start": "09:00",
        "window_end": "20:00",
        "retention_message_days": 400,
        "retention_webhook_days": 30,
        "retention_failed_event_days": 90,
        "attribution_read_days": 1,
        "attribution_click_days": 5,
    }


def test_a_change_is_what_the_journeys_page_and_the_orders_use(
    client: TestClient, store: Store
) -> None:
    change = {
        "name": "Glow Skin Istanbul",
        "timezone": "Europe/Istanbul",
        "language": "tr",
        "transit_days": 5,
        "window_start": "10:30",
        "window_end": "19:00",
        "retention_message_days": 365,
        "retention_webhook_days": 14,
        "retention_failed_event_days": 60,
        "attribution_read_days": 2,
        "attribution_click_days": 7,
    }
    response = client.patch(ME, json=change, headers=store.auth)
    assert response.status_code == 200, response.text
    assert response.json() == change
    assert client.get(ME, headers=store.auth).json() == change
    with session_scope(store.merchant_id) as session:
        journey = journey_for(session)
        assert transit_days(session) == 5
        assert windows_of(session.get_one(Merchant, store.merchant_id).settings) == Windows(7, 2)
        assert (journey.window_start.isoformat(), journey.window_end.isoformat()) == (
            "10:30:00",
            "19:00:00",
        )
    actions = {str(row[0]) for row in owner_sql("SELECT action FROM audit_log")}
    assert "merchant.settings_updated" in actions


def test_fields_left_out_stay_as_they_are(client: TestClient, store: Store) -> None:
    response = client.patch(ME, json={"window_end": "21:00"}, headers=store.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["window_start"], body["window_end"], body["name"]) == (
        "09:00",
        "21:00",
        "Glow Skin",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"transit_days": 0}, "transit_days"),
        ({"transit_days": 61}, "transit_days"),
        ({"transit_days": "soon"}, "transit_days"),
        ({"window_start": "20:00", "window_end": "09:00"}, "window_start"),
        ({"window_start": "21:00"}, "window_start"),  # after the current end, 20:00
        ({"window_end": "08:00"}, "window_end"),  # before the current start, 09:00
        ({"window_start": "25:00"}, "window_start"),
        ({"window_start": "09:00+03:00"}, "window_start"),
        ({"language": "xx"}, "language"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"attribution_read_days": 0}, "attribution_read_days"),
        ({"attribution_click_days": 31}, "attribution_click_days"),
    ],
)
def test_a_bad_field_is_named_and_changes_nothing(
    client: TestClient, store: Store, change: dict[str, Any], field: str
) -> None:
    before = client.get(ME, headers=store.auth).json()
    response = client.patch(ME, json={"name": "Renamed", **change}, headers=store.auth)
    assert fields_named(response) == {field}
    assert client.get(ME, headers=store.auth).json() == before


def test_every_bad_field_is_named_at_once(client: TestClient, store: Store) -> None:
    response = client.patch(
        ME,
        json={"timezone": "Nowhere/City", "transit_days": 100, "language": "de"},
        headers=store.auth,
    )
    assert fields_named(response) == {"timezone", "transit_days", "language"}


def test_a_body_that_is_not_an_object_is_refused(client: TestClient, store: Store) -> None:
    response = client.patch(ME, json=["timezone"], headers=store.auth)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_body"


def test_each_store_reads_and_changes_only_its_own(client: TestClient, store: Store) -> None:
    other = sign_up(client, "Other Shop", "owner@othershop.com")
    client.patch(ME, json={"timezone": "Europe/Istanbul"}, headers=store.auth)
    theirs = client.get(ME, headers=other.auth).json()
    assert (theirs["name"], theirs["timezone"]) == ("Other Shop", "UTC")


def test_an_orders_only_key_is_refused_and_an_admin_key_is_let_in(
    client: TestClient, store: Store
) -> None:
    orders_only = key_headers(client, store, ["orders:write"])
    for response in (
        client.get(ME, headers=orders_only),
        client.patch(ME, json={"transit_days": 4}, headers=orders_only),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_scope"
    admin = key_headers(client, store, ["admin"])
    assert client.patch(ME, json={"transit_days": 4}, headers=admin).status_code == 200
    assert client.get(ME, headers=admin).json()["transit_days"] == 4
    assert client.get(ME).status_code == 401


def test_the_openapi_document_has_the_settings_schema_with_examples(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert {"get", "patch"} <= set(spec["paths"][ME])
    patch = spec["components"]["schemas"]["SettingsPatch"]["properties"]
    assert patch["timezone"]["examples"] == ["Europe/Istanbul"]


def test_a_new_timezone_counts_the_analytics_days_again_in_it(
    client: TestClient, store: Store
) -> None:
    # 22:30 UTC on Nov 30 is Dec 1 in Istanbul: the day moves with the timezone.
    at = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
    with session_scope(store.merchant_id) as session:
        fact = SendFact(AnalyticsEventName.SENT, uuid.uuid4(), "day3_usage_tips", at)
        record_facts(session, [fact])
    roll_up(store.merchant_id)
    assert _days(store.merchant_id) == [(date(2026, 11, 30), 1)]
    client.patch(ME, json={"timezone": "Europe/Istanbul"}, headers=store.auth)
    roll_up(store.merchant_id)
    assert _days(store.merchant_id) == [(date(2026, 12, 1), 1)]


def _days(merchant_id: uuid.UUID) -> list[tuple[date, int]]:
    with session_scope(merchant_id) as session:
        return [(d.day, d.sent) for d in session.exec(select(JourneyDay)).all()]
