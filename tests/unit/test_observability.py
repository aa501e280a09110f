from __future__ import annotations

import json
import logging

import sentry_sdk

from recete_app.backend.config import Settings
from recete_app.backend.logs import JsonFormatter, RequestIdFilter, reset_request_id, set_request_id
from recete_app.backend.observability import init_sentry


def test_sentry_stays_off_without_a_dsn() -> None:
    assert init_sentry(Settings(sentry_dsn=None)) is False


def test_sentry_starts_with_a_dsn_and_sends_no_personal_data() -> None:
    try:
        assert init_sentry(Settings(sentry_dsn="https://public@o1.ingest.sentry.io/1", env="prod"))
        client = sentry_sdk.get_client()
        assert client.is_active()
        assert client.options["environment"] == "prod"
        assert not client.options.get("send_default_pii")
        assert client.options["include_local_variables"] is False  # SQL parameters, bodies
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # back to an inactive client


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.LogRecord("recete.http", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    token = set_request_id("req-abcdef12")
    try:
        RequestIdFilter().filter(record)
    finally:
        reset_request_id(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /x"
    assert line["request_id"] == "req-abcdef12"
    assert line["level"] == "info"
