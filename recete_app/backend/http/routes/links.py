"""`/r/{token}`: a journey message's tracked link. No sign-in: the customer's phone opens it."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from recete_app.backend.analytics import links

router = APIRouter(tags=["links"])

NOT_FOUND_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Link not found</title>"
    "<body style='font-family:sans-serif;max-width:32em;margin:4em auto'>"
    "<h1>Link not found</h1><p>This link is not valid or has expired. "
    "Please reply to the WhatsApp message if you need help.</p></body></html>"
)


async def follow_link(request: Request) -> Response:
    token = request.path_params["token"]
    click = await run_in_threadpool(
        links.follow,
        token,
        request.headers.get("user-agent"),
        count=request.method == "GET",
    )
    if click is None:
        return HTMLResponse(NOT_FOUND_PAGE, status_code=404)
    # Not cached: each person's click must reach us to be counted.
    return RedirectResponse(
        click.redirect_to,
        status_code=302,
        headers={"cache-control": "no-store"},
    )


# Outside the OpenAPI document: a customer's link, not part of the merchant's API.
router.add_route("/r/{token}", follow_link, methods=["GET", "HEAD"])
