"""/api/order-imports: an order file (Shopify's order export or Recete's generic CSV template)
sent as multipart form data becomes a background import, the same one the dashboard's upload
starts; its progress and row report are read back by id. An order with any bad row is left out
whole and reported; sending the fixed file again adds it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel

from recete_app.backend.commerce import order_imports
from recete_app.backend.config import get_settings
from recete_app.backend.errors import InvalidInput
from recete_app.backend.http.auth import AdminCaller
from recete_app.backend.http.openapi import IdempotencyHeader
from recete_app.backend.models import OrderImport

router = APIRouter(prefix="/api/order-imports", tags=["orders"])


class RowProblemView(BaseModel):
    row: int  # as a spreadsheet numbers it: the header is row 1
    order: str  # the order reference on that row, left out of the import ("" if none)
    field: str  # the column
    problem: str


class OrderImportView(BaseModel):
    id: uuid.UUID
    filename: str
    format: str  # shopify_export or generic
    status: str  # queued, running, done, failed
    size_bytes: int
    rows_read: int
    orders_imported: int
    orders_skipped: int
    problem_count: int  # all of them; `problems` lists the first 1,000
    problems: list[RowProblemView]
    error: str | None  # why a failed import could not be read
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": "6f0b6c1e-3a52-4a8e-9a8e-0c6a4d1f2b77",
                    "filename": "orders_export.csv",
                    "format": "shopify_export",
                    "status": "done",
                    "size_bytes": 18233,
                    "rows_read": 8,
                    "orders_imported": 3,
                    "orders_skipped": 2,
                    "problem_count": 1,
                    "problems": [
                        {
                            "row": 7,
                            "order": "#1004",
                            "field": "lineitem quantity",
                            "problem": "not a whole number: 'two'",
                        }
                    ],
                    "error": None,
                    "created_at": "2026-12-07T10:00:00Z",
                    "started_at": "2026-12-07T10:00:01Z",
                    "finished_at": "2026-12-07T10:00:02Z",
                }
            ]
        }
    }


def _problem(problem: dict[str, Any]) -> RowProblemView:
    return RowProblemView(
        row=int(problem.get("row", 0)),
        order=str(problem.get("order", "")),
        field=str(problem.get("field", "")),
        problem=str(problem.get("problem", "")),
    )


def import_view(job: OrderImport) -> OrderImportView:
    return OrderImportView(
        id=job.id,
        filename=job.filename,
        format=job.format,
        status=job.status,
        size_bytes=job.size_bytes,
        rows_read=job.rows_read,
        orders_imported=job.orders_imported,
        orders_skipped=job.orders_skipped,
        problem_count=job.problem_count,
        problems=[_problem(p) for p in job.problems],
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@router.post("", status_code=202)
def start_order_import(
    caller: AdminCaller,
    file: Annotated[UploadFile, File(description="The CSV file, UTF-8.")],
    idempotency_key: IdempotencyHeader = None,
) -> OrderImportView:
    """Queue the import of an order file; follow it at GET /api/order-imports/{id}. A file
    that can never be imported (not UTF-8, empty, unknown columns, too large) is a 422 and
    nothing is stored."""
    try:
        import_id = order_imports.start_import(
            caller.merchant_id,
            caller.actor,
            file.filename or "orders.csv",
            file.file,
            get_settings().max_upload_bytes,
            idempotency_key,
        )
    except InvalidInput as exc:
        if exc.details is None:  # the file itself is the bad field
            exc.details = [{"field": "file", "message": exc.message}]
        raise
    return import_view(order_imports.read_import(caller.merchant_id, import_id))


@router.get("/{import_id}")
def read_order_import(caller: AdminCaller, import_id: uuid.UUID) -> OrderImportView:
    """An import's progress and, once done, the report of each row left out."""
    return import_view(order_imports.read_import(caller.merchant_id, import_id))
