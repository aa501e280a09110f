"""How the Customers page shows a prepared export: its state in words, its size, and until when
it can be downloaded (or why it failed)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from recete_app.backend.services.customer_exports import KEPT_FOR, PreparedExport
from recete_app.state.customer_rows import _export_row

ASKED = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def _export(status: str, size_bytes: int = 0, error: str | None = None) -> PreparedExport:
    done = status == "done"
    return PreparedExport(
        id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        status=status,
        size_bytes=size_bytes,
        error=error,
        created_at=ASKED,
        finished_at=ASKED + timedelta(seconds=4) if done else None,
        expires_at=ASKED + KEPT_FOR if done else None,
    )


def test_a_ready_export_shows_its_size_and_until_when_it_can_be_downloaded() -> None:
    small, large = _export_row(_export("done", 900)), _export_row(_export("done", 3_500_000))
    assert small.label == "Ready" and small.requested == "2026-12-07 09:30 UTC"
    assert small.detail == "1 KB, can be downloaded until 2026-12-14 09:30 UTC"
    assert large.detail.startswith("3.3 MB,")


def test_an_export_in_the_making_says_it_will_appear_when_made() -> None:
    assert _export_row(_export("queued")).label == "Waiting"
    running = _export_row(_export("running"))
    assert running.label == "Being prepared" and "when the worker has made it" in running.detail


def test_a_failed_export_says_why() -> None:
    failed = _export_row(_export("failed", error="The export could not be made: boom"))
    assert (failed.label, failed.detail) == ("Failed", "The export could not be made: boom")
