"""`recete customer export|erase|consent`: the same services as the dashboard and the API,
naming the customer by their whole phone number; erasing asks for the number again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recete_app.cli import main
from tests.integration.journey_fixtures import PHONE, deliver, new_merchant
from tests.support import owner_sql

OWNER = "owner@lalekozmetik.com"


@pytest.fixture(autouse=True)
def customer() -> None:
    deliver(new_merchant(OWNER), datetime.now(UTC) - timedelta(days=1))


def test_export_writes_the_customers_document_and_is_audited(tmp_path: Path) -> None:
    out = tmp_path / "ayse.json"
    assert main(["customer", "export", "--merchant", OWNER, "--phone", PHONE, "-o", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["customer"]["phone"] == PHONE
    assert [o["name"] for o in document["orders"]] == ["#1001"]
    assert owner_sql("SELECT actor FROM audit_log WHERE action = 'customer.exported'") != []


def test_erase_needs_the_number_again_then_erases_once(capsys: pytest.CaptureFixture[str]) -> None:
    erase = ["customer", "erase", "--merchant", OWNER, "--phone", PHONE]
    assert main([*erase, "--confirm", "+900000000000"]) == 1
    assert owner_sql("SELECT count(*) FROM customers") == [(1,)]

    assert main([*erase, "--confirm", PHONE]) == 0
    assert "orders kept anonymous" in capsys.readouterr().out
    assert owner_sql("SELECT count(*) FROM customers") == [(0,)]
    assert owner_sql("SELECT customer_id FROM orders") == [(None,)]
    assert main([*erase, "--confirm", PHONE]) == 1  # no such customer now
    assert "No customer has this phone number" in capsys.readouterr().err


def test_consent_by_hand_needs_a_reason_and_is_logged() -> None:
    base = ["customer", "consent", "--merchant", OWNER, "--phone", PHONE, "opted_out"]
    assert main([*base, "--reason", "called the shop"]) == 0
    assert owner_sql("SELECT consent_state FROM customers") == [("opted_out",)]
    logged = owner_sql("SELECT details->>'reason' FROM consent_events WHERE state = 'opted_out'")
    assert logged == [("called the shop",)]
    assert main([*base, "--reason", "   "]) == 1
