"""Shopify OAuth: start (for API clients; the dashboard starts it itself) and the callback."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse

from recete_app.backend.commerce.shopify import install
from recete_app.backend.config import get_settings
from recete_app.backend.http.auth import AdminCaller

router = APIRouter(prefix="/api/integrations/shopify/oauth", tags=["integrations"])
BINDING_COOKIE = "recete_shopify_oauth"


class StartRequest(BaseModel):
    shop: str = Field(max_length=255)


@router.post("/start")
def start(body: StartRequest, caller: AdminCaller) -> JSONResponse:
    started = install.start_install(caller.merchant_id, body.shop)
    response = JSONResponse({"authorize_url": started.authorize_url})
    # HttpOnly: no script reads it. Lax, not Strict: the callback is a top-level navigation
    # from Shopify, which must bring it.
    response.set_cookie(
        BINDING_COOKIE,
        started.browser_binding,
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )
    return response


@router.get("/callback")
async def callback(request: Request) -> RedirectResponse:
    transport = getattr(request.app.state, "outbound_transport", None)
    await run_in_threadpool(
        install.finish_install,
        list(request.query_params.multi_items()),
        request.cookies.get(BINDING_COOKIE),
        transport,
    )
    target = get_settings().public_url.rstrip("/") + "/integrations?connected=shopify"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(
        BINDING_COOKIE, httponly=True, samesite="lax", secure=get_settings().secure_cookies
    )
    return response
