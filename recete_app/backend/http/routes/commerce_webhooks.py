"""Store webhooks: verify, store, enqueue, answer. Processing happens in a worker."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from recete_app.backend import queueing
from recete_app.backend.commerce.api_events import ApiOrderEvent
from recete_app.backend.commerce.shopify.webhooks import ShopifyDelivery, accept
from recete_app.backend.commerce.woocommerce import webhooks as woocommerce
from recete_app.backend.errors import InvalidInput
from recete_app.backend.http.auth import OrdersWriteCaller
from recete_app.backend.intake.events import PENDING, Accepted, store_event

router = APIRouter(tags=["webhooks"])


def acknowledge(accepted: Accepted) -> dict[str, str]:
    if accepted.event_id is not None and accepted.status == PENDING:
        queueing.enqueue(
            "process_external_event",
            merchant_id=str(accepted.merchant_id),
            event_id=str(accepted.event_id),
        )
    if accepted.duplicate:
        return {"status": "duplicate"}
    return {"status": "accepted" if accepted.status == PENDING else accepted.status}


# The two signed receivers are plain Starlette endpoints: they read the raw body and headers
# themselves, so FastAPI's parameter and response handling was pure overhead on the hottest
# path (measured in bench/webhooks.py). They are left out of the OpenAPI document either way.
async def shopify_webhook(request: Request) -> JSONResponse:
    headers = request.headers
    delivery = ShopifyDelivery(
        shop=headers.get("x-shopify-shop-domain"),
        topic=headers.get("x-shopify-topic"),
        webhook_id=headers.get("x-shopify-webhook-id"),
        signature=headers.get("x-shopify-hmac-sha256"),
        raw_body=await request.body(),
        headers=dict(headers),
    )
    return JSONResponse(acknowledge(await run_in_threadpool(accept, delivery)))


async def woocommerce_webhook(request: Request) -> JSONResponse:
    try:
        integration_id = uuid.UUID(request.path_params["integration_id"])
    except ValueError:
        raise InvalidInput("The integration id in the URL is not a UUID.") from None
    raw_body = await request.body()
    if woocommerce.is_ping(raw_body):
        # Sent once when the webhook is created; nothing to store.
        return JSONResponse({"status": "pong"})
    headers = request.headers
    delivery = woocommerce.WooDelivery(
        integration_id=integration_id,
        topic=headers.get("x-wc-webhook-topic"),
        delivery_id=headers.get("x-wc-webhook-delivery-id"),
        signature=headers.get("x-wc-webhook-signature"),
        raw_body=raw_body,
        headers=dict(headers),
    )
    return JSONResponse(acknowledge(await run_in_threadpool(woocommerce.accept, delivery)))


router.add_route("/webhooks/commerce/shopify", shopify_webhook, methods=["POST"])
router.add_route(
    "/webhooks/commerce/woocommerce/{integration_id}", woocommerce_webhook, methods=["POST"]
)


@router.post("/webhooks/commerce/api", status_code=202)
def api_order_event(body: ApiOrderEvent, caller: OrdersWriteCaller) -> dict[str, str]:
    """Generic order events; resending an event with the same `id` changes nothing."""
    event_id = store_event(
        caller.merchant_id,
        provider="api",
        external_id=f"{caller.merchant_id}:{body.id}",
        topic=body.type,
        raw_body=body.model_dump_json(),
        headers={},
    )
    return acknowledge(Accepted(event_id, caller.merchant_id, PENDING))
