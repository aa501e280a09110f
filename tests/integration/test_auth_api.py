"""Sign-up, login, logout and /me through the HTTP API, including every kind of bad input."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from recete_app.backend import db
from recete_app.backend.config import get_settings
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.models import Account
from recete_app.backend.security.tokens import SessionClaims, issue_token, read_token

GOOD = {
    "store_name": "Glow Skincare",
    "email": "owner@glowskin.com",
    "password": "correct horse battery",
}


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


def _count(table: str) -> int:
    with db.get_engine(owner=True).connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def _assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


def test_sign_up_returns_a_session_for_the_new_store(client: TestClient) -> None:
    response = client.post("/api/auth/signup", json=GOOD)
    assert response.status_code == 201
    body = response.json()
    assert body["store_name"] == "Glow Skincare" and body["email"] == "owner@glowskin.com"
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["store_name"] == "Glow Skincare"
    assert (_count("merchants"), _count("accounts"), _count("auth_sessions")) == (1, 1, 1)


def test_email_is_case_insensitive_and_trimmed(client: TestClient) -> None:
    client.post("/api/auth/signup", json={**GOOD, "email": " Owner@GlowSkin.COM "})
    response = client.post(
        "/api/auth/login", json={"email": "OWNER@glowskin.com", "password": GOOD["password"]}
    )
    assert response.status_code == 200


def test_sign_up_with_an_existing_email_is_409_and_writes_nothing(client: TestClient) -> None:
    client.post("/api/auth/signup", json=GOOD)
    error = _assert_error(
        client.post("/api/auth/signup", json={**GOOD, "store_name": "Other"}), 409, "email_taken"
    )
    assert "already exists" in error["message"]
    assert (_count("merchants"), _count("accounts")) == (1, 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "short"}, "password"),
        ({"password": "aaaaaaaaaaaaaa"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"store_name": "   "}, "store_name"),
    ],
)
def test_invalid_sign_up_names_the_field_and_writes_nothing(
    client: TestClient, change: dict[str, str], field: str
) -> None:
    error = _assert_error(
        client.post("/api/auth/signup", json={**GOOD, **change}), 422, "invalid_signup"
    )
    assert field in {problem["field"] for problem in error["details"]}
    assert _count("merchants") == 0 and _count("accounts") == 0


def test_missing_fields_are_all_listed(client: TestClient) -> None:
    error = _assert_error(
        client.post("/api/auth/signup", json={"email": "x@ymail.com"}), 422, "invalid_input"
    )
    assert {d["field"] for d in error["details"]} == {"store_name", "password"}


def test_body_that_is_not_an_object_is_422(client: TestClient) -> None:
    for body in ("[1, 2]", '"text"', "42"):
        _assert_error(
            client.post(
                "/api/auth/signup", content=body, headers={"content-type": "application/json"}
            ),
            422,
            "invalid_body",
        )
    assert _count("merchants") == 0


def test_malformed_json_is_400(client: TestClient) -> None:
    _assert_error(
        client.post(
            "/api/auth/signup",
            content='{"store_name": ',
            headers={"content-type": "application/json"},
        ),
        400,
        "malformed_json",
    )


def test_oversized_body_is_413_and_writes_nothing(client: TestClient) -> None:
    huge = {**GOOD, "store_name": "x" * 2_000_000}
    _assert_error(client.post("/api/auth/signup", json=huge), 413, "body_too_large")
    assert _count("merchants") == 0


def test_chunked_oversized_body_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"store_name": "'
        for _ in range(40):
            yield b"x" * 65_536
        yield b'"}'

    response = client.post(
        "/api/auth/signup", content=chunks(), headers={"content-type": "application/json"}
    )
    _assert_error(response, 413, "body_too_large")


def test_wrong_password_gets_a_clear_message(client: TestClient) -> None:
    client.post("/api/auth/signup", json=GOOD)
    for email, password in (
        (GOOD["email"], "wrong password!"),
        ("nobody@glowskin.com", "whatever12"),
    ):
        error = _assert_error(
            client.post("/api/auth/login", json={"email": email, "password": password}),
            401,
            "wrong_credentials",
        )
        assert error["message"] == "Wrong email or password."


def test_logout_revokes_the_session(client: TestClient) -> None:
    token = client.post("/api/auth/signup", json=GOOD).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/auth/logout", headers=auth).status_code == 204
    _assert_error(client.get("/api/auth/me", headers=auth), 401, "unauthorized")
    # A second login works and is a different session.
    again = client.post(
        "/api/auth/login", json={"email": GOOD["email"], "password": GOOD["password"]}
    ).json()["token"]
    assert (
        client.get("/api/auth/me", headers={"Authorization": f"Bearer {again}"}).status_code == 200
    )


def test_me_without_credentials_or_with_garbage_is_401(client: TestClient) -> None:
    _assert_error(client.get("/api/auth/me"), 401, "unauthorized")
    _assert_error(
        client.get("/api/auth/me", headers={"Authorization": "Bearer nonsense"}),
        401,
        "unauthorized",
    )


def test_every_response_has_a_request_id_and_keeps_a_sane_incoming_one(client: TestClient) -> None:
    assert len(client.get("/health").headers["x-request-id"]) == 32
    echoed = client.get("/health", headers={"X-Request-ID": "req-12345678"})
    assert echoed.headers["x-request-id"] == "req-12345678"
    replaced = client.get("/health", headers={"X-Request-ID": "bad id\nwith newline"})
    assert replaced.headers["x-request-id"] != "bad id\nwith newline"


def test_sign_up_records_an_audit_entry_with_the_request_id(client: TestClient) -> None:
    response = client.post("/api/auth/signup", json=GOOD, headers={"X-Request-ID": "signup-req-1"})
    assert response.status_code == 201
    with db.get_engine(owner=True).connect() as conn:
        conn.execute(
            sa.text("SELECT set_config('app.merchant_id', :m, false)"),
            {"m": response.json()["merchant_id"]},
        )
        rows = conn.execute(sa.text("SELECT action, request_id FROM audit_log ORDER BY created_at"))
        assert ("merchant.signed_up", "signup-req-1") in rows.all()


def test_unknown_route_is_a_json_404(client: TestClient) -> None:
    _assert_error(client.get("/api/nothing-here"), 404, "not_found")


def test_password_guessing_is_throttled_per_email(client: TestClient) -> None:
    client.post("/api/auth/signup", json=GOOD)  # signing up spends one attempt (its login)
    wrong = {"email": GOOD["email"], "password": "guess number x"}
    codes = [client.post("/api/auth/login", json=wrong).status_code for _ in range(9)]
    assert codes == [401] * 9
    limited = client.post("/api/auth/login", json={**wrong, "password": GOOD["password"]})
    error = _assert_error(limited, 429, "rate_limited")
    assert "Too many login attempts" in error["message"]
    assert 1 <= int(limited.headers["retry-after"]) <= 900
    other = client.post(
        "/api/auth/login", json={"email": "nobody@glowskin.com", "password": "whatever12"}
    )
    assert other.status_code == 401


def _client_at(address: str) -> TestClient:
    return TestClient(create_api(), raise_server_exceptions=False, client=(address, 40000))


def test_guessing_from_one_address_does_not_lock_the_owner_out_elsewhere() -> None:
    attacker, owner = _client_at("203.0.113.7"), _client_at("198.51.100.20")
    owner.post("/api/auth/signup", json=GOOD)
    wrong = {"email": GOOD["email"], "password": "guess number x"}
    codes = [attacker.post("/api/auth/login", json=wrong).status_code for _ in range(12)]
    assert codes == [401] * 10 + [429] * 2
    right = {"email": GOOD["email"], "password": GOOD["password"]}
    _assert_error(attacker.post("/api/auth/login", json=right), 429, "rate_limited")
    assert owner.post("/api/auth/login", json=right).status_code == 200


@pytest.fixture()
def login_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """3 attempts per email and address, 5 per email from anywhere (per 15 minutes)."""
    monkeypatch.setenv("RECETE_RATE_LIMIT_LOGIN_PER_EMAIL", "3")
    monkeypatch.setenv("RECETE_RATE_LIMIT_LOGIN_PER_EMAIL_ANY_ADDRESS", "5")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.usefixtures("login_limits")
def test_an_email_has_a_wider_budget_across_all_addresses() -> None:
    _client_at("198.51.100.20").post("/api/auth/signup", json=GOOD)  # 1 of the 5
    wrong = {"email": GOOD["email"], "password": "guess number x"}
    # Attempts an address is already refused do not spend the email's wider budget.
    codes = [_client_at("203.0.113.1").post("/api/auth/login", json=wrong) for _ in range(9)]
    assert [r.status_code for r in codes] == [401] * 3 + [429] * 6
    assert _client_at("203.0.113.2").post("/api/auth/login", json=wrong).status_code == 401
    right = {"email": GOOD["email"], "password": GOOD["password"]}
    limited = _client_at("198.51.100.20").post("/api/auth/login", json=right)
    assert "Too many login attempts" in _assert_error(limited, 429, "rate_limited")["message"]


def test_a_token_naming_another_account_or_merchant_of_its_session_is_refused(
    client: TestClient,
) -> None:
    owner = client.post("/api/auth/signup", json=GOOD).json()
    session = read_token(owner["token"])
    merchant_id = uuid.UUID(owner["merchant_id"])
    with session_scope(merchant_id) as db_session:
        colleague = Account(
            merchant_id=merchant_id, email="staff@glowskin.com", role="staff", password_hash="x"
        )
        db_session.add(colleague)
    other = client.post(
        "/api/auth/signup", json={**GOOD, "email": "other@shop.example", "store_name": "Other"}
    ).json()
    for account_id, mid in (
        (colleague.id, merchant_id),
        (uuid.UUID(other["account_id"]), uuid.UUID(other["merchant_id"])),
        (session.account_id, uuid.UUID(other["merchant_id"])),
    ):
        forged = issue_token(SessionClaims(session.session_id, account_id, mid, session.expires_at))
        me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
        _assert_error(me, 401, "unauthorized")
    honest = client.get("/api/auth/me", headers={"Authorization": f"Bearer {owner['token']}"})
    assert honest.json()["account_id"] == owner["account_id"]
