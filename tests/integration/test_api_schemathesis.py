"""Schemathesis drives the running API (uvicorn on a local port) from its own OpenAPI document:
for every operation, generated requests, valid and invalid, signed in with a store's admin key.
No response may be a 5xx, and every response must match the schema the document gives for its
status (the routes' own models, and the one error shape for any 4xx)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from recete_app.backend.accounts.api_keys import issue_key
from recete_app.backend.accounts.scopes import ADMIN, ORDERS_WRITE
from recete_app.backend.accounts.signup import sign_up
from recete_app.backend.config import Settings, get_settings
from recete_app.backend.http.app import create_api
from tests.support import free_port

# Enough to reach past the first refusal of each body and parameter, small enough that the
# whole document runs in about a minute on two cores.
EXAMPLES_PER_OPERATION = 25


def _unlimited(base: Settings) -> Settings:
    """Generated traffic would trip the per-IP and per-key limits and see nothing but 429s."""
    return base.model_copy(
        update={
            "rate_limit_ip_per_minute": 1_000_000,
            "rate_limit_api_key_per_hour": 1_000_000,
            "rate_limit_merchant_per_hour": 1_000_000,
            "rate_limit_login_per_email": 1_000_000,
            "rate_limit_login_per_email_any_address": 1_000_000,
        }
    )


@pytest.fixture(scope="module")
def shopify_app() -> Iterator[None]:
    """Installed as a Shopify app, as a store-facing deployment is (without one, its OAuth
    routes say 503 shopify_not_configured: the operator's to fix, not the caller's)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECETE_SHOPIFY_API_KEY", "fuzz-app-key")
        patch.setenv("RECETE_SHOPIFY_API_SECRET", "fuzz-app-secret")
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def running_api(database_url: str, shopify_app: None) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_api(_unlimited(get_settings())),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API did not start under uvicorn")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def admin_key() -> dict[str, str]:
    """A store of its own for each operation (tables are emptied between tests)."""
    store = sign_up("Fuzz Cosmetics", "owner@fuzzcosmetics.com", "correct horse battery")
    created = issue_key(store.merchant_id, "test", "schemathesis", None, [ADMIN, ORDERS_WRITE])
    return {"X-Api-Key": created.key}


# The document the running API serves at /api/openapi.json (read here, at collection, so that
# each operation is a test of its own).
schema = schemathesis.openapi.from_dict(create_api().openapi())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_answers_with_a_5xx_or_off_its_schema(
    case: Any, running_api: str, admin_key: dict[str, str]
) -> None:
    case.call_and_validate(
        base_url=running_api,
        headers=admin_key,
        checks=[not_a_server_error, response_schema_conformance],
    )
