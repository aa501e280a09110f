"""WhatsApp: Meta's webhook (subscription check and deliveries) and the sandbox's customer side."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse

from recete_app.backend.http.auth import AdminCaller
from recete_app.backend.http.routes.commerce_webhooks import acknowledge
from recete_app.backend.messaging.whatsapp import webhooks
from recete_app.backend.services import sandbox

router = APIRouter(tags=["whatsapp"])
Caller = AdminCaller


async def verify_subscription(request: Request) -> PlainTextResponse:
    query = request.query_params
    challenge = await run_in_threadpool(
        webhooks.answer_challenge,
        query.get("hub.mode"),
        query.get("hub.verify_token"),
        query.get("hub.challenge"),
    )
    return PlainTextResponse(challenge)


async def receive_delivery(request: Request) -> JSONResponse:
    raw_body = await request.body()
    signature = request.headers.get("x-hub-signature-256")
    accepted = await run_in_threadpool(webhooks.accept, raw_body, signature)
    return JSONResponse(acknowledge(accepted))


router.add_route("/webhooks/whatsapp", verify_subscription, methods=["GET"])
router.add_route("/webhooks/whatsapp", receive_delivery, methods=["POST"])


class SandboxMessage(BaseModel):
    phone: str = Field(min_length=4, max_length=32, examples=["+905321234567"])
    text: str = Field(min_length=1, max_length=4096)


class SandboxReplyView(BaseModel):
    message_id: uuid.UUID
    text: str
    kind: str
    status: str


class SandboxDecision(BaseModel):
    action: str  # answer | escalate | decline | silent | opt_out | opt_in
    intent: str | None = None
    sources: list[dict[str, str]] = []


class SandboxAnswer(BaseModel):
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    replies: list[SandboxReplyView]
    decision: SandboxDecision


@router.post("/api/sandbox/messages", tags=["sandbox"])
def write_as_customer(body: SandboxMessage, caller: Caller) -> SandboxAnswer:
    """As if the customer wrote on WhatsApp: returns the replies and what was decided."""
    exchange = sandbox.write_as_customer(caller.merchant_id, body.phone, body.text)
    return SandboxAnswer(
        message_id=exchange.inbound_message_id,
        conversation_id=exchange.conversation_id,
        replies=[
            SandboxReplyView(message_id=r.message_id, text=r.text, kind=r.kind, status=r.status)
            for r in exchange.replies
        ],
        decision=SandboxDecision(
            action=exchange.action, intent=exchange.intent, sources=exchange.sources
        ),
    )
