"""Order CSV import: Shopify's export and the generic template, with a per-row report."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from recete_app.backend.accounts.signup import sign_up
from recete_app.backend.commerce.csv_import import import_orders_csv
from recete_app.backend.errors import InvalidInput
from recete_app.cli import main
from tests.support import FIXTURES, owner_sql

SHOPIFY_EXPORT = FIXTURES / "csv" / "shopify_orders_export.csv"
GENERIC = FIXTURES / "csv" / "generic_orders.csv"


@pytest.fixture()
def merchant_id() -> uuid.UUID:
    return sign_up("Lale Kozmetik", "csv@lalekozmetik.com", "correct horse battery").merchant_id


def run_import(merchant_id: uuid.UUID, path: Path):  # type: ignore[no-untyped-def]
    with path.open(encoding="utf-8", newline="") as handle:
        return import_orders_csv(merchant_id, handle, "test")


def counts() -> dict[str, object]:
    tables = ("orders", "order_items", "customers", "consent_events", "domain_events")
    return {t: owner_sql(f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def fixed_export(tmp_path: Path) -> Path:
    """The export after the merchant fixed #1004's phone and its second item's quantity."""
    text = SHOPIFY_EXPORT.read_text(encoding="utf-8")
    fixed = text.replace(",12345,", ",+90 544 987 65 43,").replace(",two,", ",2,")
    assert fixed.count("\n") == text.count("\n") and fixed != text
    path = tmp_path / "orders_fixed.csv"
    path.write_text(fixed, encoding="utf-8", newline="")
    return path


def test_shopify_export_imports_good_orders_and_reports_bad_rows(merchant_id: uuid.UUID) -> None:
    report = run_import(merchant_id, SHOPIFY_EXPORT)
    assert report.format == "shopify_export"
    assert (report.rows, report.orders_imported, report.orders_skipped) == (8, 3, 2)
    problems = {(p.row, p.order, p.field) for p in report.problems}
    assert problems == {
        (5, "#1003", "created at"),  # "yesterday at noon"
        (6, "#1004", "billing phone"),  # "12345"
        (7, "#1004", "lineitem quantity"),  # second item: "two"
        (9, "", "name"),  # a row that names no order
    }
    orders = owner_sql("SELECT name, source, external_id FROM orders ORDER BY name")
    assert orders == [
        ("#1001", "shopify", "5829348245001"),
        ("#1002", "shopify", "5829348245002"),
        ("#1005", "shopify", "5829348245005"),
    ]


def test_the_report_never_repeats_a_phone_number_it_refused(merchant_id: uuid.UUID) -> None:
    """The report is kept with the import (in plain text, beyond any erasure), so it names the
    row and column of a bad phone, never the number."""
    report = run_import(merchant_id, SHOPIFY_EXPORT)
    [refused] = [p for p in report.problems if p.field == "billing phone"]
    assert refused.problem == "not a valid phone number (check its digits and country code)"
    assert "12345" not in str(report.problems)


def test_an_order_with_any_rejected_row_is_not_imported_until_the_file_is_fixed(
    merchant_id: uuid.UUID, tmp_path: Path
) -> None:
    # #1004's first row has a bad phone and its second a bad quantity: importing the good rows
    # alone would store an order with one of its two items, which no later import corrects.
    run_import(merchant_id, SHOPIFY_EXPORT)
    assert owner_sql("SELECT count(*) FROM orders WHERE name = '#1004'") == [(0,)]
    assert owner_sql("SELECT count(*) FROM customers") == [(3,)]

    report = run_import(merchant_id, fixed_export(tmp_path))

    assert {(p.row, p.order) for p in report.problems} == {(5, "#1003"), (9, "")}
    items = owner_sql(
        "SELECT i.sku, i.quantity FROM order_items i JOIN orders o ON o.id = i.order_id "
        "WHERE o.name = '#1004' ORDER BY i.sku"
    )
    assert items == [("LK-CLAY", 2), ("LK-VITC", 1)]


def test_an_order_whose_only_item_row_is_rejected_is_not_imported_as_an_empty_order(
    merchant_id: uuid.UUID,
) -> None:
    header = GENERIC.read_text(encoding="utf-8").splitlines()[0]
    row = (
        "W-200,#W200,2026-11-01T10:00:00+03:00,,,,TRY,349.00,CU-9,Deniz,Arslan,+905551112299,"
        "TR,,yes,1,Hyaluronic Toner,HT-200,{quantity},349.00"
    )
    report = import_orders_csv(merchant_id, [header, row.format(quantity="a few")], "test")
    assert (report.orders_imported, report.orders_skipped) == (0, 1)
    assert [(p.row, p.order, p.field) for p in report.problems] == [(2, "W-200", "item_quantity")]
    assert counts()["orders"] == 0 and counts()["customers"] == 0

    again = import_orders_csv(merchant_id, [header, row.format(quantity="3")], "test")
    assert (again.orders_imported, again.problems) == (1, [])
    assert owner_sql("SELECT quantity FROM order_items") == [(3,)]


def test_shopify_export_fields_land_where_they_belong(
    merchant_id: uuid.UUID, tmp_path: Path
) -> None:
    run_import(merchant_id, fixed_export(tmp_path))
    first = owner_sql(
        "SELECT o.fulfilled_at, o.delivered_at, o.delivery_estimated, c.first_name,"
        " c.last_name, c.consent_state FROM orders o JOIN customers c "
        "ON c.id = o.customer_id WHERE o.name = '#1001'"
    )
    fulfilled_at, delivered_at, estimated, first_name, last_name, consent = first[0]
    assert str(fulfilled_at) == "2026-11-02 06:30:00+00:00"
    assert str(delivered_at) == "2026-11-05 06:30:00+00:00" and estimated is True
    assert (first_name, last_name, consent) == ("Ayşe", "Yılmaz", "opted_in")
    items = owner_sql(
        "SELECT i.sku, i.quantity FROM order_items i JOIN orders o ON o.id = "
        "i.order_id WHERE o.name = '#1001' ORDER BY i.sku"
    )
    assert items == [("LK-CER-50", 1), ("LK-NIA-30", 1)]
    assert owner_sql("SELECT count(*) FROM customers WHERE phone_index IS NOT NULL") == [(4,)]
    cancelled = owner_sql(
        "SELECT cancelled_at IS NOT NULL, refunded_at IS NOT NULL, "
        "(SELECT count(*) FROM order_items i WHERE i.order_id = o.id) "
        "FROM orders o WHERE name = '#1004'"
    )
    assert cancelled == [(True, True, 2)]
    gift = owner_sql(
        "SELECT fulfilled_at IS NOT NULL, delivered_at FROM orders WHERE name = '#1005'"
    )
    assert gift == [(True, None)]


def test_importing_the_same_file_again_changes_nothing(merchant_id: uuid.UUID) -> None:
    run_import(merchant_id, SHOPIFY_EXPORT)
    before = counts()
    snapshot = owner_sql("SELECT * FROM orders ORDER BY id")
    again = run_import(merchant_id, SHOPIFY_EXPORT)
    assert again.orders_imported == 3
    assert counts() == before
    assert owner_sql("SELECT * FROM orders ORDER BY id") == snapshot


def test_generic_template_imports_with_its_own_columns(merchant_id: uuid.UUID) -> None:
    report = run_import(merchant_id, GENERIC)
    assert report.format == "generic"
    assert (report.orders_imported, report.orders_skipped) == (1, 1)
    assert [(p.row, p.order, p.field) for p in report.problems] == [(4, "W-101", "placed_at")]
    order = owner_sql(
        "SELECT name, delivered_at, delivery_estimated FROM orders WHERE external_id = 'W-100'"
    )
    assert order[0][0] == "#W100" and str(order[0][1]) == "2026-11-04 12:00:00+00:00"
    assert order[0][2] is False
    assert owner_sql("SELECT count(*) FROM order_items") == [(2,)]
    states = owner_sql("SELECT first_name, consent_state FROM customers ORDER BY first_name")
    assert states == [("Deniz", "opted_in")]


def test_unrecognised_or_empty_files_are_refused_with_a_reason(merchant_id: uuid.UUID) -> None:
    with pytest.raises(InvalidInput, match="Unrecognised columns"):
        import_orders_csv(merchant_id, iter(["foo,bar\n", "1,2\n"]), "test")
    with pytest.raises(InvalidInput, match="empty"):
        import_orders_csv(merchant_id, iter([]), "test")
    assert counts()["orders"] == 0


def test_import_orders_command_prints_the_report(
    merchant_id: uuid.UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-orders", "--merchant", "csv@lalekozmetik.com", str(SHOPIFY_EXPORT)]) == 0
    out = capsys.readouterr().out
    assert "3 order(s) imported, 2 skipped, 8 row(s) read (shopify_export)" in out
    assert "row 5 (order #1003 not imported), created at: not a date: 'yesterday at noon'" in out


def test_a_webhook_snapshot_replaces_csv_stand_in_items_and_a_later_csv_only_fills_gaps(
    merchant_id: uuid.UUID,
) -> None:
    from recete_app.backend.commerce.orders import apply_order_event
    from recete_app.backend.commerce.shopify import normalize
    from recete_app.backend.db import session_scope
    from tests.support import fixture_json

    def items() -> set[object]:
        rows = owner_sql(
            "SELECT i.external_id FROM order_items i JOIN orders o ON o.id = i.order_id "
            "WHERE o.name = '#1001'"
        )
        return {row[0] for row in rows}

    run_import(merchant_id, SHOPIFY_EXPORT)
    assert items() == {"csv:1", "csv:2"}
    payload = fixture_json("shopify", "orders_create.json")
    payload.update(
        id=5829348245001,
        name="#1001",
        financial_status="partially_refunded",
        updated_at="2026-11-05T10:00:00+03:00",
    )
    with session_scope(merchant_id) as session:
        apply_order_event(session, normalize.order_event(payload))
    real = {str(item["id"]) for item in payload["line_items"]}
    assert items() == real

    run_import(merchant_id, SHOPIFY_EXPORT)  # an older export: fills gaps, overwrites nothing
    assert items() == real
    status = owner_sql("SELECT financial_status FROM orders WHERE name = '#1001'")
    assert status == [("partially_refunded",)]
