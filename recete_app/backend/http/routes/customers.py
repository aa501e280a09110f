"""/api/customers: the merchant's customers and their rights (KVKK and GDPR alike). A page of
customers (a name, an email, a phone number or part of one), one customer's whole record, the export
(everything held about them, as one JSON document), erasure for good, and their consent, read
and recorded by hand with a reason. Another merchant's customer is simply not found."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from recete_app.backend.http.auth import AdminCaller
from recete_app.backend.http.routes.customer_exports import PreparedExportView, prepared_view
from recete_app.backend.services import customer_exports, customer_privacy

router = APIRouter(prefix="/api/customers", tags=["customers"])
Caller = AdminCaller


class CustomerSummaryView(BaseModel):
    id: uuid.UUID
    name: str
    phone: str  # masked, e.g. +90 532 *** 45 67
    consent_state: str  # unknown, opted_in, opted_out
    source: str | None  # shopify, woocommerce, api, csv, whatsapp, ...
    orders: int
    created_at: datetime


class CustomerPageView(BaseModel):
    customers: list[CustomerSummaryView]
    next_cursor: str | None  # pass as `cursor` for the next page; null on the last page


class ProfileView(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    phone: str | None
    email: str | None
    language: str | None
    timezone: str | None
    source: str | None
    store_customer_id: str | None
    consent_state: str
    consent_updated_at: datetime | None
    journeys_paused_at: datetime | None
    journeys_paused_reason: str | None
    created_at: datetime


class ConsentChangeView(BaseModel):
    state: str
    channel: str
    source: str  # e.g. shopify:sms_marketing_consent, whatsapp:stop, merchant:account:<id>
    recorded_at: datetime
    details: dict[str, Any]  # a person's change carries its reason


class ItemView(BaseModel):
    title: str
    sku: str | None
    quantity: int


class OrderView(BaseModel):
    name: str | None
    source: str
    store_order_id: str | None
    placed_at: datetime | None
    fulfilled_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    refunded_at: datetime | None
    total: str | None
    currency: str | None
    items: list[ItemView]


class MessageView(BaseModel):
    direction: str  # inbound, outbound
    author: str  # customer, ai, human, system
    kind: str
    body: str
    status: str
    created_at: datetime


class ConversationView(BaseModel):
    status: str
    created_at: datetime
    messages: list[MessageView]


class ScheduledView(BaseModel):
    kind: str  # journey_step, text_reply, ...
    status: str  # scheduled, sent, skipped, cancelled, failed, ...
    due_at: datetime
    sent_at: datetime | None
    reason: str | None  # why it was skipped or failed


class AuditView(BaseModel):
    action: str
    actor: str
    at: datetime
    details: dict[str, Any]


class CustomerRecordView(BaseModel):
    format: str  # recete.customer_export.v1
    customer: ProfileView
    consent_log: list[ConsentChangeView]
    orders: list[OrderView]
    conversations: list[ConversationView]
    scheduled_messages: list[ScheduledView]
    audit: list[AuditView]


class ExportView(CustomerRecordView):
    exported_at: datetime


class ErasedView(BaseModel):
    id: uuid.UUID
    erased: bool
    webhook_bodies_erased: int  # stored store/Meta bodies that named them, blanked


class ConsentView(BaseModel):
    state: str
    updated_at: datetime | None
    log: list[ConsentChangeView]


class ConsentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["opted_in", "opted_out"]
    reason: str = Field(
        min_length=1, max_length=customer_privacy.MAX_REASON, examples=["Asked by phone"]
    )


@router.get("")
def list_customers(
    caller: Caller,
    q: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=customer_privacy.MAX_PAGE)] = 50,
) -> CustomerPageView:
    """Customers newest first; `q` is a name, a whole email, or a phone number or part of one
    (four digits or more). Follow `next_cursor` until it is null."""
    page = customer_privacy.list_customers(caller.merchant_id, q, cursor, limit)
    return CustomerPageView(
        customers=[CustomerSummaryView(**vars(c)) for c in page.customers],
        next_cursor=page.next_cursor,
    )


@router.get("/{customer_id}")
def read_customer(caller: Caller, customer_id: uuid.UUID) -> CustomerRecordView:
    """The customer's whole record: profile, consent log, orders, conversations, journey
    messages planned, sent or skipped, and the audit entries about them."""
    record = customer_privacy.read_customer(caller.merchant_id, customer_id)
    return CustomerRecordView.model_validate(record)


@router.get(
    "/{customer_id}/export",
    response_model=ExportView,
    responses={
        202: {
            "model": PreparedExportView,
            "description": "A large export, queued: follow Location until it is ready.",
        }
    },
)
def export_customer(caller: Caller, customer_id: uuid.UUID, request: Request) -> JSONResponse:
    """Everything held about the customer as one JSON document (the right of access), sent as
    a file. A customer with a long history (more rows than RECETE_EXPORT_INLINE_MAX_ROWS) is
    exported by a worker instead: the answer is 202 with the queued export, and its
    `download_url` serves the document once `status` is `done`. Audited; 30 exports an hour
    per store (429 beyond); asking again while one is being prepared returns that one."""
    budget = (request.app.state.rate_limiter, request.app.state.rate_limits["export"])
    outcome = customer_exports.request_export(caller, customer_id, budget)
    if outcome.queued is not None:
        view = prepared_view(outcome.queued)
        return JSONResponse(
            view.model_dump(mode="json"), status_code=202, headers={"Location": view.url}
        )
    filename = f"customer-{customer_id}.json"
    return JSONResponse(
        ExportView.model_validate(outcome.document).model_dump(mode="json"),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.delete("/{customer_id}")
def erase_customer(caller: Caller, customer_id: uuid.UUID) -> ErasedView:
    """Erase the customer for good: their messages, conversations, consent log and pending
    messages; their orders stay as anonymous records. Irreversible and audited; a second
    request finds no such customer (404)."""
    erased = customer_privacy.erase_customer(caller, customer_id)
    return ErasedView(id=customer_id, erased=True, webhook_bodies_erased=erased.webhook_bodies)


@router.get("/{customer_id}/consent")
def read_consent(caller: Caller, customer_id: uuid.UUID) -> ConsentView:
    """The customer's consent now and every change, with where it came from."""
    record = customer_privacy.read_customer(caller.merchant_id, customer_id)
    return _consent(record)


@router.put("/{customer_id}/consent")
def set_consent(caller: Caller, customer_id: uuid.UUID, body: ConsentBody) -> ConsentView:
    """Record that the customer opted in or out, with the reason; logged with who did it. A
    later store event only wins if it is newer."""
    customer_privacy.set_consent(caller, customer_id, body.state, body.reason)
    return _consent(customer_privacy.read_customer(caller.merchant_id, customer_id))


def _consent(record: dict[str, Any]) -> ConsentView:
    return ConsentView(
        state=record["customer"]["consent_state"],
        updated_at=record["customer"]["consent_updated_at"],
        log=[ConsentChangeView.model_validate(change) for change in record["consent_log"]],
    )
