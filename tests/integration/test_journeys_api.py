"""GET/PUT /api/journeys: the journey (steps, templates, sending window, transit days) over the
REST API, through the same service as the dashboard's journey page: a change is checked whole
(every bad field named, nothing written), applied in one transaction, and what the page shows."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.accounts.sessions import Principal, authenticate_session
from recete_app.backend.http.app import create_api
from recete_app.backend.services import journey_setup
from recete_app.state import journeys
from recete_app.state.journeys import JourneysState
from tests.integration.api_helpers import Store, fields_named, key_headers, sign_up
from tests.integration.dashboard_fixtures import run_handler, signed_in_page
from tests.support import owner_sql

JOURNEYS = "/api/journeys"
GOOD_TEMPLATE = {
    "name": "glow_day_four",
    "language_code": "en",
    "category": "utility",
    "body": "Hi {{1}}, how do you like your {{2}}? Tell us at {{3}} anytime.",
    "variables": ["first_name", "product_name", "link"],
}


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def store(client: TestClient) -> Store:
    return sign_up(client, "Glow Skin", "owner@glowskin.com")


def step_ids(client: TestClient, store: Store) -> list[str]:
    response = client.get(JOURNEYS, headers=store.auth)
    assert response.status_code == 200, response.text
    return [step["id"] for step in response.json()["steps"]]


def stored(merchant_id: uuid.UUID) -> list[tuple[object, ...]]:
    """Everything a journey change may write, as the database holds it (updated_at included)."""
    return [
        *owner_sql("SELECT * FROM journeys WHERE merchant_id = :m", m=merchant_id),
        *owner_sql(
            "SELECT * FROM journey_steps WHERE merchant_id = :m ORDER BY position", m=merchant_id
        ),
        *owner_sql("SELECT settings, timezone FROM merchants WHERE id = :m", m=merchant_id),
        *owner_sql("SELECT count(*) FROM audit_log WHERE merchant_id = :m", m=merchant_id),
    ]


def person(store: Store) -> Principal:
    return authenticate_session(store.auth["Authorization"].removeprefix("Bearer "))


def test_a_new_store_reads_its_default_journey(client: TestClient, store: Store) -> None:
    response = client.get(JOURNEYS, headers=store.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    steps = body.pop("steps")
    assert body == {
        "enabled": True,
        "window_start": "09:00",
        "window_end": "20:00",
        "timezone": "UTC",
        "max_order_age_days": 60,
        "transit_days": 3,
    }
    assert [
        (s["position"], s["offset_days"], s["purpose"], s["enabled"], s["link"]) for s in steps
    ] == [(1, 3, "usage_tips", True, ""), (2, 14, "check_in", True, "")]
    usage = steps[0]["templates"]
    assert set(usage) == {"en", "tr"}
    assert usage["en"]["name"] == "recete_usage_tip"
    assert usage["en"]["category"] == "utility"
    assert usage["en"]["variables"] == ["first_name", "product_name", "store_name", "tip"]
    assert "{{4}}" in usage["en"]["body"]


def test_a_change_is_applied_whole_and_is_what_the_journeys_page_shows(
    client: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = step_ids(client, store)
    change = {
        "enabled": False,
        "window_start": "10:30",
        "window_end": "19:00",
        "max_order_age_days": 30,
        "transit_days": 5,
        "steps": [
            {
                "id": first,
                "offset_days": 4,
                "link": "https://glowskin.com/reviews",
                "templates": {"en": GOOD_TEMPLATE},
            },
            {"id": second, "enabled": False, "purpose": "custom"},
        ],
    }
    response = client.put(JOURNEYS, json=change, headers=store.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == client.get(JOURNEYS, headers=store.auth).json()
    assert (body["window_start"], body["transit_days"], body["enabled"]) == ("10:30", 5, False)
    assert body["steps"][0]["templates"] == {"en": GOOD_TEMPLATE}  # the whole set, replaced

    # The service the dashboard reads through sees it ...
    journey = journey_setup.read_journey(store.merchant_id)
    assert (journey.window_end.isoformat(), journey.max_order_age_days) == ("19:00:00", 30)
    assert [(s.offset_days, s.enabled, s.purpose) for s in journey.steps] == [
        (4, True, "usage_tips"),
        (14, False, "custom"),
    ]
    # ... and so does the journeys page itself.
    page = signed_in_page(monkeypatch, journeys, JourneysState, person(store))
    run_handler(JourneysState.load, page)
    assert (page.window_start, page.window_end, page.transit_days) == ("10:30", "19:00", 5)
    assert [(s.offset_days, s.link) for s in page.steps] == [
        (4, "https://glowskin.com/reviews"),
        (14, ""),
    ]
    actions = {str(row[0]) for row in owner_sql("SELECT action FROM audit_log")}
    assert {"journey.updated", "journey.step_updated", "merchant.transit_days_updated"} <= actions


def test_a_step_saved_on_the_journeys_page_is_what_the_api_reads(
    client: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = signed_in_page(monkeypatch, journeys, JourneysState, person(store))
    run_handler(JourneysState.load, page)
    step = page.steps[0]
    form: dict[str, Any] = {"step_id": step.id, "offset_days": "6", "enabled": "on"}
    for template in step.templates:
        form[f"{template.language}_name"] = template.name
        form[f"{template.language}_body"] = template.body
        form[f"{template.language}_variables"] = template.variables
    run_handler(JourneysState.save_step, page, form)
    assert page.steps[0].error == ""
    assert client.get(JOURNEYS, headers=store.auth).json()["steps"][0]["offset_days"] == 6


def test_fields_and_steps_left_out_stay_as_they_are(client: TestClient, store: Store) -> None:
    before = client.get(JOURNEYS, headers=store.auth).json()
    second = before["steps"][1]["id"]
    change = {"window_end": "21:00", "steps": [{"id": second, "enabled": False}]}
    response = client.put(JOURNEYS, json=change, headers=store.auth)
    assert response.status_code == 200, response.text
    after = response.json()
    assert (after["window_start"], after["window_end"]) == ("09:00", "21:00")
    assert after["steps"][0] == before["steps"][0]
    assert after["steps"][1] == {**before["steps"][1], "enabled": False}


def test_the_journey_as_read_can_be_sent_back_and_writes_nothing(
    client: TestClient, store: Store
) -> None:
    before = client.get(JOURNEYS, headers=store.auth).json()
    rows = stored(store.merchant_id)
    response = client.put(JOURNEYS, json=before, headers=store.auth)
    assert response.status_code == 200, response.text
    assert response.json() == before
    assert stored(store.merchant_id) == rows


def _steps(*edits: dict[str, Any]) -> Callable[[list[str]], dict[str, Any]]:
    """A body changing the first step (then the second) with `edits`."""
    return lambda ids: {"steps": [{"id": ids[i], **edit} for i, edit in enumerate(edits)]}


def _template(**fields: Any) -> Callable[[list[str]], dict[str, Any]]:
    return _steps({"templates": {"en": {**GOOD_TEMPLATE, **fields}}})


BAD_CHANGES: list[tuple[Callable[[list[str]], dict[str, Any]], str]] = [
    (lambda _: {"enabled": "sometimes"}, "enabled"),
    (lambda _: {"window_start": "25:00"}, "window_start"),
    (lambda _: {"window_start": "21:00"}, "window_start"),  # after the current end, 20:00
    (lambda _: {"window_end": "08:00"}, "window_end"),  # before the current start, 09:00
    (lambda _: {"window_start": "20:00", "window_end": "09:00"}, "window_start"),
    (lambda _: {"window_start": "09:00+03:00"}, "window_start"),
    (lambda _: {"timezone": "Europe/Istanbul"}, "timezone"),  # the store's: read-only here
    (lambda _: {"max_order_age_days": 0}, "max_order_age_days"),
    (lambda _: {"max_order_age_days": 366}, "max_order_age_days"),
    (lambda _: {"transit_days": 61}, "transit_days"),
    (lambda _: {"transit_days": "soon"}, "transit_days"),
    (lambda _: {"colour": "pink"}, "colour"),
    (lambda _: {"steps": [{"id": str(uuid.uuid4()), "offset_days": 4}]}, "steps.0.id"),
    (lambda _: {"steps": [{"id": "step-one"}]}, "steps.0.id"),
    (lambda _: {"steps": [{"offset_days": 4}]}, "steps.0.id"),
    (_steps({"position": 2}), "steps.0.position"),
    (_steps({"offset_days": -1}), "steps.0.offset_days"),
    (_steps({"offset_days": 366}), "steps.0.offset_days"),
    (_steps({"purpose": "upsell"}), "steps.0.purpose"),
    (_steps({"enabled": "sometimes"}), "steps.0.enabled"),
    (_steps({"link": "ftp://glowskin.com/reviews"}), "steps.0.link"),
    (_steps({"link": "https://glowskin.com/" + "r" * 1000}), "steps.0.link"),
    (_steps({"colour": "pink"}), "steps.0.colour"),
    (_steps({"templates": {}}), "steps.0.templates"),
    (_steps({"templates": {"english": GOOD_TEMPLATE}}), "steps.0.templates.english.[key]"),
    (_template(name="Day Four"), "steps.0.templates.en"),
    (_template(language_code="english"), "steps.0.templates.en"),
    (_template(category="promotion"), "steps.0.templates.en"),
    (_template(body="Hi {{1}}, enjoy {{2}} from {{5}} today."), "steps.0.templates.en"),
    (_template(body="x" * 1025), "steps.0.templates.en.body"),  # a field named "body" too
    (_template(variables=["shoe_size", "product_name", "link"]), "steps.0.templates.en"),
    (_template(footer="Bye"), "steps.0.templates.en.footer"),
    # A good change to the first step is not written either when the second is bad.
    (_steps({"offset_days": 5}, {"purpose": "upsell"}), "steps.1.purpose"),
    (lambda ids: {"steps": [{"id": ids[0]}, {"id": ids[0], "offset_days": 5}]}, "steps.1.id"),
]


@pytest.mark.parametrize(("change", "field"), BAD_CHANGES)
def test_a_bad_field_is_named_and_nothing_is_written(
    client: TestClient,
    store: Store,
    change: Callable[[list[str]], dict[str, Any]],
    field: str,
) -> None:
    before = client.get(JOURNEYS, headers=store.auth).json()
    rows = stored(store.merchant_id)
    body = {"transit_days": 7, **change(step_ids(client, store))}
    response = client.put(JOURNEYS, json=body, headers=store.auth)
    assert fields_named(response) == {field}
    assert response.json()["error"]["code"] == "invalid_input"
    assert client.get(JOURNEYS, headers=store.auth).json() == before
    assert stored(store.merchant_id) == rows


def test_every_bad_field_is_named_at_once(client: TestClient, store: Store) -> None:
    first, _ = step_ids(client, store)
    change = {
        "window_end": "08:00",
        "timezone": "Asia/Tokyo",
        "steps": [
            {"id": str(uuid.uuid4())},
            {"id": first, "purpose": "upsell", "templates": {"en": {**GOOD_TEMPLATE, "name": ""}}},
        ],
    }
    response = client.put(JOURNEYS, json=change, headers=store.auth)
    assert fields_named(response) == {
        "window_end",
        "timezone",
        "steps.0.id",
        "steps.1.purpose",
        "steps.1.templates.en",
    }


def test_another_stores_step_is_not_found_and_stays_as_it_is(
    client: TestClient, store: Store
) -> None:
    other = sign_up(client, "Other Shop", "owner@othershop.com")
    theirs = client.get(JOURNEYS, headers=other.auth).json()
    their_rows, our_rows = stored(other.merchant_id), stored(store.merchant_id)
    change = {"steps": [{"id": theirs["steps"][0]["id"], "offset_days": 30, "enabled": False}]}
    response = client.put(JOURNEYS, json=change, headers=store.auth)
    assert fields_named(response) == {"steps.0.id"}
    assert client.get(JOURNEYS, headers=other.auth).json() == theirs
    assert (stored(other.merchant_id), stored(store.merchant_id)) == (their_rows, our_rows)


def test_a_body_that_is_not_an_object_is_refused(client: TestClient, store: Store) -> None:
    response = client.put(JOURNEYS, json=["steps"], headers=store.auth)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_body"


def test_no_session_is_401_and_a_key_without_the_admin_scope_is_403(
    client: TestClient, store: Store
) -> None:
    for response in (client.get(JOURNEYS), client.put(JOURNEYS, json={"transit_days": 4})):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    orders_only = key_headers(client, store, ["orders:write"])
    for response in (
        client.get(JOURNEYS, headers=orders_only),
        client.put(JOURNEYS, json={"transit_days": 4}, headers=orders_only),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_scope"
    assert client.get(JOURNEYS, headers=store.auth).json()["transit_days"] == 3
    admin = key_headers(client, store, ["admin"])
    assert client.put(JOURNEYS, json={"transit_days": 4}, headers=admin).status_code == 200
    assert client.get(JOURNEYS, headers=admin).json()["transit_days"] == 4


def test_the_openapi_document_has_strict_journey_schemas_with_examples(
    client: TestClient,
) -> None:
    spec = client.get("/api/openapi.json").json()
    assert {"get", "put"} <= set(spec["paths"][JOURNEYS])
    schemas = spec["components"]["schemas"]
    for name in ("JourneyBody", "StepBody", "StepTemplateBody"):
        assert schemas[name]["additionalProperties"] is False
    step = schemas["StepBody"]["properties"]
    assert step["offset_days"]["anyOf"][0]["maximum"] == 365
    assert schemas["JourneyBody"]["properties"]["window_start"]["examples"] == ["09:00"]
