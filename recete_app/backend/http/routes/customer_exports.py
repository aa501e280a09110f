"""/api/customer-exports: customers' exports too large to make inside a request. A worker makes
each one (GET /api/customers/{id}/export answers 202 with it); it can be downloaded, as often as
needed, for 7 days. Another merchant's export is simply not found."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from recete_app.backend.http.auth import AdminCaller
from recete_app.backend.services import customer_exports
from recete_app.backend.services.customer_exports import PreparedExport

router = APIRouter(prefix="/api/customer-exports", tags=["customers"])
PREFIX = "/api/customer-exports"


class PreparedExportView(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    status: str  # queued, running, done, failed
    size_bytes: int  # of the document, once done
    error: str | None  # why it failed
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None  # once done: downloadable until then
    url: str  # this export's status
    download_url: str | None  # once done: the document


class PreparedExportsView(BaseModel):
    exports: list[PreparedExportView]


def prepared_view(export: PreparedExport) -> PreparedExportView:
    url = f"{PREFIX}/{export.id}"
    ready = export.status == "done"
    return PreparedExportView(
        **vars(export), url=url, download_url=f"{url}/download" if ready else None
    )


@router.get("")
def list_exports(caller: AdminCaller, customer_id: uuid.UUID) -> PreparedExportsView:
    """The customer's prepared exports, newest first (the last 20 of the past 7 days)."""
    exports = customer_exports.list_exports(caller.merchant_id, customer_id)
    return PreparedExportsView(exports=[prepared_view(export) for export in exports])


@router.get("/{export_id}")
def read_export(caller: AdminCaller, export_id: uuid.UUID) -> PreparedExportView:
    """How far the export has got: queued, running, done (download it) or failed."""
    return prepared_view(customer_exports.read_export(caller.merchant_id, export_id))


@router.get(
    "/{export_id}/download",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "The export."}},
)
def download_export(caller: AdminCaller, export_id: uuid.UUID) -> Response:
    """The export's JSON document (as GET /api/customers/{id}/export sends a small one), as a
    file. 409 `export_not_ready` until it is done. Each download is audited."""
    customer_id, text = customer_exports.download_export(caller, export_id)
    return Response(
        text,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="customer-{customer_id}.json"'},
    )
