"""The Customers page's handlers against the real database: search, open a customer with their
timeline, record consent (a reason is required), export (audited) and erase (only once the
confirmation typed matches). Every action goes through `services/customer_privacy`, off the
event loop."""

from __future__ import annotations

import base64
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recete_app.backend import audit
from recete_app.backend.accounts.sessions import Principal, authenticate_session, log_in
from recete_app.backend.services import customer_exports
from recete_app.backend.services.sandbox import write_as_customer
from recete_app.state import customer_rows, customers
from recete_app.state.customers import CustomersState
from tests.integration.dashboard_fixtures import run_handler, signed_in_page
from tests.integration.journey_fixtures import deliver, new_merchant
from tests.support import owner_sql

EMAIL = "owner@dashboard-customers.com"
AYSE, MEHMET = "+905321234567", "+905339876543"


@pytest.fixture()
def person() -> Principal:
    new_merchant(EMAIL)
    return authenticate_session(log_in(EMAIL, "correct horse battery").token)


def _customer(merchant_id: uuid.UUID, phone: str, order: str, name: str) -> str:
    """A customer with a delivered order, a planned journey and a conversation."""
    ref = f"c-{order}"
    deliver(
        merchant_id,
        datetime.now(UTC) - timedelta(days=1),
        order=order,
        phone=phone,
        first_name=name,
        customer=ref,
    )
    write_as_customer(merchant_id, phone, "How do I use the toner?")
    return str(owner_sql("SELECT id FROM customers WHERE external_id = :r", r=ref)[0][0])


@pytest.fixture()
def ayse(person: Principal) -> str:
    return _customer(person.merchant_id, AYSE, "1001", "Ayşe")


@pytest.fixture()
def mehmet(person: Principal, ayse: str) -> str:
    return _customer(person.merchant_id, MEHMET, "1002", "Mehmet")


@pytest.fixture()
def page(monkeypatch: pytest.MonkeyPatch, person: Principal) -> CustomersState:
    """The page as a signed-in owner sees it (the session lookup is the only thing skipped)."""
    shown = signed_in_page(monkeypatch, customers, CustomersState, person)
    run_handler(CustomersState.load, shown)
    return shown


def _plain(handler: Any, state: CustomersState, *args: object) -> None:
    """A handler that is a plain function, not a coroutine (`run_handler` runs those)."""
    handler.fn(state, *args)


def _opened(page: CustomersState, customer_id: str) -> CustomersState:
    """The page opened again (its list read afresh), then the customer."""
    run_handler(CustomersState.load, page)
    run_handler(CustomersState.open_customer, page, customer_id)
    assert page.error == ""
    return page


def test_customers_are_searched_by_name_or_part_of_a_phone_and_paged(
    page: CustomersState, ayse: str, mehmet: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_handler(CustomersState.set_search, page, "")
    assert [r.name for r in page.rows] == ["Mehmet", "Ayşe"]  # newest first
    run_handler(CustomersState.set_search, page, "987 65")
    assert [(r.id, r.phone, r.orders) for r in page.rows] == [(mehmet, "+90 533 *** 65 43", 1)]
    run_handler(CustomersState.set_search, page, "ayşe")
    assert [(r.id, r.consent_label) for r in page.rows] == [(ayse, "Opted in")]

    monkeypatch.setattr(customer_rows, "PAGE_SIZE", 1)
    run_handler(CustomersState.set_search, page, "")
    assert ([r.id for r in page.rows], page.next_cursor != "") == ([mehmet], True)
    run_handler(CustomersState.more, page)
    assert ([r.id for r in page.rows], page.next_cursor) == ([mehmet, ayse], "")


def test_an_open_customer_shows_their_profile_and_timeline(page: CustomersState, ayse: str) -> None:
    _opened(page, ayse)
    assert (page.selected.name, page.selected.phone) == ("Ayşe", AYSE)
    assert page.selected.consent_label == "Opted in"
    titles = [e.title for e in page.timeline]
    assert "Order #1001 delivered" in titles and "Order #1001 placed" in titles
    assert "Message in" in titles and "Opted in" in titles
    assert any(t.startswith("Journey message") for t in titles)
    assert titles.index("Order #1001 delivered") < titles.index("Order #1001 placed")

    run_handler(CustomersState.open_customer, page, str(uuid.uuid4()))
    assert (page.error, page.selected.id) == ("That customer no longer exists.", "")


def test_consent_needs_a_reason_and_is_then_recorded_with_it(
    page: CustomersState, ayse: str
) -> None:
    _opened(page, ayse)
    run_handler(CustomersState.record_consent, page, {"state": "opted_out", "reason": " "})
    assert page.error == 'Give a reason, e.g. "asked by phone to stop messages".'
    run_handler(CustomersState.record_consent, page, {"reason": "asked by phone"})
    assert page.error == "Choose whether the customer opted in or opted out."
    assert owner_sql("SELECT consent_state FROM customers WHERE id = :c", c=ayse) == [("opted_in",)]

    form = {"state": "opted_out", "reason": "asked by phone"}
    run_handler(CustomersState.record_consent, page, form)
    assert (page.error, page.notice) == ("", "Recorded: opted out.")
    assert page.selected.consent_label == "Opted out"
    assert [r.consent for r in page.rows] == ["opted_out"]
    # Planned journey messages are later still: the newest consent change is the first one.
    newest = next(e for e in page.timeline if e.kind == "consent")
    assert (newest.title, newest.detail) == (
        "Opted out",
        "Recorded by hand in Recete · reason: asked by phone",
    )


def test_erasing_is_refused_until_the_confirmation_matches_then_the_customer_is_gone(
    page: CustomersState, ayse: str, mehmet: str
) -> None:
    _opened(page, ayse)
    _plain(CustomersState.open_erase, page)
    for typed in ("", "erase", "4567", MEHMET):
        run_handler(CustomersState.erase, page, {"confirmation": typed})
        assert page.error.startswith("To erase this customer, type their phone number")
    assert owner_sql("SELECT count(*) FROM customers WHERE id = :c", c=ayse) == [(1,)]
    assert owner_sql("SELECT count(*) FROM audit_log WHERE action = 'customer.erased'") == [(0,)]

    run_handler(CustomersState.erase, page, {"confirmation": AYSE})
    assert page.error == ""
    assert page.notice.startswith("Erased Ayşe: their messages, conversations")
    assert (page.selected.id, page.erase_open, [r.id for r in page.rows]) == ("", False, [mehmet])
    assert owner_sql("SELECT count(*) FROM customers WHERE id = :c", c=ayse) == [(0,)]
    assert owner_sql("SELECT count(*) FROM customers WHERE id = :c", c=mehmet) == [(1,)]


def test_the_word_erase_confirms_too(page: CustomersState, ayse: str) -> None:
    _opened(page, ayse)
    _plain(CustomersState.set_erase_typed, page, "ERASE")
    assert page.erase_ready
    run_handler(CustomersState.erase, page, {"confirmation": "ERASE"})
    assert page.rows == [] and page.notice.startswith("Erased Ayşe")


def _downloaded(event: Any) -> tuple[str, str]:
    """The filename and the text of an `rx.download` event (a data: URL)."""
    args = {str(name).strip('"'): str(value).strip('"') for name, value in event.args}
    url = args["url"]
    assert url.startswith("data:application/json;base64,")
    text = base64.b64decode(url.split(",", 1)[1]).decode()
    return args["filename"], text


def test_an_export_downloads_the_document_and_is_audited(page: CustomersState, ayse: str) -> None:
    _opened(page, ayse)
    event = run_handler(CustomersState.export, page)
    filename, text = _downloaded(event)
    assert filename == f"customer-{ayse}.json"
    assert AYSE in text and '"recete.customer_export.v1"' in text
    assert page.notice == "Exported. The export is recorded in the audit log."
    audited = owner_sql("SELECT target FROM audit_log WHERE action = 'customer.exported'")
    assert audited == [(ayse,)]


def test_a_large_export_is_prepared_in_the_background_then_downloaded(
    page: CustomersState, person: Principal, ayse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customer_exports, "get_settings", lambda: _inline_up_to(1))
    _opened(page, ayse)
    started = run_handler(CustomersState.export, page)
    assert started == CustomersState.watch_exports  # refreshes the list until it is ready
    assert page.notice == customers.QUEUED
    assert [(row.status, row.label) for row in page.exports] == [("queued", "Waiting")]

    assert customer_exports.make_export(person.merchant_id, uuid.UUID(page.exports[0].id))
    _opened(page, ayse)
    [ready] = page.exports
    assert ready.label == "Ready" and "can be downloaded until" in ready.detail
    filename, text = _downloaded(run_handler(CustomersState.download_export, page, ready.id))
    assert filename == f"customer-{ayse}.json" and AYSE in text
    audited = owner_sql(
        "SELECT action FROM audit_log WHERE target = :c AND action LIKE 'customer.export%'"
        " ORDER BY created_at",
        c=ayse,
    )
    assert [a for (a,) in audited] == [
        "customer.exported",
        "customer.export_downloaded",
    ]


def _inline_up_to(rows: int) -> Any:
    from recete_app.backend.config import get_settings

    return get_settings().model_copy(update={"export_inline_max_rows": rows})


def test_the_page_works_off_the_event_loop(
    page: CustomersState, ayse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event loop serves every open tab: a handler waiting on the database holds them all."""
    recorded = audit.record
    writers: list[threading.Thread] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        writers.append(threading.current_thread())
        return recorded(*args, **kwargs)

    monkeypatch.setattr(audit, "record", watched)
    _opened(page, ayse)
    run_handler(CustomersState.export, page)
    run_handler(CustomersState.record_consent, page, {"state": "opted_out", "reason": "asked"})
    run_handler(CustomersState.erase, page, {"confirmation": AYSE})
    assert len(writers) == 3 and threading.main_thread() not in writers
